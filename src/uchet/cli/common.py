"""What every ``uchet`` command shares: exit codes, the options that name a configuration and
a database, one path that turns expected errors into messages, and :func:`opened`.

A command module imports from here and from the library, never from another command module
(except :mod:`uchet.cli.init`'s public :func:`~uchet.cli.init.initialise`, which ``serve``
reuses).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn, TypeVar

import click

from uchet.core import Platform
from uchet.platform.model.config import Configuration
from uchet.platform.model.errors import (
    ConfigError,
    ConfigIssue,
    ConversionError,
    DestructiveChangeError,
    MigrationError,
    UchetError,
)

EXIT_OK = 0
EXIT_CONFIG = 1
EXIT_USAGE = 2
EXIT_DESTRUCTIVE = 3
EXIT_CONVERSION = 4
EXIT_MIGRATION_FAILED = 5

#: How many unconvertible values to show per field.
SHOWN_VALUES = 5

EXIT_CODES_HELP = """
\b
Exit codes:
  0  success, or nothing to do
  1  invalid configuration (every problem is printed), or another refused request
  2  usage error
  3  destructive change refused (re-run with --allow-destructive)
  4  values that will not convert (choose --on-conversion-error set-null or --default-value)
  5  migration failed and was rolled back
"""

F = TypeVar("F", bound=Callable[..., Any])

# ------------------------------------------------------------------------------- output


def plural(count: int, word: str) -> str:
    """``1 table``, ``2 tables``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def print_issues(issues: Sequence[ConfigIssue], where: str) -> None:
    """Every problem on its own line, then how many there are in ``where``."""
    for issue in issues:
        click.echo(str(issue))
    click.echo(f"{plural(len(issues), 'problem')} in {where}")


def fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    """Print ``Error: message`` to stderr and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(code)


def operation_line(op: Any) -> str:
    """One plan operation as one line; destructive ones are marked with ``!``."""
    describe = getattr(op, "describe", None)
    text = describe() if callable(describe) else str(op)
    if getattr(op, "destructive", False):
        return f"  ! {text}  [DESTRUCTIVE]"
    return f"  + {text}"


def database_label(platform: Platform) -> str:
    """The database URL without its password."""
    return platform.engine.url.render_as_string(hide_password=True)


def config_label(config: Configuration) -> str:
    """``name version`` of a configuration's manifest."""
    return f"{config.manifest.name} {config.manifest.version}"


# ------------------------------------------------------------------------ error handling


@contextlib.contextmanager
def handle_errors(config_name: str | None = None) -> Iterator[None]:
    """Turn the expected errors into messages and exit codes (no tracebacks).

    This is the one place that maps :class:`UchetError` and its kinds to exit codes.
    """
    try:
        yield
    except ConfigError as e:
        print_issues(e.issues, config_name or "the configuration")
        raise click.exceptions.Exit(EXIT_CONFIG) from None
    except ConversionError as e:  # before DestructiveChangeError: it is a subclass
        click.echo("Refused: existing values will not convert to the new field type:")
        for key, (count, sample) in e.problems.items():
            shown = ", ".join(f"#{rid}={value!r}" for rid, value in sample[:SHOWN_VALUES])
            more = ", ..." if count > len(sample[:SHOWN_VALUES]) else ""
            click.echo(f"  {key}: {plural(count, 'value')} will not convert: {shown}{more}")
        click.echo(
            "Nothing was changed. Re-run with --on-conversion-error set-null to clear them, "
            "or with --default-value VALUE to replace them."
        )
        raise click.exceptions.Exit(EXIT_CONVERSION) from None
    except DestructiveChangeError as e:
        click.echo("Refused: the plan has destructive operations that would lose data:")
        for op in e.operations:
            click.echo(operation_line(op))
        click.echo(
            "Nothing was changed. Back up the database, then re-run with --allow-destructive."
        )
        raise click.exceptions.Exit(EXIT_DESTRUCTIVE) from None
    except MigrationError as e:
        click.echo(
            f"Migration failed and was rolled back; the database is unchanged: {e}", err=True
        )
        raise click.exceptions.Exit(EXIT_MIGRATION_FAILED) from None
    except UchetError as e:
        fail(str(e))


def open_platform(
    config: str | None, database: str | None, overlays: Sequence[str] = ()
) -> Platform:
    """Open ``config`` on ``database``; the caller closes it (see :func:`opened`)."""
    return Platform.open(config=config, database_url=database, overlays=list(overlays))


@contextlib.contextmanager
def opened(
    config: str | None,
    database: str | None,
    overlays: Sequence[str] = (),
    *,
    migrated: bool = False,
) -> Iterator[Platform]:
    """The platform of ``config`` on ``database``, closed on the way out, with expected
    errors (raised while opening or inside the block) turned into messages and exit codes.

    With ``migrated``, refuse (:class:`~uchet.core.NotMigrated`, exit 1) before the database
    is initialised.
    """
    with handle_errors(config):
        platform = open_platform(config, database, overlays)
        try:
            if migrated:
                platform.runtime  # noqa: B018 - raises NotMigrated on an uninitialised database
            yield platform
        finally:
            platform.close()


# ------------------------------------------------------------------------------ options


def config_option_of(*, show_envvar: bool = True, described: bool = True) -> Callable[[F], F]:
    """``--config/-c`` (``UCHET_CONFIG``): a built-in name, a bundle directory or a .zip."""
    return click.option(
        "--config", "-c", "config", envvar="UCHET_CONFIG", default=None, show_envvar=show_envvar,
        help=(
            "Configuration: a built-in name (sample_crm), a bundle directory or a .zip."
            if described else None
        ),
    )  # fmt: skip


def database_option_of(*, show_envvar: bool = True) -> Callable[[F], F]:
    """``--database/-d`` (``UCHET_DATABASE_URL``)."""
    return click.option(
        "--database", "-d", "database", envvar="UCHET_DATABASE_URL", default=None,
        show_envvar=show_envvar,
        help="Database URL (default: sqlite:///uchet.db in the working directory).",
    )  # fmt: skip


config_option = config_option_of()
database_option = database_option_of()
overlay_option = click.option(
    "--overlay", "-o", "overlays", multiple=True, type=click.Path(),
    help="An overlay file or a directory of overlay files; repeat for more, applied in order.",
)  # fmt: skip


def platform_options(f: F) -> F:
    """``--config``, ``--database`` and ``--overlay``, in that order in ``--help``."""
    return config_option(database_option(overlay_option(f)))
