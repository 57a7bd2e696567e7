"""Schema-change operations: small data objects, one per kind of change (ARCHITECTURE rule 4).

An operation names what changes by stable ids (rule 2); the names it carries only serve to
describe it. Each is marked ``destructive`` when it can lose data. Operations are plain data
and know nothing of how they run: the :class:`~uchet.platform.schema.runner.Runner` owns the
registry of implementations, one per class (as Alembic's ``Operations.implementation_for``),
so there is no switch on strings and a plugin can replace one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.fieldtypes.base import ParseError
from uchet.platform.model.config import Configuration, Field, Table
from uchet.platform.schema.compiler import SEARCH_SUFFIX, IndexSpec

BACKUP_PREFIX = "uchet_bak_"
#: What to store instead of a value that will not convert: "abort" refuses the change.
ConversionPolicy = str | tuple[str, Any]


def backup_table_name(version: int | None, table_name: str) -> str:
    """``uchet_bak_<version>_<table>``, shortened with a hash to PostgreSQL's 63 characters."""
    name = f"{BACKUP_PREFIX}{'N' if version is None else version}_{table_name}"
    if len(name) <= 63:
        return name
    return name[:54] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def fallback_value(policy: ConversionPolicy, field: Field, types: FieldTypeRegistry) -> Any:
    """The value stored in place of one that will not convert, under ``policy``."""
    if policy == "set_null":
        return None
    if isinstance(policy, tuple) and len(policy) == 2 and policy[0] == "default":
        return types.get(field.type).parse(field, policy[1])
    raise ValueError(f"values of {field.id} will not convert and the policy is {policy!r}")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def convert_value(types: FieldTypeRegistry, old: Field, new: Field, value: Any) -> Any:
    """A stored value of ``old`` as a value of ``new``; :class:`ParseError` if impossible.

    The new type parses the value itself first (an int is a fine decimal); failing that,
    its text form (a date becomes "2024-01-31" for a string field).
    """
    if value is None:
        return None
    parse = types.get(new.type).parse
    try:
        return parse(new, value)
    except ParseError:
        if isinstance(value, str):
            raise
        return parse(new, _as_text(types.get(old.type).dump(old, value)))


# --------------------------------------------------------------------------------------------
# Operations


class Operation:
    """Base of schema-change operations. Subclasses are frozen dataclasses."""

    destructive: ClassVar[bool] = False

    def describe(self) -> str:
        """What the operation does, in plain English."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe() + (" [destructive]" if self.destructive else "")


def _type_text(f: Field) -> str:
    params = [p for p in (f.max_length, f.precision, f.scale) if p is not None]
    return f.type + (f"({','.join(map(str, params))})" if params else "")


@dataclass(frozen=True)
class CreateTable(Operation):
    """Create a table with its indexes; ``deferred`` fields are added later (cycles)."""

    table: Table
    config: Configuration = field(compare=False, repr=False)
    deferred: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"create table {self.table.name}"


@dataclass(frozen=True)
class DropTable(Operation):
    """Drop a table after copying all its rows into a backup table."""

    table_id: str
    table_name: str
    version: int | None = None
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        bak = backup_table_name(self.version, self.table_name)
        return f"drop table {self.table_name} (rows kept in {bak})"


@dataclass(frozen=True)
class RenameTable(Operation):
    """Rename a table (and its search table). Indexes are named by id and stay."""

    table_id: str
    old_name: str
    new_name: str

    def describe(self) -> str:
        return f"rename table {self.old_name} -> {self.new_name}"


@dataclass(frozen=True)
class BackupFields(Operation):
    """Copy ``id`` and the columns about to be dropped into a backup table."""

    table_id: str
    table_name: str
    field_ids: tuple[str, ...]
    field_names: tuple[str, ...]
    version: int | None = None

    def describe(self) -> str:
        cols = ", ".join(f"{self.table_name}.{n}" for n in self.field_names)
        return f"back up {cols} into {backup_table_name(self.version, self.table_name)}"


@dataclass(frozen=True)
class AddField(Operation):
    """Add a column: nullable first, filled with the default, then NOT NULL and its key."""

    table_id: str
    table_name: str
    field: Field

    def describe(self) -> str:
        return f"add field {self.table_name}.{self.field.name} ({_type_text(self.field)})"


@dataclass(frozen=True)
class DropField(Operation):
    """Drop a column (a :class:`BackupFields` step before it keeps the values)."""

    table_id: str
    table_name: str
    field_id: str
    field_name: str
    version: int | None = None
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        bak = backup_table_name(self.version, self.table_name)
        return f"drop field {self.table_name}.{self.field_name} (values kept in {bak})"


@dataclass(frozen=True)
class RenameField(Operation):
    """Rename a column (native on both databases; its indexes follow)."""

    table_id: str
    table_name: str
    field_id: str
    old_name: str
    new_name: str

    def describe(self) -> str:
        return f"rename field {self.table_name}.{self.old_name} -> {self.new_name}"


@dataclass(frozen=True)
class RetypeField(Operation):
    """Change a column's type: a new column filled with values converted in Python, then the
    old one dropped and the new one renamed (never a CAST, which zeroes bad values)."""

    table_id: str
    table_name: str
    old: Field
    new: Field
    destructive: bool = False  # type: ignore[misc]

    def describe(self) -> str:
        return (f"change type of {self.table_name}.{self.new.name}: "
                f"{_type_text(self.old)} -> {_type_text(self.new)}")  # fmt: skip


@dataclass(frozen=True)
class AlterNullable(Operation):
    """Make a field required (NOT NULL; empty values get the default) or optional."""

    table_id: str
    table_name: str
    field: Field

    def describe(self) -> str:
        state = "required" if self.field.required else "optional"
        return f"make {self.table_name}.{self.field.name} {state}"


@dataclass(frozen=True)
class ChangeReference(Operation):
    """Drop and recreate a reference's foreign key (new target or on_delete rule).

    ``stage`` splits it when the old target is dropped and the new one created in the same
    plan: ``"detach"`` drops the key early, ``"attach"`` adds the new one late.
    """

    table_id: str
    table_name: str
    old: Field
    new: Field
    stage: str = "both"

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        """A new target gives every stored id a new meaning."""
        return self.old.target != self.new.target and self.stage != "detach"

    def describe(self) -> str:
        old, new = self.old, self.new
        changes = [
            f"{p} {getattr(old, p)} -> {getattr(new, p)}"
            for p in ("target", "on_delete")
            if getattr(old, p) != getattr(new, p)
        ]
        step = {"detach": " (drop the old key)", "attach": " (add the new key)"}.get(self.stage, "")
        return f"change reference {self.table_name}.{self.new.name}: {', '.join(changes)}{step}"


@dataclass(frozen=True)
class IndexOperation(Operation):
    """Base of the four index and unique-constraint operations: same data, own verb.

    They stay separate classes because implementations are registered per class.
    """

    table_id: str
    table_name: str
    spec: IndexSpec
    #: Why a repair step runs (the live database differs from the applied configuration).
    reason: str = ""
    verb: ClassVar[str] = ""

    def describe(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.verb} {self.spec.name} on {self.table_name}{why}"


@dataclass(frozen=True)
class CreateIndex(IndexOperation):
    """Create an index."""

    verb = "create index"


@dataclass(frozen=True)
class DropIndex(IndexOperation):
    """Drop an index."""

    verb = "drop index"


@dataclass(frozen=True)
class AddUnique(IndexOperation):
    """Add a unique constraint (existing duplicates are reported before anything runs)."""

    verb = "add unique constraint"


@dataclass(frozen=True)
class DropUnique(IndexOperation):
    """Drop a unique constraint."""

    verb = "drop unique constraint"


@dataclass(frozen=True)
class CreateSearchTable(Operation):
    """Create the quick-search companion table and fill it from the data."""

    table: Table

    def describe(self) -> str:
        return f"create search table {self.table.name}{SEARCH_SUFFIX}"


@dataclass(frozen=True)
class DropSearchTable(Operation):
    """Drop the quick-search table (derived data: it can always be rebuilt)."""

    table_id: str
    table_name: str

    def describe(self) -> str:
        return f"drop search table {self.table_name}{SEARCH_SUFFIX}"


@dataclass(frozen=True)
class RebuildSearch(Operation):
    """Recompute every search term (the searched fields changed)."""

    table: Table

    def describe(self) -> str:
        return f"rebuild search terms of {self.table.name}"


@dataclass(frozen=True)
class RecreateSearchIndex(Operation):
    """Create the search table's (record_id, term) index again, dropping the one the live
    database has under its name first when ``drop`` (a repair, see
    :mod:`uchet.platform.schema.reconcile`)."""

    table_id: str
    table_name: str
    index_name: str
    drop: bool
    reason: str = ""

    def describe(self) -> str:
        verb = "recreate" if self.drop else "create"
        why = f" ({self.reason})" if self.reason else ""
        return f"{verb} index {self.index_name} on {self.table_name}{SEARCH_SUFFIX}{why}"


@dataclass(frozen=True)
class DropStoredRollup(DropField):
    """Drop the column of a stored rollup (made computed again, or removed): its values are
    derived from the child rows, so nothing is lost and no backup is kept."""

    destructive: ClassVar[bool] = False

    def describe(self) -> str:
        return (
            f"drop column {self.table_name}.{self.field_name} "
            "(a stored rollup: derived values, nothing is lost; computed when read again)"
        )


@dataclass(frozen=True)
class RecomputeRollups(Operation):
    """Compute stored rollups for every row (new, or their definition changed), with the
    stored rollups that read them, after every column exists (see :mod:`.rollups`)."""

    field_ids: tuple[str, ...]
    config: Configuration = field(compare=False, repr=False)

    def describe(self) -> str:
        return "compute stored rollups " + ", ".join(self.field_ids)
