"""``uchet migrate``: plan the schema change that brings the database to the configuration,
print it, or apply it.

The plan is made once, by :meth:`Platform.plan` (which builds the applied configuration
once), and the same plan is printed and applied: ``Platform.migrate(plan=...)`` does not plan
again, and the version numbers come from :meth:`Platform.current_version` (one small query)
rather than from building the applied configuration again.
"""

from __future__ import annotations

from typing import Any

import click

from uchet.cli.common import (
    EXIT_CODES_HELP,
    opened,
    operation_line,
    platform_options,
    plural,
)
from uchet.core import Platform
from uchet.platform.schema.planner import Plan


def conversion_policy(on_error: str, default_value: str | None) -> Any:
    """The migrator's ``on_conversion_error`` from the two command-line options."""
    if default_value is not None:
        if on_error not in ("abort", "default"):
            raise click.UsageError(
                "--default-value cannot be combined with --on-conversion-error set-null"
            )
        return ("default", default_value)
    if on_error == "default":
        raise click.UsageError("--on-conversion-error default needs --default-value VALUE")
    return "set_null" if on_error == "set-null" else "abort"


@click.command("migrate", epilog=EXIT_CODES_HELP)
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
@platform_options
def migrate_command(
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
    on_error = conversion_policy(on_conversion_error, default_value)
    with opened(config, database, overlays) as platform:
        plan = platform.plan()
        before = platform.current_version()
        if show_plan or show_sql:
            print_plan(platform, plan, before, show_sql)
            return
        # An empty plan may still change the configuration (a new report, a label):
        # migrate records it as a new version, or returns the current one if not.
        version = platform.migrate(
            allow_destructive=allow_destructive,
            on_conversion_error=on_error,
            applied_by="cli",
            plan=plan,
        )
        if before is not None and version == before:
            click.echo(f"Nothing to do: the database is at version {before}.")
            return
        click.echo(f"Migrated to version {version} ({plural(len(plan.operations), 'operation')}).")


def print_plan(platform: Platform, plan: Plan, current: int | None, show_sql: bool) -> None:
    """Print ``plan`` as it would run as the version after ``current``, and its SQL."""
    if plan.is_empty:
        click.echo("Nothing to do: the database matches the configuration.")
        return
    plan = plan.for_version((current or 0) + 1)  # names the backup tables as migrate will
    ops = list(plan.operations)
    destructive = [op for op in ops if getattr(op, "destructive", False)]
    click.echo(f"Plan: {plural(len(ops), 'operation')} ({len(destructive)} destructive)")
    for op in ops:
        click.echo(operation_line(op))
    if destructive:
        click.echo("Destructive operations need --allow-destructive (and a backup).")
    if show_sql:
        click.echo("")
        click.echo(f"-- SQL for {platform.engine.dialect.name}")
        sql = plan.sql(platform.engine.dialect.name)
        click.echo(sql if isinstance(sql, str) else "\n".join(f"{s};" for s in sql))
