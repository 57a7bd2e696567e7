"""``uchet config upgrade --base NEW``: move a customer's configuration to a new base (issue 16).

The old base is the bundle tree stored with the applied version (``--old-base`` for a
database applied before uchet stored it). The customer's layers are the ``--overlay`` files
and the database overlay's latest revision. :func:`~uchet.configurations.upgrade.upgrade`
merges them (1C's rules, every conflict at once); the report is printed, and while a
conflict is open a resolution file is written and nothing else changes. Once every conflict
is resolved (``--resolutions FILE``), the merged configuration is checked, the usual plan is
shown, and it is applied: as a new database-overlay revision (action ``upgrade``) when the
database overlay changed, else as ``uchet migrate`` does. Destructive steps need
``--allow-destructive``, as always. Only after the database is migrated are the overlay files
rewritten, so a refused or failed run leaves files and database as they were. ``--dry-run``
prints the report and the plan and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from uchet.cli.common import EXIT_CODES_HELP, database_option, fail, handle_errors
from uchet.cli.migrate import print_plan
from uchet.cli.overlay import long_overlay_option
from uchet.configurations import stored
from uchet.configurations.bundle import parse_json
from uchet.configurations.loader import base_tree_of, read_overlay
from uchet.configurations.overlay import Overlay
from uchet.configurations.revisions import NothingToSave, Preview, overlay_file
from uchet.configurations.upgrade import ResolutionError, UpgradeResult, upgrade
from uchet.configurations.upgrade_report import report_json, report_lines, resolution_template
from uchet.core import Platform
from uchet.platform.model.errors import ConfigError
from uchet.platform.records.users import User
from uchet.platform.schema.database import create_engine

#: Who the database-overlay revision of an upgrade is recorded as.
UPGRADE_USER = User(id=None, login="upgrade", name="uchet config upgrade", is_system=True)
#: Where the resolution file goes when neither option names one.
DEFAULT_RESOLUTIONS = "upgrade-resolutions.json"


def _label(tree: Mapping[str, Any]) -> str:
    manifest = tree.get("manifest", {})
    return f"{manifest.get('name', '?')} {manifest.get('version', '?')}"


def _comment(title: str) -> str:
    """The revision's comment, shown on the (Russian) structure history page."""
    return "Обновление конфигурации поставщика: " + title.removeprefix("Upgrade ").replace(
        " -> ", " → "
    )


def read_resolutions(path: str) -> dict[str, Any]:
    """The ``conflicts`` mapping of a resolution file (or the file itself if it is one)."""
    data, issues = parse_json(Path(path).read_bytes(), path)
    if issues:
        raise ConfigError(issues)
    if isinstance(data, dict) and isinstance(data.get("conflicts"), dict):
        return dict(data["conflicts"])
    if not isinstance(data, dict):
        fail(f"{path}: a resolution file is a JSON object with a conflicts object")
    return data


def _write_json(path: str | Path, data: Any) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@click.command("upgrade", epilog=EXIT_CODES_HELP)
@click.option(
    "--base",
    "new_base",
    required=True,
    help="The new base bundle: a directory or a .zip (or a built-in name).",
)
@click.option(
    "--old-base",
    default=None,
    help="The base the customer's layers were made on (default: the one stored "
    "with the applied version).",
)
@click.option(
    "--resolutions",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A resolution file: how each conflict is resolved.",
)
@click.option(
    "--write-resolutions",
    "resolutions_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the resolution file while conflicts are "
    f"open (default: the --resolutions file, else {DEFAULT_RESOLUTIONS}).",
)
@click.option(
    "--report",
    "report_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the merge report to this file.",
)
@click.option("--dry-run", is_flag=True, help="Print the report and the plan; change nothing.")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow steps that lose data (a field the vendor removed). Back up first.",
)
@database_option
@long_overlay_option
def upgrade_command(
    new_base: str, old_base: str | None, resolutions: str | None, resolutions_out: str | None,
    report_out: str | None, dry_run: bool, allow_destructive: bool, database: str | None,
    overlays: tuple[str, ...],
) -> None:  # fmt: skip
    """Merge the customer's layers (--overlay files and the database overlay) from the old
    base to the new base --base, and apply the result once every conflict is resolved."""
    engine = create_engine(database)
    try:
        with handle_errors(new_base):
            _upgrade(engine, new_base, old_base, resolutions, resolutions_out, report_out,
                     dry_run, allow_destructive, overlays)  # fmt: skip
    finally:
        engine.dispose()


def _upgrade(
    engine: sa.Engine, new_base: str, old_base: str | None, resolutions: str | None,
    resolutions_out: str | None, report_out: str | None, dry_run: bool,
    allow_destructive: bool, overlay_paths: tuple[str, ...],
) -> None:  # fmt: skip
    applied = stored.applied_base(engine)
    if applied is None:
        fail("the database has no applied configuration: run uchet migrate first")
    version, stored_base = applied
    if old_base is not None:
        old_tree = base_tree_of(old_base)
    elif stored_base is None:
        fail(f"version {version} was applied before uchet stored its base: pass --old-base "
             "with the bundle the customer's configuration was made on")  # fmt: skip
    else:
        old_tree = stored_base
    new_tree = base_tree_of(new_base)
    layers: list[Overlay] = []
    for path in overlay_paths:
        found, issues = read_overlay(path)
        if issues:
            raise ConfigError(issues)
        layers += found
    database_layer = stored.latest_overlay(engine)
    if database_layer is not None:
        layers.append(Overlay(overlay_file(database_layer[0]), database_layer[1]))
    try:
        result = upgrade(old_tree, new_tree, layers,
                         read_resolutions(resolutions) if resolutions else None)  # fmt: skip
    except ResolutionError as e:
        fail(f"{resolutions}: {e}")
    title = f"Upgrade {_label(old_tree)} -> {_label(new_tree)}"
    lines = report_lines(result, title)
    click.echo("\n".join(lines))
    if report_out:
        Path(report_out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if result.unresolved:
        target = resolutions_out or resolutions or DEFAULT_RESOLUTIONS
        if dry_run:
            click.echo(f"{len(result.unresolved)} conflict(s) open. Dry run: nothing written.")
        else:
            _write_json(target, resolution_template(result, title))
            click.echo(f"{len(result.unresolved)} conflict(s) open: choose in {target}, then "
                       f"run again with --resolutions {target}. Nothing was changed.")  # fmt: skip
        raise click.exceptions.Exit(1)
    _apply(engine, new_base, result, title, database_layer, dry_run, allow_destructive)


def _apply(
    engine: sa.Engine, new_base: str, result: UpgradeResult, title: str,
    database_layer: tuple[int, dict[str, Any]] | None, dry_run: bool, allow_destructive: bool,
) -> None:  # fmt: skip
    files = [o for o in result.layers if database_layer is None or o is not result.layers[-1]]
    platform = Platform.open(new_base, overlays=files, engine=engine)
    preview: Preview | None = None
    document = dict(result.layers[-1].data) if database_layer is not None else None
    if document is not None and database_layer is not None:
        try:
            preview = platform.overlay.preview(document, database_layer[0])
        except NothingToSave:
            preview = None  # the database overlay stays as it is
    plan = preview.plan if preview is not None else platform.plan()
    current = platform.current_version()
    print_plan(platform, plan, current, False)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    if preview is not None and document is not None and database_layer is not None:
        revision = platform.overlay.save(
            document, base_revision=database_layer[0], user=UPGRADE_USER, comment=_comment(title),
            action="upgrade", preview=preview, allow_destructive=allow_destructive,
        )  # fmt: skip
        version = revision.config_version
    else:
        version = platform.migrate(allow_destructive=allow_destructive, applied_by="upgrade",
                                   plan=plan, source="upgrade")  # fmt: skip
    with engine.begin() as conn:
        stored.record(conn, version, report=report_json(result, title))
    written = []
    for layer in files:
        path = Path(layer.file)
        before, _ = parse_json(path.read_bytes(), layer.file)
        if before != layer.data:
            _write_json(path, dict(layer.data))
            written.append(layer.file)
    click.echo(f"Upgraded to version {version}.")
    if written:
        click.echo("Rewrote overlay files: " + ", ".join(written))
