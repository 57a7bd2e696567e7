"""``uchet config history`` and ``uchet config rollback`` (issue 16, points 1 and 3).

``history`` lists the configuration versions applied to the database, newest first: date,
who, where from and what changed, in one line each. ``rollback VERSION`` plans the way back
to an earlier version through the migrate planner; ``--plan`` prints it, and without it the
plan is applied like ``uchet migrate`` (destructive steps need ``--allow-destructive``).
"""

from __future__ import annotations

import json

import click

from uchet.cli.common import (
    EXIT_CODES_HELP,
    database_option,
    handle_errors,
    opened,
    operation_line,
    platform_options,
    plural,
)
from uchet.configurations.history import applied_versions
from uchet.configurations.rollback import apply_rollback, files_match, plan_rollback
from uchet.platform.schema.database import create_engine


@click.command("history", epilog=EXIT_CODES_HELP)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
              help="Show only the newest N versions.")  # fmt: skip
@click.option("--locale", default="en", type=click.Choice(["en", "ru"]), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for tools.")
@database_option
def history_command(limit: int | None, locale: str, as_json: bool, database: str | None) -> None:
    """List the configuration versions applied to the database, newest first.

    One line each: version, date (UTC), who, source (migrate, init, structure editor,
    upgrade, rollback...), bundle version, and what changed since the version before.
    Only the database is read: the configuration files need not be valid.
    """
    with handle_errors():
        engine = create_engine(database)
        try:
            versions = applied_versions(engine, limit)
        finally:
            engine.dispose()
    if as_json:
        click.echo(json.dumps([
            {"version": v.version, "applied_at": v.applied_at.isoformat(),
             "applied_by": v.applied_by, "source": v.source, "bundle": v.name,
             "bundle_version": v.bundle_version, "summary": v.summary,
             "summary_text": v.summary_text(locale), "operations": len(v.plan)}
            for v in versions
        ], ensure_ascii=False, indent=2))  # fmt: skip
        return
    if not versions:
        click.echo("No versions: the database was never migrated (run `uchet migrate`).")
        return
    for v in versions:
        who = v.applied_by or "-"
        click.echo(
            f"{v.version:>4}  {v.applied_at:%Y-%m-%d %H:%M}  {who:<10}  "
            f"{v.source_text(locale):<22}  {v.name} {v.bundle_version}  "
            f"{v.summary_text(locale) or '-'}"
        )


@click.command("rollback", epilog=EXIT_CODES_HELP)
@click.argument("version", type=click.IntRange(min=1))
@click.option("--plan", "show_plan", is_flag=True, help="Only print the plan; change nothing.")
@click.option("--allow-destructive", is_flag=True,
              help="Allow operations that lose data (drops). Back up first.")  # fmt: skip
@platform_options
def rollback_command(
    version: int, show_plan: bool, allow_destructive: bool, config: str | None,
    database: str | None, overlays: tuple[str, ...],
) -> None:  # fmt: skip
    """Return the database to the configuration of VERSION (see `uchet config history`).

    The configuration stored with VERSION is the target; the planner of `uchet migrate`
    makes the way there, and it is applied as a new version in one transaction. Dropped
    columns and tables are copied to uchet_bak_* tables first, and only with
    --allow-destructive. The database overlay returns to its revision of that time.
    """
    with opened(config, database, overlays) as platform:
        rollback = plan_rollback(platform.engine, platform.types, platform.overlay, version)
        ops = list(rollback.plan.for_version(rollback.current + 1).operations)
        destructive = [op for op in ops if getattr(op, "destructive", False)]
        click.echo(f"Rollback from version {rollback.current} to version {version}: "
                   f"{plural(len(ops), 'operation')} ({len(destructive)} destructive)")  # fmt: skip
        for op in ops:
            click.echo(operation_line(op))
        if rollback.overlay_changes:
            click.echo("The database overlay returns to its state at version "
                       f"{version} (recorded as a new revision).")  # fmt: skip
        if show_plan:
            if destructive:
                click.echo("Destructive operations need --allow-destructive (and a backup).")
            return
        new = apply_rollback(
            platform.engine, platform.types, platform.overlay, rollback,
            allow_destructive=allow_destructive, applied_by="cli",
        )  # fmt: skip
        click.echo(f"Rolled back: version {new} has the configuration of version {version}.")
        if not files_match(platform.overlay, rollback):
            click.echo(
                "Note: the configuration files differ from that version; `uchet migrate` "
                "(or starting `uchet serve`) would apply them again. Check out the files of "
                f"version {version} as well."
            )
