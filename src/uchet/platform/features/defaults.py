"""The engine's built-in record features, registered as a default plugin through the same
hooks an ISV uses (like the built-in field types): stamps, defaults from references and
document numbers before an insert; notification rules after a write; attachment clean-up
after a delete; seed rows after a table is created; the ``reminder`` and ``email`` jobs,
and the occasions of scheduled backups and reports (issue 20).
"""

from __future__ import annotations

from typing import Any

from uchet.hookspecs import InsertBatch, RecordChange, hookimpl
from uchet.platform.features import (
    bulk_jobs,
    notices,
    notify,
    report_schedules,
    schedules,
    webhooks,
)
from uchet.platform.features.backup import scheduled as scheduled_backup
from uchet.platform.features.fill import fill_from_references, stamp_created, stamp_updated
from uchet.platform.features.jobs import JobRegistry
from uchet.platform.features.numbering import fill_numbers
from uchet.platform.records.attachments import remove_attachments
from uchet.platform.records.users import SYSTEM
from uchet.platform.schema.operations import CreateTable
from uchet.platform.schema.planner import Plan


class FeaturesPlugin:
    """Hook implementations of the configurable record features."""

    @hookimpl
    def uchet_before_insert(self, batch: InsertBatch) -> None:
        table, rt = batch.table, batch.service.rt
        stamp_created(table, batch.rows, batch.user.id)
        fill_from_references(rt, batch.conn, table, batch.rows)
        if any(f.numbering for f in table.fields):
            fill_numbers(batch.conn, rt.model.system["uchet_counters"], table, batch.rows)

    @hookimpl
    def uchet_before_update(self, change: RecordChange) -> None:
        assert change.old is not None and change.new is not None
        stamp_updated(change.table, change.old, change.new, change.user.id)

    @hookimpl
    def uchet_after_insert(self, batch: InsertBatch) -> None:
        if batch.table.notifications:
            notify.on_insert(batch.service.rt, batch.conn, batch.table, batch.rows, batch.user.id)
        webhooks.record_events(batch.service.rt, batch.conn, batch.table.id, "create",
                               [(row["id"], row) for row in batch.rows])  # fmt: skip

    @hookimpl
    def uchet_after_update(self, change: RecordChange) -> None:
        table = change.table
        if table.notifications:
            assert change.conn is not None and change.old is not None and change.new is not None
            notify.on_update(
                change.service.rt, change.conn, table, change.old, change.new, change.user.id
            )
        assert change.conn is not None
        webhooks.record_events(change.service.rt, change.conn, table.id, "update",
                               [(change.record_id, change.new)])  # fmt: skip

    @hookimpl
    def uchet_after_delete(self, change: RecordChange) -> None:
        table, rt, conn, old = change.table, change.service.rt, change.conn, change.old
        assert conn is not None and old is not None
        if table.notifications:
            notify.on_delete(rt, conn, table, old)
        if table.attachments:
            remove_attachments(rt, conn, table.id, old["id"])
        webhooks.record_events(rt, conn, table.id, "delete", [(change.record_id, old)])

    @hookimpl
    def uchet_after_migrate(self, platform: Any, plan: Plan, version: int) -> None:
        """Seed rows of the tables this plan created (a table's first migrate only).

        ``platform`` is a :class:`uchet.core.Platform`, a layer above the engine: typed
        ``Any`` here so that the engine does not import it."""
        created = [op.table for op in plan.operations if isinstance(op, CreateTable)]
        for table in created:
            if table.seed:
                records = platform.records(table.id, user=SYSTEM)
                records.create_many([dict(row) for row in table.seed])

    @hookimpl
    def uchet_register_job_kinds(self, registry: JobRegistry) -> None:
        registry.register("reminder", notify.run_reminder)
        registry.register("email", notify.run_email, external=True)
        registry.register(webhooks.JOB_KIND, webhooks.run_delivery, external=True)
        # A backup writes a file, not the database: external, it tells the outcome itself.
        registry.register(
            schedules.job_kind(scheduled_backup.KIND), scheduled_backup.run, external=True
        )
        registry.register(schedules.job_kind(report_schedules.KIND), report_schedules.run)
        registry.register(notices.MAIL_WITH_FILE, report_schedules.send_with_file, external=True)
        # Each record of a bulk action commits on its own (issue 21): external.
        registry.register(bulk_jobs.KIND, bulk_jobs.run_bulk_job, external=True)
