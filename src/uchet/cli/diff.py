"""``uchet config diff A B``: what differs between two configurations, by stable id (issue 16).

A and B may each be a bundle (a built-in name, a directory or a ``.zip``: its own tree,
before overlays), an overlay file (the ``--config`` bundle with that overlay merged in), or
the number of a version applied to the database (its stored merged tree). The output lists
objects added, removed, renamed and moved, and every changed property with its old and new
value (:mod:`uchet.configurations.semantic_diff`); ``--json`` prints the same for tools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from uchet.cli.common import EXIT_CODES_HELP, config_option, database_option, fail, handle_errors
from uchet.configurations import stored
from uchet.configurations.loader import base_tree_of, read_overlay
from uchet.configurations.overlay import merge
from uchet.configurations.semantic_diff import diff_trees
from uchet.platform.model.errors import ConfigError
from uchet.platform.schema.database import create_engine


def tree_of(spec: str, config: str | None, database: str | None) -> dict[str, Any]:
    """The configuration tree ``spec`` names (see the module's docstring)."""
    if spec.isdigit() and not Path(spec).exists():
        engine = create_engine(database)
        try:
            tree = stored.version_tree(engine, int(spec))
        finally:
            engine.dispose()
        if tree is None:
            fail(f"the database has no applied version {spec}")
        return tree
    path = Path(spec)
    if path.is_file() and path.suffix == ".json":
        overlays, issues = read_overlay(path)
        if issues:
            raise ConfigError(issues)
        base = base_tree_of(config or "sample_crm")
        merged = merge(base, {}, overlays)
        if merged.issues:
            raise ConfigError(merged.issues)
        return merged.tree
    return base_tree_of(spec)


@click.command("diff", epilog=EXIT_CODES_HELP)
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
@click.option("--locale", default="en", show_default=True, help="Locale of the labels shown.")
@config_option
@database_option
def diff_command(
    a: str, b: str, as_json: bool, locale: str, config: str | None, database: str | None
) -> None:
    """Compare configurations A and B object by stable id.

    Each of A and B is a bundle (built-in name, directory or .zip), an overlay file (merged
    over --config), or a version number applied to --database. Prints one line per change:
    + added, - removed, ~ renamed, moved or changed (property: old -> new).
    """
    with handle_errors(f"{a} / {b}"):
        difference = diff_trees(tree_of(a, config, database), tree_of(b, config, database))
    if as_json:
        click.echo(json.dumps(difference.to_json(), ensure_ascii=False, indent=2))
        return
    if difference.empty:
        click.echo("No differences.")
        return
    for line in difference.lines(locale):
        click.echo(line)
