"""The ``uchet`` command: check configurations, plan and apply schema changes, manage users.

Every command takes its configuration from ``--config`` (default: ``UCHET_CONFIG``, else the
built-in ``sample_crm``) and its database from ``--database`` (default: ``UCHET_DATABASE_URL``,
else the SQLite file ``uchet.db`` in the working directory).

Exit codes are part of the interface, so scripts and CI can act on them:

====  ==========================================================================================
0     success, or nothing to do
1     the configuration is invalid (every problem is printed as ``FILE:POINTER: message``), or
      another refused request (unknown role, taken login, database not initialised...)
2     usage error (unknown option, missing argument: click's own)
3     a destructive change was refused: re-run with ``--allow-destructive`` after a backup
4     existing values will not convert to a new field type: choose what to do with them
5     the migration failed and was rolled back: the database is exactly as it was
====  ==========================================================================================

Expected errors (:class:`~uchet.platform.model.errors.UchetError`) are printed as messages, never as
tracebacks.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from uchet.platform.model.errors import (
    ConfigError,
    ConfigIssue,
    ConversionError,
    DataPresent,
    DestructiveChangeError,
    MigrationError,
    UchetError,
)

if TYPE_CHECKING:
    from uchet.core import Platform
    from uchet.platform.model.config import Configuration

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


# ------------------------------------------------------------------------------ helpers


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _print_issues(issues: Sequence[ConfigIssue], where: str) -> None:
    for issue in issues:
        click.echo(str(issue))
    click.echo(f"{_plural(len(issues), 'problem')} in {where}")


def _fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(code)


def _operation_line(op: Any) -> str:
    """One plan operation as one line; destructive ones are marked with ``!``."""
    describe = getattr(op, "describe", None)
    text = describe() if callable(describe) else str(op)
    if getattr(op, "destructive", False):
        return f"  ! {text}  [DESTRUCTIVE]"
    return f"  + {text}"


@contextlib.contextmanager
def _errors(config_name: str | None = None) -> Iterator[None]:
    """Turn the expected errors into messages and exit codes (no tracebacks)."""
    try:
        yield
    except ConfigError as e:
        _print_issues(e.issues, config_name or "the configuration")
        raise click.exceptions.Exit(EXIT_CONFIG) from None
    except ConversionError as e:  # before DestructiveChangeError: it is a subclass
        click.echo("Refused: existing values will not convert to the new field type:")
        for key, (count, sample) in e.problems.items():
            shown = ", ".join(f"#{rid}={value!r}" for rid, value in sample[:SHOWN_VALUES])
            more = ", ..." if count > len(sample[:SHOWN_VALUES]) else ""
            click.echo(f"  {key}: {_plural(count, 'value')} will not convert: {shown}{more}")
        click.echo(
            "Nothing was changed. Re-run with --on-conversion-error set-null to clear them, "
            "or with --default-value VALUE to replace them."
        )
        raise click.exceptions.Exit(EXIT_CONVERSION) from None
    except DestructiveChangeError as e:
        click.echo("Refused: the plan has destructive operations that would lose data:")
        for op in e.operations:
            click.echo(_operation_line(op))
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
        _fail(str(e))


def _open(config: str | None, database: str | None, overlays: Sequence[str] = ()) -> Platform:
    from uchet.core import Platform

    return Platform.open(config=config, database_url=database, overlays=list(overlays))


def _database_label(platform: Platform) -> str:
    return platform.engine.url.render_as_string(hide_password=True)


def _config_label(config: Configuration) -> str:
    return f"{config.manifest.name} {config.manifest.version}"


def _superuser_role(config: Configuration) -> str:
    for role in config.roles:
        if role.get("superuser"):
            return role.id
    _fail(f'the configuration {config.manifest.name!r} has no role with "superuser": true')


def _resolve_roles(config: Configuration, roles: Sequence[str]) -> list[str]:
    """Role ids from ids or names; unknown ones are left for the user store to refuse."""
    result = []
    for r in roles:
        try:
            result.append(config.role(r).id)
        except KeyError:
            result.append(r)
    return result


def _conversion_option(on_error: str, default_value: str | None) -> Any:
    if default_value is not None:
        if on_error not in ("abort", "default"):
            raise click.UsageError(
                "--default-value cannot be combined with --on-conversion-error set-null"
            )
        return ("default", default_value)
    if on_error == "default":
        raise click.UsageError("--on-conversion-error default needs --default-value VALUE")
    return "set_null" if on_error == "set-null" else "abort"


config_option = click.option(
    "--config", "-c", "config", envvar="UCHET_CONFIG", default=None, show_envvar=True,
    help="Configuration: a built-in name (sample_crm), a bundle directory or a .zip.",
)  # fmt: skip
database_option = click.option(
    "--database", "-d", "database", envvar="UCHET_DATABASE_URL", default=None, show_envvar=True,
    help="Database URL (default: sqlite:///uchet.db in the working directory).",
)  # fmt: skip
overlay_option = click.option(
    "--overlay", "-o", "overlays", multiple=True, type=click.Path(),
    help="An overlay file or a directory of overlay files; repeat for more, applied in order.",
)  # fmt: skip


# ----------------------------------------------------------------------------- commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="uchet")
def main() -> None:
    """uchet: a low-code data platform. Configurations are JSON; this checks and applies them."""


@main.group()
def config() -> None:
    """Work with configuration bundles."""


@config.command("check", epilog=EXIT_CODES_HELP)
@click.argument("path", envvar="UCHET_CONFIG")
@overlay_option
def config_check(path: str, overlays: tuple[str, ...]) -> None:
    """Check the configuration PATH (a built-in name, a directory or a .zip) and its overlays.

    Prints a one-line summary when it is valid. Otherwise prints every problem as
    FILE:JSON-POINTER: message, one per line, then how many there are, and exits with 1.
    """
    from uchet.configurations.loader import load

    with _errors(path):
        loaded = load(path, list(overlays))
    c = loaded.config
    parts = [
        _plural(len(c.tables), "table"),
        _plural(sum(len(t.fields) for t in c.tables), "field"),
        _plural(len(c.forms), "form"),
    ]
    if c.print_forms:
        parts.append(_plural(len(c.print_forms), "print form"))
    if c.reports:
        parts.append(_plural(len(c.reports), "report"))
    if c.dashboards:
        parts.append(_plural(len(c.dashboards), "dashboard"))
    parts += [_plural(len(c.roles), "role"), _plural(len(loaded.overlays), "overlay")]
    click.echo(f"OK {_config_label(c)}: {', '.join(parts)}")


@main.command(epilog=EXIT_CODES_HELP)
@click.option("--plan", "show_plan", is_flag=True, help="Only print the plan; change nothing.")
@click.option(
    "--sql",
    "show_sql",
    is_flag=True,
    help="With --plan: also print the SQL for the database (implies --plan).",
)
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow operations that lose data (drops). Back up first.",
)
@click.option(
    "--on-conversion-error", type=click.Choice(["abort", "set-null", "default"]), default="abort",
    show_default=True, help="What to do with values a type change cannot convert.",
)  # fmt: skip
@click.option(
    "--default-value",
    default=None,
    metavar="V",
    help="Replace values that will not convert with V.",
)
@config_option
@database_option
@overlay_option
def migrate(
    show_plan: bool,
    show_sql: bool,
    allow_destructive: bool,
    on_conversion_error: str,
    default_value: str | None,
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
) -> None:
    """Bring the database schema to the configuration.

    With --plan, print the operations (one per line, destructive ones marked) and, with
    --sql, the SQL for the database's dialect; nothing is changed. Without --plan, apply the
    plan in one transaction and print the new configuration version.
    """
    on_error = _conversion_option(on_conversion_error, default_value)
    with _errors(config):
        platform = _open(config, database, overlays)
        try:
            plan = platform.plan()
            if show_plan or show_sql:
                _print_plan(platform, plan, show_sql)
                return
            applied = platform.applied()
            # An empty plan may still change the configuration (a new report, a label):
            # migrate records it as a new version, or returns the current one if not.
            version = platform.migrate(
                allow_destructive=allow_destructive, on_conversion_error=on_error, applied_by="cli"
            )
            if applied is not None and version == applied[0]:
                click.echo(f"Nothing to do: the database is at version {applied[0]}.")
                return
            click.echo(
                f"Migrated to version {version} ({_plural(len(plan.operations), 'operation')})."
            )
        finally:
            platform.close()


def _print_plan(platform: Platform, plan: Any, show_sql: bool) -> None:
    if plan.is_empty:
        click.echo("Nothing to do: the database matches the configuration.")
        return
    applied = platform.applied()
    next_version = (applied[0] if applied else 0) + 1
    if hasattr(plan, "for_version"):  # names the backup tables as the migration will
        plan = plan.for_version(next_version)
    ops = list(plan.operations)
    destructive = [op for op in ops if getattr(op, "destructive", False)]
    click.echo(f"Plan: {_plural(len(ops), 'operation')} ({len(destructive)} destructive)")
    for op in ops:
        click.echo(_operation_line(op))
    if destructive:
        click.echo("Destructive operations need --allow-destructive (and a backup).")
    if show_sql:
        click.echo("")
        click.echo(f"-- SQL for {platform.engine.dialect.name}")
        sql = plan.sql(platform.engine.dialect.name)
        click.echo(sql if isinstance(sql, str) else "\n".join(f"{s};" for s in sql))


@main.command(epilog=EXIT_CODES_HELP)
@config_option
@database_option
@overlay_option
@click.option(
    "--admin-login", default="admin", show_default=True, help="Login of the administrator."
)
@click.option(
    "--admin-password",
    default=None,
    help="Password of the administrator (default: a random one, printed).",
)
@click.option("--demo", is_flag=True, help="Fill the new database with demo data.")
@click.option("--clients", "demo_clients", default=1000, show_default=True, type=click.IntRange(1),
              help="With --demo: how many clients.")  # fmt: skip
@click.option("--seed", "demo_seed", default=1, show_default=True, type=int,
              help="With --demo: the random seed (the same seed gives the same data).")  # fmt: skip
def init(
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
    admin_login: str,
    admin_password: str | None,
    demo: bool,
    demo_clients: int,
    demo_seed: int,
) -> None:
    """Create the schema of a new database and its administrator.

    The administrator gets the configuration's superuser role. Running it again is safe: an
    initialised database is migrated if the configuration changed, and an existing
    administrator is left alone. With --demo, demo data is loaded (sample_crm: companies
    and people, staff in every role, months of work and events, contracts, invoices and
    payments).
    """
    with _errors(config):
        platform = _open(config, database, overlays)
        try:
            _init(platform, admin_login, admin_password)
            if demo:
                _demo(platform, demo_clients, demo_seed)
        finally:
            platform.close()


def _demo(platform: Platform, clients: int, seed: int) -> None:
    from uchet.sample_crm.demo import SampleCrmDemo

    if not platform.pm.has_plugin("uchet.sample_crm.demo"):
        platform.pm.register(SampleCrmDemo(), name="uchet.sample_crm.demo")
    try:
        summary = platform.pm.hook.uchet_demo_data(
            platform=platform, clients=clients, seed=seed, echo=click.echo
        )
    except DataPresent as e:
        # Not a failure: ``uchet init --demo && uchet serve`` is run again on the same file.
        click.echo(f"Demo data not loaded: {e}; the database is left as it was.")
        return
    except ValueError as e:
        _fail(str(e))
    if summary is None:
        _fail(f"no demo data for the configuration {platform.config.manifest.name!r}")
    click.echo(f"Demo data loaded in {summary['seconds']} s:")
    for table, count in summary["counts"].items():
        click.echo(f"    {table:<28} {_plural(count, 'row')}")
    click.echo(f"  users: {', '.join(summary['users'])} (password {summary['password']})")


def _init(platform: Platform, admin_login: str, admin_password: str | None) -> str | None:
    """Migrate (or create) the database and its administrator; returns the administrator's
    password when this call created the account, else None."""
    role = _superuser_role(platform.config)
    applied = platform.applied()
    if applied is None:
        version = platform.migrate(applied_by="cli init")
        click.echo(f"Initialised the database at version {version}.")
    else:
        version = applied[0]
        click.echo(f"The database is already initialised (version {version}).")
        version = platform.migrate(applied_by="cli init")  # no-op when nothing changed
        if version != applied[0]:
            click.echo(f"The configuration changed: migrated to version {version}.")
    admin = platform.users.find(admin_login)
    password_note = created = None
    if admin is None:
        password = admin_password or secrets.token_urlsafe(12)
        platform.users.create(admin_login, password, name="Administrator", roles=[role])
        created = password
        if admin_password is None:
            password_note = (
                f"  password:      {password}  (generated: note it now, it is not shown again)"
            )
        admin_state = f"{admin_login} (created, role {role})"
    else:
        admin_state = f"{admin_login} (exists, roles {', '.join(admin.roles) or 'none'})"

    config = platform.runtime.config
    click.echo(f"  database:      {_database_label(platform)}")
    click.echo(f"  configuration: {_config_label(config)}")
    click.echo(f"  version:       {version}")
    click.echo("  tables:")
    for table, count in _row_counts(platform):
        click.echo(f"    {table:<28} {_plural(count, 'row')}")
    click.echo(f"  admin:         {admin_state}")
    if password_note:
        click.echo(password_note)
    return created


def _row_counts(platform: Platform) -> list[tuple[str, int]]:
    import sqlalchemy as sa

    runtime = platform.runtime
    result = []
    with platform.engine.connect() as conn:
        for table in runtime.config.tables:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(sa.table(table.name))
            ).scalar()
            result.append((table.name, int(count or 0)))
    return result


@main.group()
def users() -> None:
    """Manage the users of a database."""


@users.command("add")
@click.argument("login")
@click.option(
    "--role",
    "-r",
    "roles",
    multiple=True,
    required=True,
    help="A role id or name; repeat for more.",
)
@click.option("--password", default=None, help="The password (default: a random one, printed).")
@click.option("--name", default=None, help="The user's display name (default: the login).")
@config_option
@database_option
@overlay_option
def users_add(
    login: str,
    roles: tuple[str, ...],
    password: str | None,
    name: str | None,
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
) -> None:
    """Add the user LOGIN with one or more roles."""
    with _errors(config):
        platform = _open(config, database, overlays)
        try:
            platform.runtime  # noqa: B018 - refuses (NotMigrated) before the database is initialised
            given = password
            password = password or secrets.token_urlsafe(12)
            role_ids = _resolve_roles(platform.config, roles)
            user = platform.users.create(login, password, name=name, roles=role_ids)
        finally:
            platform.close()
    click.echo(f"Added user {user.login} (id {user.id}, roles {', '.join(user.roles)}).")
    if given is None:
        click.echo(f"Password: {password}  (generated: note it now, it is not shown again)")


@users.command("list")
@config_option
@database_option
@overlay_option
def users_list(config: str | None, database: str | None, overlays: tuple[str, ...]) -> None:
    """List the users: login, name and roles."""
    with _errors(config):
        platform = _open(config, database, overlays)
        try:
            platform.runtime  # noqa: B018 - refuses (NotMigrated) before the database is initialised
            found = platform.users.all()
        finally:
            platform.close()
    if not found:
        click.echo("No users.")
        return
    width = max(len(u.login) for u in found)
    for u in found:
        click.echo(f"{u.login:<{width}}  {', '.join(u.roles) or '-':<20}  {u.name}")


@main.command(epilog=EXIT_CODES_HELP)
@config_option
@database_option
@overlay_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--admin-password",
    default=None,
    help="Password of the administrator created on first start (default: a random one).",
)
def serve(
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
    host: str,
    port: int,
    admin_password: str | None,
) -> None:
    """Start the web application for development (production: see docs/deploy.md).

    A new database is initialised first, with an administrator whose login and password
    are printed.
    """
    from uchet.web import create_app

    password = None
    with _errors(config):
        platform = _open(config, database, overlays)
        if platform.applied() is None or not platform.plan().is_empty:
            password = _init(platform, "admin", admin_password)
        app = create_app(platform)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    click.echo(f"uchet is running at http://{shown}:{port}/  (Ctrl+C stops it)")
    if password is not None:
        click.echo(f"Log in as: admin  password: {password}")
    else:
        click.echo("Log in with an existing account (`uchet users list`, `uchet users add`).")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _add_print_commands() -> None:
    from uchet.printeditor.cli import print_command  # `uchet print ...` (print forms)

    main.add_command(print_command)


_add_print_commands()


def _register_more_commands() -> None:
    from uchet.cli_runtime import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    # Run as ``python -m uchet.cli``: use the imported module, which has every command.
    from uchet.cli import main as imported_main

    imported_main()
else:
    _register_more_commands()
