"""Which column of an imported file goes to which field, and how references are matched
(issue 17, point 2).

A :class:`Mapping` is plain data (JSON round-trips through :meth:`Mapping.to_json`), so the
browser edits it and a saved one is reused by the screen and ``uchet import --mapping``.
:func:`auto_mapping` proposes one: a column goes to the field whose name, id or label in any
locale it spells, ignoring case, blanks, punctuation and ё/е.

A reference column holds what people see: the target's title («VIP») or another key field
of it (a manager's login). :class:`References` resolves those texts to ids through the
target table's own record service (so its read rights apply), in ``IN`` queries of a page
each; user fields are matched by login or name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from uchet.platform.model.config import Field, Table
from uchet.platform.query.filters import Filter
from uchet.platform.query.listquery import MAX_LIMIT
from uchet.platform.records.service import RecordService

#: What to do with a reference value that matches nothing: report the row, store no value,
#: or create the target record with the value as its title.
MISSING = ("error", "empty", "create")
_NOT_WORD = re.compile(r"[\W_]+")
_NOTE = re.compile(r"\([^)]*\)")
#: Field types whose values a file cannot carry.
NOT_IMPORTED = frozenset({"file", "image", "formula", "rollup"})


def normalise(text: str) -> str:
    """A header or label compared loosely: «Дата рождения», "дата_рождения", "ДАТА-РОЖДЕНИЯ"
    are one."""
    return _NOT_WORD.sub("", text.casefold().replace("ё", "е"))


@dataclass
class Column:
    """Where one column of the file goes."""

    #: The field's name; None leaves the column out.
    field: str | None = None
    #: For a reference or user column: the target's field the text is matched by (None:
    #: the target's title; for users, login or name).
    key: str | None = None
    #: For a reference column: one of :data:`MISSING`.
    missing: str = "error"


@dataclass
class Mapping:
    """The columns of a file (by header) mapped to fields."""

    columns: dict[str, Column] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The mapping as JSON-able data (saved, sent to the browser)."""
        return {
            "columns": {
                header: {"field": c.field, "key": c.key, "missing": c.missing}
                for header, c in self.columns.items()
            }
        }

    @classmethod
    def from_json(cls, data: Any) -> Mapping:
        """A mapping from :meth:`to_json`'s form; a column may be given as a bare field name."""
        raw = data.get("columns", data) if isinstance(data, dict) else {}
        columns: dict[str, Column] = {}
        for header, spec in raw.items():
            if isinstance(spec, str) or spec is None:
                columns[str(header)] = Column(spec or None)
            elif isinstance(spec, dict):
                missing = spec.get("missing") or "error"
                columns[str(header)] = Column(
                    spec.get("field") or None,
                    spec.get("key") or None,
                    missing if missing in MISSING else "error",
                )
        return cls(columns)

    def fields(self) -> dict[str, str]:
        """Header -> field name, for the mapped columns."""
        return {h: c.field for h, c in self.columns.items() if c.field}


def importable_fields(table: Table, writable: Iterable[str]) -> list[Field]:
    """The fields a file may fill: stored, not files, and writable by the user."""
    allowed = set(writable)
    return [f for f in table.fields if f.type not in NOT_IMPORTED and f.name in allowed]


def auto_mapping(headers: list[str], fields: list[Field]) -> Mapping:
    """Map each header to the field it names (by name, id or a label in any locale); a
    field is taken by the first header that names it."""
    names: dict[str, Field] = {}
    for f in fields:
        labels = list(f.label.values())
        # «Лояльность (0–10)» is also spelled «Лояльность» in a file.
        labels += [_NOTE.sub("", label).strip() for label in labels]
        for spelled in (f.name, f.id.rsplit(".", 1)[-1], *labels):
            names.setdefault(normalise(spelled), f)
    taken: set[str] = set()
    mapping = Mapping()
    for header in headers:
        found = names.get(normalise(header)) if header else None
        if found is not None and found.name not in taken:
            taken.add(found.name)
            mapping.columns[header] = Column(found.name)
        else:
            mapping.columns[header] = Column(None)
    return mapping


class References:
    """Reference and user texts resolved to ids, remembered per (field, text)."""

    def __init__(self, service: RecordService):
        self.service = service
        self.rt = service.rt

    def key_field(self, f: Field, key: str | None) -> str | None:
        """The target field a reference column is matched by: ``key``, else the target's
        title field (None when the target has none: the column then holds ids)."""
        if f.type == "user":
            return None
        target = self.rt.config.table(f.target or "")
        if key:
            return target.field_by_name(key).name
        if target.title_field:
            return target.field_by_id(target.title_field).name
        return None

    def resolve(self, f: Field, key: str | None, texts: set[str]) -> dict[str, list[Any]]:
        """Text -> the ids of the records it names (none, one, or several: ambiguous)."""
        found: dict[str, list[Any]] = {}
        if not texts:
            return found
        if f.type == "user":
            users = self.rt.model.system["uchet_users"]
            folded = {t.casefold(): t for t in texts}
            with self.rt.engine.connect() as conn:
                rows = conn.execute(sa.select(users.c.id, users.c.login, users.c.name)).all()
            for uid, login, name in rows:
                for spelled in {login.casefold(), (name or "").casefold()}:
                    if spelled in folded:
                        found.setdefault(folded[spelled], []).append(uid)
            return {t: sorted(set(ids)) for t, ids in found.items()}
        name = self.key_field(f, key)
        if name is None:  # no title: the column holds ids
            return {t: [int(t)] for t in texts if t.isdigit()}
        target = RecordService(self.rt, f.target or "", self.service.user, self.service.locale)
        wanted = sorted(texts)
        for start in range(0, len(wanted), MAX_LIMIT // 2):
            chunk = wanted[start : start + MAX_LIMIT // 2]
            after: str | None = None
            while True:
                page = target.query(
                    filters=[Filter(name, "in", chunk)],
                    columns=[name],
                    limit=MAX_LIMIT,
                    after=after,
                    count=False,
                )
                for row in page.rows:
                    found.setdefault(str(row[name]), []).append(row["id"])
                if page.next_cursor is None or not page.rows:
                    break
                after = page.next_cursor
        return found
