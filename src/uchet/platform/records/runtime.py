"""A runtime: one applied configuration version, compiled, with everything a service needs.

A runtime is immutable once built. When the configuration version in the database changes,
the platform builds a new runtime and swaps it in (ARCHITECTURE rule 7); services already
running keep the runtime they started with.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cached_property
from typing import Any, TypeVar

import pluggy
from sqlalchemy.engine import Engine

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.fieldtypes.special import DEFAULT_MAX_FILE_SIZE
from uchet.platform.fieldtypes.validation import RecordValidator
from uchet.platform.model.config import Configuration
from uchet.platform.records.permissions import Permissions
from uchet.platform.schema.compiler import CompiledModel, CompiledTable

DEFAULT_COUNT_LIMIT = 10_000
T = TypeVar("T")


class Runtime:
    """The compiled form of configuration ``version`` bound to an engine."""

    def __init__(
        self,
        engine: Engine,
        config: Configuration,
        types: FieldTypeRegistry,
        pm: pluggy.PluginManager,
        version: int,
        channels: Any = None,
    ):
        self.engine, self.config, self.types, self.pm, self.version = (
            engine,
            config,
            types,
            pm,
            version,
        )
        #: The site's message channels (issue 19): the Platform's registry, which reads the
        #: administrator's saved settings; delivery sends through it. None outside a Platform.
        self.channels = channels
        self.model = CompiledModel(config, types, engine.dialect.name)
        self.permissions = Permissions(self.model)
        self._validators: dict[str, RecordValidator] = {}

    def table(self, id_or_name: str) -> CompiledTable:
        """A compiled table by id or name; KeyError naming the known tables otherwise."""
        try:
            return self.model[id_or_name]
        except KeyError:
            known = ", ".join(sorted(t.name for t in self.config.tables))
            raise KeyError(f"no table {id_or_name!r}; known: {known}") from None

    def validator(self, table_id: str) -> RecordValidator:
        """The (cached) validator of a table."""
        if table_id not in self._validators:
            self._validators[table_id] = RecordValidator(self.config.table(table_id), self.types)
        return self._validators[table_id]

    def cached(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()`` once per runtime and ``key``: compiled statements and other helpers
        derived from this version's model, released with it."""
        return self.model.cached(key, build)

    @cached_property
    def max_file_size(self) -> int:
        """The configuration's file size limit (S37)."""
        return int(self.config.manifest.settings.get("max_file_size", DEFAULT_MAX_FILE_SIZE))

    @cached_property
    def count_limit(self) -> int:
        """Lists count exactly up to this many rows."""
        return int(self.config.manifest.settings.get("count_limit", DEFAULT_COUNT_LIMIT))

    @property
    def files(self) -> Any:
        """The ``uchet_files`` table."""
        return self.model.system["uchet_files"]

    @property
    def audit(self) -> Any:
        """The ``uchet_audit`` table."""
        return self.model.system["uchet_audit"]

    def dispose(self) -> None:
        """Release the compiled classes (the engine's statement cache pins them otherwise)."""
        self.model.dispose()
        self.engine.clear_compiled_cache()
