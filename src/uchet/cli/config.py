"""``uchet config``: work with configuration bundles."""

from __future__ import annotations

import click

from uchet.cli.bundle import pack_command, unpack_command
from uchet.cli.common import (
    EXIT_CODES_HELP,
    config_label,
    handle_errors,
    overlay_option,
    plural,
)
from uchet.cli.diff import diff_command
from uchet.cli.history import history_command, rollback_command
from uchet.cli.upgrade import upgrade_command
from uchet.configurations.loader import load


@click.group("config")
def config_group() -> None:
    """Work with configuration bundles."""


config_group.add_command(diff_command)
config_group.add_command(upgrade_command)


@config_group.command("check", epilog=EXIT_CODES_HELP)
@click.argument("path", envvar="UCHET_CONFIG")
@overlay_option
def config_check(path: str, overlays: tuple[str, ...]) -> None:
    """Check the configuration PATH (a built-in name, a directory or a .zip) and its overlays.

    Prints a one-line summary when it is valid. Otherwise prints every problem as
    FILE:JSON-POINTER: message, one per line, then how many there are, and exits with 1.
    """
    with handle_errors(path):
        loaded = load(path, list(overlays))
    c = loaded.config
    parts = [
        plural(len(c.tables), "table"),
        plural(sum(len(t.fields) for t in c.tables), "field"),
        plural(len(c.forms), "form"),
    ]
    if c.print_forms:
        parts.append(plural(len(c.print_forms), "print form"))
    if c.reports:
        parts.append(plural(len(c.reports), "report"))
    if c.dashboards:
        parts.append(plural(len(c.dashboards), "dashboard"))
    parts += [plural(len(c.roles), "role"), plural(len(loaded.overlays), "overlay")]
    click.echo(f"OK {config_label(c)}: {', '.join(parts)}")


# Issue 16: the lifecycle commands live in their own modules.
config_group.add_command(history_command)
config_group.add_command(rollback_command)
config_group.add_command(pack_command)
config_group.add_command(unpack_command)
