"""``uchet print``: print a record, list placeholders, check templates, make a starter.

::

    uchet print FORM RECORD_ID -o FILE [--pdf] [--user LOGIN]      print one record
    uchet print many FORM [IDS...] [--search S] -o FILE [--zip]    mass print
    uchet print placeholders TABLE [--locale ru]                   what a template can use
    uchet print check FORM_OR_FILE [--table T]                     exit 1 on any problem
    uchet print list [--table T]                                   the forms a user may use
    uchet print starter TABLE -o FILE.docx                         a starter template

Exit codes follow ``uchet``'s: 0 success, 1 a refused request or a template with problems,
2 usage errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from uchet.cli.common import config_option_of, database_option_of, handle_errors, opened
from uchet.configurations.loader import load
from uchet.platform.records.users import SYSTEM
from uchet.printeditor.catalog import placeholders
from uchet.printeditor.errors import PrintError
from uchet.printeditor.render import kind_of
from uchet.printeditor.service import PrintForms
from uchet.printeditor.starter import starter_docx
from uchet.printeditor.validate import check_template

F = TypeVar("F", bound=Callable[..., Any])


def _options(f: F) -> F:
    """``--config`` and ``--database`` (no overlays: print forms work on the applied
    configuration); their ``--help`` does not show the environment variables."""
    return config_option_of(show_envvar=False)(database_option_of(show_envvar=False)(f))


user_option = click.option(
    "--user",
    "-u",
    "login",
    default=None,
    help="Print as this user (their rights apply); default: the system user.",
)
locale_option = click.option("--locale", "-l", default=None, help="Language: ru, en...")


@contextmanager
def _forms(
    config: str | None, database: str | None, login: str | None, locale: str | None
) -> Iterator[PrintForms]:
    with opened(config, database, migrated=True) as platform:
        user = SYSTEM
        if login:
            found = platform.users.find(login)
            if found is None:
                raise click.ClickException(f"no user {login!r}")
            user = found
        yield PrintForms(platform, user, locale)


class PrintGroup(click.Group):
    """``uchet print FORM ID`` without a subcommand name means ``uchet print record``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["record", *args]
        return super().parse_args(ctx, args)


@click.group("print", cls=PrintGroup)
def print_command() -> None:
    """Print forms: print records, list placeholders, check templates.

    `uchet print FORM RECORD_ID -o FILE` prints one record (see `uchet print record -h`).
    """


@print_command.command("record")
@click.argument("form")
@click.argument("record_id")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Output file (default: the form's output name in the current directory).",
)
@click.option("--pdf", is_flag=True, help="Convert to PDF (needs LibreOffice's soffice).")
@user_option
@locale_option
@_options
def print_record(
    form: str,
    record_id: str,
    output: str | None,
    pdf: bool,
    login: str | None,
    locale: str | None,
    config: str | None,
    database: str | None,
) -> None:
    """Print record RECORD_ID with the print form FORM (id or name)."""
    with _forms(config, database, login, locale) as forms:
        document = forms.render(form, record_id, pdf=pdf)
    target = Path(output) if output else Path(document.name)
    if pdf and target.suffix.lower() != ".pdf":
        target = target.with_suffix(".pdf")  # never PDF bytes under a .docx name
    target.write_bytes(document.data)
    click.echo(f"Wrote {target} ({len(document.data)} bytes).")


@print_command.command("many")
@click.argument("form")
@click.argument("ids", nargs=-1)
@click.option("--search", "-s", default=None, help="Print the records a quick search finds.")
@click.option("--zip", "as_zip", is_flag=True, help="One file per record in a zip.")
@click.option("--pdf", is_flag=True, help="Convert to PDF (needs LibreOffice's soffice).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True)
@user_option
@locale_option
@_options
def print_many(
    form: str,
    ids: Sequence[str],
    search: str | None,
    as_zip: bool,
    pdf: bool,
    output: str,
    login: str | None,
    locale: str | None,
    config: str | None,
    database: str | None,
) -> None:
    """Print many records into one merged .docx (or a --zip): IDS, or every record the user
    sees (or finds with --search)."""
    with _forms(config, database, login, locale) as forms:
        document = forms.render_many(
            form, list(ids) or None, search=search, merge=not as_zip, pdf=pdf
        )
    Path(output).write_bytes(document.data)
    click.echo(f"Wrote {output} ({len(document.data)} bytes).")


@print_command.command("placeholders")
@click.argument("table")
@locale_option
@_options
def print_placeholders(
    table: str, locale: str | None, config: str | None, database: str | None
) -> None:
    """List every placeholder a template of TABLE can use, with its label."""
    with handle_errors(config):
        loaded = load(config or "sample_crm")
        cfg = loaded.config
        try:
            found = placeholders(cfg, table, locale or cfg.default_locale)
        except KeyError:
            raise click.ClickException(f"no table {table!r}") from None
    width = max(len(p.text) for p in found)
    for p in found:
        click.echo(f"{p.text:<{width}}  {p.label}  [{p.type}]")


@print_command.command("check")
@click.argument("form_or_file")
@click.option("--table", "-t", default=None, help="The table a template file is for.")
@locale_option
@_options
def print_check(
    form_or_file: str,
    table: str | None,
    locale: str | None,
    config: str | None,
    database: str | None,
) -> None:
    """Check a print form (id or name) or a template file; exit 1 on any problem."""
    with handle_errors(config):
        cfg = load(config or "sample_crm")
        path = Path(form_or_file)
        try:
            if path.suffix.lower() in (".docx", ".xlsx") and path.exists():
                if not table:
                    raise click.UsageError("checking a file needs --table TABLE")
                data, kind, name = path.read_bytes(), kind_of(path.name), path.name
            else:
                doc = next(
                    (d for d in cfg.config.print_forms if form_or_file in (d.id, d.get("name"))),
                    None,
                )
                if doc is None:
                    with _forms(config, database, None, locale) as forms:
                        problems = forms.check(form_or_file)
                    _report(problems, form_or_file)
                    return
                table = table or doc.get("table")
                data, kind, name = (
                    cfg.bundle.files[doc.get("template")],
                    kind_of(doc.get("template")),
                    doc.get("name"),
                )
            table_id = cfg.config.find_table(table).id
        except KeyError as e:
            raise click.ClickException(f"not found: {e}") from None
        try:
            problems = check_template(
                kind, data, cfg.config, table_id, locale or cfg.config.default_locale, name
            )
        except PrintError as e:
            click.echo(str(e))
            raise click.exceptions.Exit(1) from None
    _report(problems, form_or_file)


def _report(problems: Sequence[Any], name: str) -> None:
    for p in problems:
        click.echo(str(p))
    if problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {name}")
        raise click.exceptions.Exit(1)
    click.echo(f"OK {name}")


@print_command.command("list")
@click.option("--table", "-t", default=None, help="Only the forms of this table.")
@user_option
@locale_option
@_options
def print_list(
    table: str | None,
    login: str | None,
    locale: str | None,
    config: str | None,
    database: str | None,
) -> None:
    """List the print forms the user may use."""
    with _forms(config, database, login, locale) as forms:
        found = forms.available(table)
        for f in found:
            where = f"stored v{f.version}" if f.stored else "bundle"
            click.echo(f"{f.id:<30} {f.table:<20} {where:<12} {f.text(forms.locale)}")
    if not found:
        click.echo("No print forms.")


@print_command.command("starter")
@click.argument("table")
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True)
@locale_option
@config_option_of(show_envvar=False, described=False)
def print_starter(table: str, output: str, locale: str | None, config: str | None) -> None:
    """Write a starter .docx template for TABLE: every field, and a table per child list."""
    with handle_errors(config):
        cfg = load(config or "sample_crm").config
        try:
            data = starter_docx(cfg, table, locale or cfg.default_locale)
        except KeyError:
            raise click.ClickException(f"no table {table!r}") from None
    Path(output).write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes).")
