"""The importer's hook implementations: tagging an import's writes (:mod:`.log`) and the
``import`` job kind (:mod:`.jobs`). Registered for every platform by ``make_plugin_manager``."""

from __future__ import annotations

from typing import Any

from uchet.hookspecs import InsertBatch, RecordChange, hookimpl
from uchet.platform.features.importing.jobs import KIND, run_import_job
from uchet.platform.features.importing.log import tag_insert, tag_update


class ImportLogPlugin:
    """Tags the records an import writes, and runs imports queued as jobs."""

    @hookimpl
    def uchet_register_job_kinds(self, registry: Any) -> None:
        registry.register(KIND, run_import_job)

    @hookimpl
    def uchet_after_insert(self, batch: InsertBatch) -> None:
        tag_insert(batch)

    @hookimpl
    def uchet_after_update(self, change: RecordChange) -> None:
        tag_update(change)
