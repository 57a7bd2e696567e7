"""The engine's built-in record features, registered as a default plugin through the same
hooks an ISV uses (like the built-in field types): stamps, defaults from references and
document numbers before an insert; notification rules after a write; attachment clean-up
after a delete; seed rows after a table is created; the ``reminder`` and ``email`` jobs.
"""

from __future__ import annotations

from typing import Any

from uchet.hookspecs import hookimpl
from uchet.platform.features import notify
from uchet.platform.features.fill import fill_from_references, stamp_created, stamp_updated
from uchet.platform.features.jobs import JobRegistry
from uchet.platform.features.numbering import fill_numbers
from uchet.platform.records.attachments import remove_attachments
from uchet.platform.records.users import SYSTEM
from uchet.platform.schema.operations import CreateTable


class FeaturesPlugin:
    """Hook implementations of the configurable record features."""

    @hookimpl
    def uchet_before_insert(self, service: Any, conn: Any, rows: list[dict[str, Any]]) -> None:
        table = service.table
        stamp_created(table, rows, service.user.id)
        fill_from_references(service.rt, conn, table, rows)
        if any(f.numbering for f in table.fields):
            fill_numbers(conn, service.rt.model.system["uchet_counters"], table, rows)

    @hookimpl
    def uchet_before_update(
        self, table: Any, record_id: Any, old: dict[str, Any], values: dict[str, Any], user: Any
    ) -> None:
        stamp_updated(table, old, values, user.id)

    @hookimpl
    def uchet_after_insert(self, service: Any, conn: Any, records: list[dict[str, Any]]) -> None:
        if service.table.notifications:
            notify.on_insert(service.rt, conn, service.table, records, service.user.id)

    @hookimpl
    def uchet_after_update(
        self,
        table: Any,
        old: dict[str, Any],
        record: dict[str, Any],
        user: Any,
        service: Any,
        conn: Any,
    ) -> None:
        if table.notifications:
            notify.on_update(service.rt, conn, table, old, record, user.id)

    @hookimpl
    def uchet_after_delete(
        self, table: Any, record: dict[str, Any], user: Any, service: Any, conn: Any
    ) -> None:
        if table.notifications:
            notify.on_delete(service.rt, conn, table, record)
        if table.attachments:
            remove_attachments(service.rt, conn, table.id, record["id"])

    @hookimpl
    def uchet_after_migrate(self, platform: Any, plan: Any, version: int) -> None:
        """Seed rows of the tables this plan created (a table's first migrate only)."""
        created = [op.table for op in plan.operations if isinstance(op, CreateTable)]
        for table in created:
            if table.seed:
                records = platform.records(table.id, user=SYSTEM)
                records.create_many([dict(row) for row in table.seed])

    @hookimpl
    def uchet_register_job_kinds(self, registry: JobRegistry) -> None:
        registry.register("reminder", notify.run_reminder)
        registry.register("email", notify.run_email, external=True)
