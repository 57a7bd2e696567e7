"""Records as the API shows them: the fields the caller may read, each value in its JSON form
(the field type's ``dump``), references as ids or, expanded, as ``{id, title}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uchet.platform.fieldtypes.special import FileType, ReferenceType
from uchet.platform.model.config import Table

#: System columns every record has (``created_by``/``updated_by`` are user references).
SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by")
SYSTEM_REFERENCES = frozenset({"created_by", "updated_by"})


class RowWriter:
    """Turns the engine's rows of one table into API records."""

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

    def record(
        self,
        row: Mapping[str, Any],
        fields: list[str] | None = None,
        expand: set[str] | frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """One API record of ``row`` (``fields``: only these besides id and version)."""
        wanted = None if fields is None else {"id", "version", *fields}
        every = "*" in expand
        out: dict[str, Any] = {}
        for name, value in row.items():
            if name.endswith("__title") or (wanted is not None and name not in wanted):
                continue
            found = self.kinds.get(name)
            is_ref = name in SYSTEM_REFERENCES or (found is not None and found[2] == "reference")
            if is_ref:
                if (every or name in expand) and value is not None:
                    value = {"id": value, "title": row.get(name + "__title")}
            elif found is not None and found[2] == "file":
                value = _file(value)
            elif found is not None and value is not None:
                value = found[1].dump(found[0], value)
            out[name] = value
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
