"""Going back to an earlier applied configuration version (issue 16, ``config rollback``).

The target is the tree stored with that version in ``uchet_config``; the way there is made by
the same planner as ``uchet migrate`` and applied by the same migrator, so a rollback is just
another version (source ``rollback``): destructive steps need consent and are backed up to
``uchet_bak_<version>_<table>`` first, values that will not convert are reported before
anything runs, and any failure leaves the database as it was.

The database overlay (end users' changes, issue 14) is kept consistent with the applied
configuration: the stored tree of a version already holds the overlay of its time, so the
rollback also records a database overlay revision (action ``revert``) whose document is the
one that was current at the target version, in the same transaction. Without it the
structure editor would show, and the next migrate would apply again, changes the rollback
took away. Revisions are never deleted: going forward again is one more revision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Engine

from uchet.configurations.history import version_tree
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT, diff
from uchet.configurations.revisions import AUDIT_ACTION, AUDIT_TABLE, DatabaseOverlay
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Configuration, build_configuration, thaw
from uchet.platform.model.errors import MigrationError, UchetError
from uchet.platform.schema import migrator
from uchet.platform.schema.planner import Plan
from uchet.platform.schema.reconcile import plan_for_database


class RollbackRefused(UchetError):
    """The rollback cannot be planned: no such version, or the database is at it already."""


@dataclass
class RollbackPlan:
    """What rolling back to ``target`` would do; nothing is written to make it."""

    target: int
    current: int
    config: Configuration
    plan: Plan
    #: The overlay document current at ``target`` (the empty one if there was none).
    overlay_document: dict[str, Any] = field(default_factory=dict)
    #: The database overlay's latest revision now, and whether the rollback records a new one.
    overlay_latest: int | None = None
    overlay_changes: bool = False


def plan_rollback(
    engine: Engine, types: FieldTypeRegistry, overlay: DatabaseOverlay, target: int
) -> RollbackPlan:
    """Plan the way from the applied version back to version ``target``.

    Raises :class:`RollbackRefused` when there is no such version or it is the applied one.
    """
    with engine.connect() as conn:
        found = migrator.current_version(conn)
        if found is None:
            raise RollbackRefused("the database has no applied configuration yet")
        current, tree = found
        if target == current:
            raise RollbackRefused(f"the database is at version {target} already")
        try:
            target_tree = version_tree(conn, target)
        except KeyError as e:
            raise RollbackRefused(f"{e.args[0]} (see `uchet config history`)") from None
        config = build_configuration(target_tree)
        plan = plan_for_database(conn, build_configuration(tree), config, types)
        latest = overlay.latest(conn)
    document = EMPTY_DOCUMENT
    for rev in overlay.revisions():  # newest first: the first one applied at or before target
        if rev.config_version <= target:
            document = thaw(rev.overlay)
            break
    current_doc = overlay.document(latest)
    return RollbackPlan(
        target=target, current=current, config=config, plan=plan,
        overlay_document=dict(document), overlay_latest=latest.number if latest else None,
        overlay_changes=bool(diff(current_doc, document)),
    )  # fmt: skip


def apply_rollback(
    engine: Engine,
    types: FieldTypeRegistry,
    overlay: DatabaseOverlay,
    rollback: RollbackPlan,
    *,
    allow_destructive: bool = False,
    on_conversion_error: Any = "abort",
    applied_by: str | None = None,
) -> int:
    """Apply ``rollback`` as a new configuration version and return its number.

    Refusals and failures are the migrator's (DestructiveChangeError, ConversionError,
    DataCheckError, MigrationError), and leave the database as it was.
    """

    def record_overlay(conn: Connection, version: int) -> None:
        latest = overlay.latest(conn)
        if (latest.number if latest else None) != rollback.overlay_latest:
            raise MigrationError("the database overlay changed meanwhile; plan the rollback again")
        if not rollback.overlay_changes:
            return
        number = (latest.number if latest else 0) + 1
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        comment = f"rollback to configuration version {rollback.target}"
        conn.execute(overlay.table.insert().values(
            revision=number, created_at=now, created_by=applied_by, user_id=None,
            comment=comment, action="revert", overlay=rollback.overlay_document,
            config_version=version, base_revision=rollback.overlay_latest,
        ))  # fmt: skip
        audit = overlay._audit  # the same audit row a save writes (revisions.py)
        conn.execute(audit.insert().values(
            at=now, user_id=None, user_login=applied_by, table_id=AUDIT_TABLE,
            record_id=number, action=AUDIT_ACTION,
            changes={"overlay": [overlay.document(latest), rollback.overlay_document],
                     "comment": [None, comment], "config_version": [None, version]},
        ))  # fmt: skip

    return migrator.apply(
        engine, rollback.plan, rollback.config, types,
        allow_destructive=allow_destructive, on_conversion_error=on_conversion_error,
        applied_by=applied_by, on_applied=record_overlay, source="rollback",
    )  # fmt: skip


def files_match(overlay: DatabaseOverlay, rollback: RollbackPlan) -> bool:
    """Whether the configuration files (bundle and file overlays) with the overlay document
    of the target give the target's configuration. When they do not, the next ``uchet
    migrate`` (or a start of ``uchet serve``) applies the files again: the integrator checks
    out the files of that version too (docs/integrators.md)."""
    try:
        effective = overlay.effective(rollback.overlay_document)
    except UchetError:
        return False
    return migrator.checksum(effective.tree) == migrator.checksum(rollback.config.tree)
