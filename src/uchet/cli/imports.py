"""``uchet import TABLE FILE`` and ``uchet undo-import ID`` (issue 17, S31).

The import runs the engine's :class:`~uchet.platform.features.importing.Importer` in the
terminal with a rich progress bar (rows read, rows written, rate and time left). Exit code 0
when the file was imported (or, with ``--dry-run``, would import cleanly); 1 when rows are
bad (all-or-nothing: nothing was written) or the import was refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from uchet.cli.common import EXIT_CONFIG, fail, opened, platform_options
from uchet.cli.runtime import acting_user, as_option
from uchet.platform.features.importing import (
    MODES,
    Importer,
    Mapping,
    Options,
    Report,
    read_sheet,
    undo_import,
)

#: Problems printed at most (the rest are counted).
SHOWN = 50


def _progress_bar() -> Any:
    """A rich progress bar: stage, bar, rows done of all, percent, rows per second, time left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeRemainingColumn(),
    )


@click.command("import")
@click.argument("table")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved mapping (JSON: column header -> field name).",
)
@click.option("--key", default=None, help="The field that finds existing records (upsert).")
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="create (default), upsert (default with --key) or update.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.option("--good-rows", is_flag=True, help="Import the good rows and report the bad ones "
              "(default: all or nothing).")  # fmt: skip
@click.option("--locale", default="ru", show_default=True, help="Language of the messages.")
@as_option
@platform_options
def import_command(
    table: str, file: Path, mapping_file: Path | None, key: str | None, mode: str | None,
    dry_run: bool, good_rows: bool, locale: str, as_login: str | None, config: str | None,
    database: str | None, overlays: tuple[str, ...],
) -> None:  # fmt: skip
    """Import FILE (xlsx, xls, ods, csv, tsv) into TABLE through the record service."""
    mapping = None
    if mapping_file is not None:
        try:
            mapping = Mapping.from_json(json.loads(mapping_file.read_text(encoding="utf-8")))
        except ValueError as e:
            fail(f"{mapping_file}: not a JSON mapping: {e}")
    options = Options(
        mode=mode or ("upsert" if key else "create"),
        key=key,
        all_or_nothing=not good_rows,
        mapping=mapping,
        file_name=file.name,
    )
    with opened(config, database, overlays, migrated=True) as platform:
        user = acting_user(platform, as_login)
        with _progress_bar() as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    label = {"read": "reading", "write": "writing"}.get(stage, stage)
                    tasks[stage] = bar.add_task(label, total=total or 1)
                bar.update(tasks[stage], completed=done, total=total or 1)

            importer = Importer(platform.runtime, table, user, locale, progress)
            sheet = read_sheet(file.read_bytes(), file.name, locale)
            report = importer.run(sheet, options, dry_run=dry_run)
    _print(report)
    if report.problems and (options.all_or_nothing or dry_run):
        raise click.exceptions.Exit(EXIT_CONFIG)


def _print(report: Report) -> None:
    mapped = ", ".join(f"{h} → {c.field}" for h, c in report.mapping.columns.items() if c.field)
    click.echo(f"Columns: {mapped}")
    skipped = [h for h, c in report.mapping.columns.items() if not c.field]
    if skipped:
        click.echo(f"Not imported: {', '.join(skipped)}")
    for column, values in report.unmatched.items():
        click.echo(f"{column}: no match for {', '.join(values[:SHOWN])}")
    for p in report.problems[:SHOWN]:
        click.echo(f"  row {p.row}, {p.column} «{'' if p.value is None else p.value}»: {p.message}")
    if len(report.problems) > SHOWN:
        click.echo(f"  ... and {len(report.problems) - SHOWN} more problem(s)")
    if report.dry_run:
        click.echo(f"Dry run: {report.total} row(s), {report.bad_rows} with problems; "
                   "nothing was written.")  # fmt: skip
    elif report.written:
        click.echo(f"Import {report.import_id}: {report.created} created, {report.updated} "
                   f"updated, {report.bad_rows} row(s) skipped.")  # fmt: skip
    else:
        click.echo(f"{report.bad_rows} row(s) have problems; nothing was written.")


@click.command("undo-import")
@click.argument("import_id", type=int)
@click.option("--locale", default="ru", show_default=True, help="Language of the messages.")
@as_option
@platform_options
def undo_import_command(
    import_id: int, locale: str, as_login: str | None, config: str | None,
    database: str | None, overlays: tuple[str, ...],
) -> None:  # fmt: skip
    """Undo import IMPORT_ID: delete what it created, restore what it changed."""
    with opened(config, database, overlays, migrated=True) as platform:
        done = undo_import(platform.runtime, import_id, acting_user(platform, as_login), locale)
    click.echo(f"Import {import_id} undone: {done} record(s) taken back.")


COMMANDS = (import_command, undo_import_command)
