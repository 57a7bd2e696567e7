"""Records as the API shows them: the fields the caller may read, each value in its JSON form
(the field type's ``dump``), references as ids or, expanded, as ``{id, title}``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from uchet.platform.fieldtypes.base import FieldType
from uchet.platform.fieldtypes.special import FileType, ReferenceType
from uchet.platform.model.config import Table

#: System columns every record has (``created_by``/``updated_by`` are user references).
SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by")
SYSTEM_REFERENCES = frozenset({"created_by", "updated_by"})


#: How one column of a row is written: kept as is, a reference, a file, or a type's dump.
_KEEP, _REF, _FILE, _DUMP = range(4)
#: Shapes (columns, fields, expand) remembered per writer: a list asks for few shapes, and
#: a caller varying ``fields`` endlessly must not grow a worker's memory.
MAX_PLANS = 256


class RowWriter:
    """Turns the engine's rows of one table into API records.

    What to do with each column is worked out once per shape of the answer (the row's
    columns, the fields asked for, the references to expand) and reused for every row and
    request of that shape: a page of 25 rows was a quarter of the request's CPU when each
    value looked up its field and type anew."""

    def __init__(self, table: Table, types: Any):
        self.table = table
        self.kinds: dict[str, tuple[Any, Any, str]] = {}
        for f in table.fields:
            ftype = types.get(f.type)
            kind = (
                "reference"
                if isinstance(ftype, ReferenceType)
                else "file"
                if isinstance(ftype, FileType)
                else "value"
            )
            self.kinds[f.name] = (f, ftype, kind)
        self._plans: dict[tuple[Any, ...], list[tuple[str, int, Any]]] = {}

    def _plan(
        self,
        names: tuple[str, ...],
        fields: list[str] | None,
        expand: set[str] | frozenset[str],
    ) -> list[tuple[str, int, Any]]:
        key = (names, None if fields is None else tuple(fields), frozenset(expand))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        wanted = None if fields is None else {"id", "version", *fields}
        every = "*" in expand
        plan = []
        for name in names:
            if name.endswith("__title") or (wanted is not None and name not in wanted):
                continue
            found = self.kinds.get(name)
            action: tuple[int, Any]
            if name in SYSTEM_REFERENCES or (found is not None and found[2] == "reference"):
                action = (_REF, name + "__title") if every or name in expand else (_KEEP, None)
            elif found is not None and found[2] == "file":
                action = (_FILE, None)
            elif found is not None and type(found[1]).dump is not FieldType.dump:
                action = (_DUMP, found)
            else:
                action = (_KEEP, None)  # the base dump returns the value as it is
            plan.append((name, *action))
        if len(self._plans) >= MAX_PLANS:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def record(
        self,
        row: Mapping[str, Any],
        fields: list[str] | None = None,
        expand: set[str] | frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """One API record of ``row`` (``fields``: only these besides id and version)."""
        return self.records([row], fields, expand)[0]

    def records(
        self,
        rows: Sequence[Mapping[str, Any]],
        fields: list[str] | None = None,
        expand: set[str] | frozenset[str] = frozenset(),
    ) -> list[dict[str, Any]]:
        """API records of ``rows`` (rows of one query: they share their columns)."""
        out: list[dict[str, Any]] = []
        plan: list[tuple[str, int, Any]] | None = None
        names: tuple[str, ...] = ()
        for row in rows:
            keys = tuple(row)
            if plan is None or keys != names:
                names, plan = keys, self._plan(keys, fields, expand)
            item: dict[str, Any] = {}
            for name, action, extra in plan:
                value = row[name]
                if value is not None:
                    if action == _REF:
                        value = {"id": value, "title": row.get(extra)}
                    elif action == _FILE:
                        value = _file(value)
                    elif action == _DUMP:
                        value = extra[1].dump(extra[0], value)
                item[name] = value
            out.append(item)
        return out


def _file(value: Any) -> Any:
    """A stored file's description (the bytes are not inlined)."""
    if value is None:
        return None
    if isinstance(value, int):
        return {"id": value}  # the id of the stored file (uchet_files)
    if isinstance(value, Mapping):
        return {k: value[k] for k in ("id", "name", "size", "content_type") if k in value}
    return {
        k: getattr(value, k) for k in ("id", "name", "size", "content_type") if hasattr(value, k)
    }
