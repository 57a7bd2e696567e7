"""``uchet init``: create the schema of a new database and its administrator (and demo data)."""

from __future__ import annotations

import secrets

import click
import sqlalchemy as sa

from uchet.cli.common import (
    EXIT_CODES_HELP,
    config_label,
    database_label,
    fail,
    opened,
    platform_options,
    plural,
)
from uchet.core import Platform
from uchet.platform.model.config import Configuration
from uchet.platform.model.errors import DataPresent
from uchet.sample_crm.demo import SampleCrmDemo

#: The name ``uchet init`` gives the administrator it creates, by the configuration's locale.
ADMIN_NAMES = {"ru": "Администратор", "en": "Administrator"}


@click.command("init", epilog=EXIT_CODES_HELP)
@platform_options
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
def init_command(
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
    with opened(config, database, overlays) as platform:
        initialise(platform, admin_login, admin_password)
        if demo:
            load_demo(platform, demo_clients, demo_seed)


def load_demo(platform: Platform, clients: int, seed: int) -> None:
    """Fill the database with the configuration's demo data (``uchet_demo_data`` hook)."""
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
        fail(str(e))
    if summary is None:
        fail(f"no demo data for the configuration {platform.config.manifest.name!r}")
    click.echo(f"Demo data loaded in {summary['seconds']} s:")
    for table, count in summary["counts"].items():
        click.echo(f"    {table:<28} {plural(count, 'row')}")
    click.echo(f"  users: {', '.join(summary['users'])} (password {summary['password']})")


def superuser_role(config: Configuration) -> str:
    """The id of the configuration's first superuser role (exit 1 if it has none)."""
    for role in config.roles:
        if role.get("superuser"):
            return role.id
    fail(f'the configuration {config.manifest.name!r} has no role with "superuser": true')


def initialise(platform: Platform, admin_login: str, admin_password: str | None) -> str | None:
    """Migrate (or create) the database and its administrator; returns the administrator's
    password when this call created the account, else None."""
    role = superuser_role(platform.config)
    current = platform.current_version()
    if current is None:
        version = platform.migrate(applied_by="cli init", source="init")
        click.echo(f"Initialised the database at version {version}.")
    else:
        version = current
        click.echo(f"The database is already initialised (version {version}).")
        # A no-op when nothing changed.
        version = platform.migrate(applied_by="cli init", source="init")
        if version != current:
            click.echo(f"The configuration changed: migrated to version {version}.")
    admin = platform.users.find(admin_login)
    password_note = created = None
    if admin is None:
        password = admin_password or secrets.token_urlsafe(12)
        # The administrator's name in the configuration's own language (issue 21: the
        # Russian CRM showed «Administrator» in its top bar and history).
        name = ADMIN_NAMES.get(str(platform.config.manifest.default_locale), "Administrator")
        platform.users.create(admin_login, password, name=name, roles=[role])
        created = password
        if admin_password is None:
            password_note = (
                f"  password:      {password}  (generated: note it now, it is not shown again)"
            )
        admin_state = f"{admin_login} (created, role {role})"
    else:
        admin_state = f"{admin_login} (exists, roles {', '.join(admin.roles) or 'none'})"

    config = platform.runtime.config
    click.echo(f"  database:      {database_label(platform)}")
    click.echo(f"  configuration: {config_label(config)}")
    click.echo(f"  version:       {version}")
    click.echo("  tables:")
    for table, count in row_counts(platform):
        click.echo(f"    {table:<28} {plural(count, 'row')}")
    click.echo(f"  admin:         {admin_state}")
    if password_note:
        click.echo(password_note)
    return created


def row_counts(platform: Platform) -> list[tuple[str, int]]:
    """``(table name, rows)`` of every table of the applied configuration."""
    runtime = platform.runtime
    result = []
    with platform.engine.connect() as conn:
        for table in runtime.config.tables:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(sa.table(table.name))
            ).scalar()
            result.append((table.name, int(count or 0)))
    return result
