"""Every extension hook of uchet, declared once (pluggy).

Plugins implement these with ``@uchet.hookimpl``. Built-in behaviour is registered as a
default plugin (:mod:`uchet.platform.plugins`), so ISVs extend the engine through the same
doors it uses itself. A test fails when a hook here is missing from docs/architecture.md.

Every hook takes named arguments of declared types. The record hooks share one shape: the
six per-record hooks (before/after create, update and delete) take a :class:`RecordChange`,
the two per-batch hooks (before/after insert) an :class:`InsertBatch`, so a plugin reads
the same attributes whatever the operation, and a new attribute does not change a hook's
signature.

This module imports nothing of uchet at run time (the engine imports it), so the types of
the engine's objects are named for the type checker only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from uchet.core import Platform
    from uchet.platform.features.jobs import JobRegistry
    from uchet.platform.fieldtypes import FieldTypeRegistry
    from uchet.platform.messaging.contract import ChannelRegistry, PreparedTemplate
    from uchet.platform.model.config import Table
    from uchet.platform.records.runtime import Runtime
    from uchet.platform.records.service import RecordService
    from uchet.platform.records.users import User
    from uchet.platform.schema.planner import Plan

hookspec = pluggy.HookspecMarker("uchet")
hookimpl = pluggy.HookimplMarker("uchet")


@dataclass(frozen=True, kw_only=True)
class RecordChange:
    """One record being created, updated or deleted: what every per-record hook receives.

    ============== ========================= ============== ======================
    hook           ``record_id``             ``old``        ``new``
    ============== ========================= ============== ======================
    before_create  None                      None           values to insert
    after_create   the new id                None           the record inserted
    before_update  the id                    stored record  values to change
    after_update   the id                    stored record  the record as changed
    before_delete  the id                    stored record  None
    after_delete   the id                    stored record  None
    ============== ========================= ============== ======================

    The frozen context cannot be rebound, but ``new`` in a *before* hook is the very dict
    that will be written: a hook may change its values in place (raise to refuse).
    """

    #: The record service doing the write: its ``table``, ``user``, ``locale`` and ``rt``.
    service: RecordService
    #: The record's id; None before it is inserted.
    record_id: Any = None
    #: The record as stored before this write (update, delete); None on create.
    old: dict[str, Any] | None = None
    #: The values being written (before) or the record as written, with ``id`` and
    #: ``version`` (after); None on delete.
    new: dict[str, Any] | None = None
    #: The write transaction; None in ``uchet_before_create``, which runs before it opens
    #: (so that a slow or refusing hook holds no database lock).
    conn: Connection | None = None

    @property
    def table(self) -> Table:
        """The table of the record."""
        return self.service.table

    @property
    def user(self) -> User:
        """The user who writes."""
        return self.service.user


@dataclass(frozen=True, kw_only=True)
class InsertBatch:
    """The rows one ``create`` or ``create_many`` inserts, inside its write transaction."""

    #: The record service doing the write: its ``table``, ``user``, ``locale`` and ``rt``.
    service: RecordService
    #: The write transaction.
    conn: Connection
    #: Before the insert: the validated values of each row (a hook may fill values in
    #: place); after it: each record as inserted, with ``id`` and ``version``.
    rows: list[dict[str, Any]]

    @property
    def table(self) -> Table:
        """The table of the rows."""
        return self.service.table

    @property
    def user(self) -> User:
        """The user who writes."""
        return self.service.user


# -- start-up ------------------------------------------------------------------------------
@hookspec
def uchet_register_field_types(registry: FieldTypeRegistry) -> None:
    """Register field types: call ``registry.register(MyType())``."""


@hookspec
def uchet_register_job_kinds(registry: JobRegistry) -> None:
    """Register background job kinds: call ``registry.register(kind, handler)``."""


@hookspec
def uchet_register_message_channels(registry: ChannelRegistry) -> None:
    """Register message channels (issue 19): call ``registry.register(MyChannel())``; a
    channel named like a built-in one (``"sms"``) replaces it."""


@hookspec(firstresult=True)
def uchet_prepare_message_template(
    runtime: Runtime, name: str, user: User
) -> PreparedTemplate | None:
    """The message template ``name`` compiled for ``user`` (issue 19), or None when this
    plugin has no such template. Delivery (the outbox, mailings, automatic rules) prepares
    templates only through this hook; the first plugin to answer wins. Raise
    ``KeyError`` for an unknown name only when no other plugin could know it."""


@hookspec
def uchet_message_templates(runtime: Runtime, table_id: str) -> list[tuple[str, str]] | None:
    """The message templates of ``table_id`` a plugin offers, as (name, label) pairs, for
    the «Отправить сообщение» and mailing screens to choose from (issue 19)."""


# -- records -------------------------------------------------------------------------------
@hookspec
def uchet_before_create(change: RecordChange) -> None:
    """Called before a record is inserted, outside the transaction (``change.conn`` is
    None). ``change.new`` may be changed; raise to refuse."""


@hookspec
def uchet_after_create(change: RecordChange) -> None:
    """Called after a record is inserted, inside the same transaction (``change.conn``)."""


@hookspec
def uchet_before_update(change: RecordChange) -> None:
    """Called before a record is changed, inside the transaction, with the stored record
    locked (``change.old``). ``change.new`` may be changed; raise to refuse."""


@hookspec
def uchet_after_update(change: RecordChange) -> None:
    """Called after a record is changed, inside the same transaction (``change.conn``)."""


@hookspec
def uchet_before_delete(change: RecordChange) -> None:
    """Called before a record is deleted, inside the transaction; raise to refuse."""


@hookspec
def uchet_after_delete(change: RecordChange) -> None:
    """Called after a record is deleted, inside the same transaction (``change.conn``)."""


@hookspec
def uchet_before_insert(batch: InsertBatch) -> None:
    """Called inside the write transaction just before the validated ``batch.rows`` are
    inserted by ``create`` or ``create_many``; may fill values (numbers, defaults)."""


@hookspec
def uchet_after_insert(batch: InsertBatch) -> None:
    """Called inside the write transaction after ``batch.rows`` (with their ids) were
    inserted, once per ``create`` or ``create_many`` call."""


# -- configurations ------------------------------------------------------------------------
@hookspec
def uchet_after_migrate(platform: Platform, plan: Plan, version: int) -> None:
    """Called after a plan was applied and committed as configuration ``version``."""


@hookspec(firstresult=True)
def uchet_demo_data(
    platform: Platform, clients: int, seed: int, echo: Callable[[str], None] | None
) -> Any:
    """Fill a database with demo data for ``platform``'s configuration; return a summary,
    or None when the configuration is not the plugin's."""
