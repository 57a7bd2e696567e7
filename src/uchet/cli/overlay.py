"""``uchet overlay``: the database overlay (end users' changes, issue 14) on the command line.

``export`` writes the latest revision as an ordinary overlay file, for an integrator to keep
in git (and load with ``--overlay``); ``import`` makes a file the database overlay as a new
revision, planned and applied like a save in the browser; ``history`` lists the revisions
with their changes in words; ``revert`` returns to an earlier revision (what was added since
is archived: hidden, its data kept).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click

from uchet.cli.common import (
    EXIT_CODES_HELP,
    config_option,
    database_option,
    fail,
    opened,
    platform_options,
)
from uchet.configurations.bundle import parse_json
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.configurations.revisions import Revision
from uchet.platform.model.errors import ConfigError, DestructiveChangeError
from uchet.platform.records.users import User

#: Who the revisions made from the command line are recorded as.
CLI_USER = User(id=None, login="cli", name="uchet overlay", is_system=True)


#: ``--overlay`` without its short form: ``export`` uses ``-o`` for its output file.
long_overlay_option = click.option(
    "--overlay", "overlays", multiple=True, type=click.Path(),
    help="An overlay file or a directory of overlay files; repeat for more, applied in order.",
)  # fmt: skip


@click.group("overlay")
def overlay_group() -> None:
    """The database overlay: end users' changes to the configuration, with revisions."""


@overlay_group.command("export", epilog=EXIT_CODES_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE, not stdout.")
@config_option
@database_option
@long_overlay_option
def export_command(
    output: str | None, config: str | None, database: str | None, overlays: tuple[str, ...]
) -> None:
    """Write the database overlay's latest revision as an overlay file."""
    with opened(config, database, overlays) as platform:
        text = json.dumps(platform.overlay.export(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output}.")


@overlay_group.command("import", epilog=EXIT_CODES_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-m", "--comment", default=None, help="Why (shown in the history).")
@platform_options
def import_command(
    file: str, comment: str | None, config: str | None, database: str | None,
    overlays: tuple[str, ...],
) -> None:  # fmt: skip
    """Make the overlay FILE the database overlay, as a new revision.

    Tables and fields the current database overlay adds and FILE lacks are archived (hidden,
    data kept). Nothing changes if the result is invalid.
    """
    data, problems = parse_json(Path(file).read_bytes(), file)
    with opened(config, database, overlays) as platform:
        if problems:
            raise ConfigError(problems)
        _refuse_drops(lambda: platform.overlay.import_document(
            data, user=CLI_USER, comment=comment or f"import {Path(file).name}"))  # fmt: skip


@overlay_group.command("history", epilog=EXIT_CODES_HELP)
@click.option("--locale", default="en", type=click.Choice(["en", "ru"]), show_default=True)
@platform_options
def history_command(
    locale: str, config: str | None, database: str | None, overlays: tuple[str, ...]
) -> None:
    """List the revisions, newest first, with what each changed."""
    with opened(config, database, overlays) as platform:
        revisions = platform.overlay.revisions()
        if not revisions:
            click.echo("No revisions: the configuration is as the files give it.")
        for i, rev in enumerate(revisions):
            before = revisions[i + 1].overlay if i + 1 < len(revisions) else EMPTY_DOCUMENT
            click.echo(_headline(rev))
            for line in platform.overlay.describe(before, rev.overlay, locale):
                click.echo(f"  {line}")
        orphans = platform.overlay.orphans()
        if orphans:
            # Kept in the revision but not applied: their target is gone from the files.
            click.echo("Not applied (their target is no longer in the configuration files):")
            for o in orphans:
                click.echo(f"  {o.pointer}: no object {o.target!r}")


@overlay_group.command("revert", epilog=EXIT_CODES_HELP)
@click.argument("revision", type=click.IntRange(min=0))
@click.option("-m", "--comment", default=None, help="Why (shown in the history).")
@platform_options
def revert_command(
    revision: int, comment: str | None, config: str | None, database: str | None,
    overlays: tuple[str, ...],
) -> None:  # fmt: skip
    """Return to REVISION (0: no database overlay), as a new revision."""
    with opened(config, database, overlays) as platform:
        latest = platform.overlay.latest()
        if latest is None:
            fail("There are no revisions to revert.")
        _refuse_drops(lambda: platform.overlay.revert(
            revision, base_revision=latest.number, user=CLI_USER, comment=comment))  # fmt: skip


def _refuse_drops(save: Callable[[], Revision]) -> None:
    """Run ``save`` and print the revision; a plan that would drop data is refused here
    with the overlay's own advice (the generic one suggests --allow-destructive)."""
    try:
        rev = save()
    except DestructiveChangeError as e:
        fail(f"Refused, nothing was changed: {e}")
    except KeyError as e:
        fail(str(e.args[0]))
    click.echo(f"Saved revision {rev.number} (configuration version {rev.config_version}).")


def _headline(rev: Revision) -> str:
    who = rev.created_by or "-"
    note = f": {rev.comment}" if rev.comment else ""
    return (f"revision {rev.number}  {rev.created_at:%Y-%m-%d %H:%M}  {who}  {rev.action}  "
            f"-> version {rev.config_version}{note}")  # fmt: skip
