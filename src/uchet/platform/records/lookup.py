"""Finding records beyond one's own rows, safely (S25, S36): quick lookup by name, phone
lookup across a table and its children, and the duplicate warning.

A role may grant ``lookup`` fields on a table: through these three methods (and only
these), a user sees those fields of *every* record, also outside their row rules, with
``visible=False``. So a manager about to add a client learns that it exists and who owns
it, but cannot open it: :meth:`~uchet.platform.records.service.RecordService.get`, lists, reports
and exports still apply the row rules. Rows inside the user's rules come back whole
(``visible=True``), with the fields the user may read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from uchet.platform.fieldtypes import normalize_phone
from uchet.platform.fieldtypes.scalar import PHONE_END_DIGITS, phone_end_term
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.query.listquery import Filter, run_query
from uchet.platform.schema.search import (
    SENTINEL,
    prefix_condition,
    ranges_condition,
    readable_slots,
)

if TYPE_CHECKING:
    from uchet.platform.model.config import Table
    from uchet.platform.query.listquery import QueryResult
    from uchet.platform.records.permissions import Access
    from uchet.platform.records.runtime import Runtime
    from uchet.platform.records.users import User
    from uchet.platform.schema.compiler import CompiledTable

MIN_PHONE_DIGITS = 5


@dataclass(frozen=True)
class Found:
    """A record found by a lookup. ``values`` are the fields the user may see of it;
    ``visible`` says whether it is inside the user's rows (so its card can be opened);
    ``matched`` names the fields that matched (``contacts.phone_mobile`` for a child's)."""

    id: Any
    values: dict[str, Any]
    visible: bool
    matched: tuple[str, ...] = field(default=())


class LookupMixin:
    """Lookup methods of the record service (mixed into ``RecordService``)."""

    if TYPE_CHECKING:  # provided by RecordService
        rt: Runtime
        ct: CompiledTable
        table: Table
        user: User
        locale: str

        def query(self, **options: Any) -> QueryResult: ...
        def _row_condition(self, access: Access) -> Any: ...

    # -- revealing ---------------------------------------------------------------------------
    def _lookup_access(self) -> Access:
        access = self.rt.permissions.access(self.user, self.table.id)
        if not (access.can("read") or access.lookup):
            raise PermissionDenied(f"{self.user.login} may not look up {self.table.name}")
        return access

    def _reveal(
        self, ids: Iterable[Any], matched: Mapping[Any, Iterable[str]] | None = None
    ) -> list[Found]:
        """The records ``ids`` as this user may see them, in the order given."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        access = self._lookup_access()
        inside: set[Any] = set()
        if access.can("read"):
            condition = self._row_condition(access)
            sql = self.ct.sql
            with self.rt.engine.connect() as conn:
                for i in range(0, len(ids), 500):
                    stmt = sa.select(sql.c.id).where(sql.c.id.in_(ids[i : i + 500]))
                    if condition is not None:
                        stmt = stmt.where(condition)
                    inside |= set(conn.execute(stmt).scalars())
        rows: dict[Any, tuple[dict[str, Any], bool]] = {}
        if inside:
            for chunk in _chunks(sorted(inside), 500):
                result = self.query(
                    filters=[Filter("id", "in", chunk)], limit=len(chunk), count=False
                )
                rows.update({r["id"]: (r, True) for r in result.rows})
        outside = [i for i in ids if i not in inside]
        names = [f.name for f in self.table.fields if f.name in access.lookup]
        if outside and names:
            with self.rt.engine.connect() as conn:
                for chunk in _chunks(outside, 500):
                    result = run_query(
                        self.rt.model,
                        self.table.id,
                        connection=conn,
                        columns=names,
                        readable=names,
                        filters=[Filter("id", "in", chunk)],
                        limit=len(chunk),
                        count=False,
                    )
                    for r in result.rows:
                        r.pop("version", None)
                        rows[r["id"]] = (r, False)
        matched = matched or {}
        return [
            Found(i, rows[i][0], rows[i][1], tuple(matched.get(i, ()))) for i in ids if i in rows
        ]

    # -- quick lookup ------------------------------------------------------------------------
    def lookup(
        self, text: str, limit: int = 20, fields: Sequence[str] | None = None
    ) -> list[Found]:
        """Records whose search terms start with every word of ``text``, among *all* rows
        (S25); outside the user's rows only the role's ``lookup`` fields are shown.
        ``fields`` (search field ids) narrows the search to those fields (a table's
        ``findable`` ones, issue 21)."""
        access = self._lookup_access()
        if self.ct.search is None:
            raise ValidationError({"search": [f"table {self.table.name!r} has no search fields"]})
        if not text.strip():
            return []
        # Only through the search fields the user may see on the row: a match on another
        # (a hidden tax id) would tell them the start of its value. Every row shows its
        # lookup fields; the user's own rows also the fields they may read.
        sql, search = self.ct.sql, self.ct.search
        only = self._slots(fields)
        if access.unrestricted:
            found = prefix_condition(search, sql.c.id, text, only)
        else:
            shown = _both(readable_slots(self.table, access.lookup), only)
            found = prefix_condition(search, sql.c.id, text, shown)
            if access.can("read"):
                mine = _both(readable_slots(self.table, access.readable()), only)
                own = prefix_condition(search, sql.c.id, text, mine)
                condition = self._row_condition(access)
                found = sa.or_(found, own if condition is None else sa.and_(own, condition))
        stmt = sa.select(sql.c.id).where(found).order_by(sql.c.id).limit(limit)
        with self.rt.engine.connect() as conn:
            ids = list(conn.execute(stmt).scalars())
        return self._reveal(ids)

    def _slots(self, fields: Sequence[str] | None) -> list[int] | None:
        """Positions in ``search_fields`` of ``fields`` (None: every search field)."""
        if fields is None:
            return None
        return [slot for slot, fid in enumerate(self.table.search_fields) if fid in fields]

    # -- phones ------------------------------------------------------------------------------
    def find_by_phone_end(
        self, digits: str, limit: int = 20, fields: Sequence[str] | None = None
    ) -> list[Found]:
        """Records *inside the user's rows* with a phone (of ``fields``, when given) ending
        in ``digits`` (at least :data:`PHONE_END_DIGITS`), through the index: each phone is
        also kept reversed behind a mark, so "ends in 8409" is the term range "~9048…".

        Only the user's own rows and the phone fields they may read: four digits are not a
        number, and outside one's rows a phone is matched only whole
        (:meth:`find_by_phone`), so nobody can probe another's phones a digit at a time."""
        access = self._lookup_access()
        digits = normalize_phone(digits)
        if len(digits) < PHONE_END_DIGITS:
            raise ValidationError({"phone": [f"type at least {PHONE_END_DIGITS} digits"]})
        search, sql = self.ct.search, self.ct.sql
        if search is None or not access.can("read"):
            return []
        phones = [slot for slot, fid in enumerate(self.table.search_fields)
                  if self.table.field_by_id(fid).type == "phone"]  # fmt: skip
        slots = _both(_both(phones, self._slots(fields)),
                      None if access.unrestricted
                      else readable_slots(self.table, access.readable()))  # fmt: skip
        if not slots:
            return []
        term = phone_end_term(digits)
        condition = ranges_condition(search, sql.c.id, [[(term, term + SENTINEL)]], slots)
        rows = self._row_condition(access)
        stmt = sa.select(sql.c.id).where(condition if rows is None else sa.and_(condition, rows))
        with self.rt.engine.connect() as conn:
            ids = list(conn.execute(stmt.order_by(sql.c.id).limit(limit)).scalars())
        return self._reveal(ids)

    def find_by_phone(self, text: str, limit: int = 20) -> list[Found]:
        """Records with a phone equal to ``text`` typed in any format (S36), in this table's
        phone fields or those of its child tables (a client found by its contact's mobile).

        Phone fields are matched through the quick-search index, so they must be listed in
        the table's ``search_fields``.
        """
        self._lookup_access()
        digits = normalize_phone(text)
        if len(digits) < MIN_PHONE_DIGITS:
            raise ValidationError({"phone": [f"type at least {MIN_PHONE_DIGITS} digits"]})
        wanted = {digits, digits[-10:]} if len(digits) > 10 else {digits}
        matched: dict[Any, list[str]] = {}
        with self.rt.engine.connect() as conn:
            for fid, parent in self._phone_matches(conn, self.table.id, None, wanted):
                matched.setdefault(parent, []).append(fid)
            for child, via in self.rt.config.children_of(self.table.id):
                for fid, parent in self._phone_matches(conn, child.id, via.name, wanted):
                    if parent is not None:
                        matched.setdefault(parent, []).append(fid)
        ids = sorted(matched)[:limit]
        return self._reveal(ids, matched)

    def _phone_matches(
        self, conn: Any, table_id: str, via: str | None, wanted: set[str]
    ) -> Iterable[tuple[str, Any]]:
        """(phone field id, parent id) of records of ``table_id`` with a wanted phone."""
        ct = self.rt.table(table_id)
        phones = [ct.table.field_by_id(fid) for fid in ct.table.search_fields]
        phones = [f for f in phones if f.type == "phone"]
        if ct.search is None or not phones:
            return
        candidates = sa.select(ct.search.c.record_id).where(ct.search.c.term.in_(sorted(wanted)))
        columns: list[Any] = [ct.sql.c.id, *(ct.sql.c[f.name] for f in phones)]
        if via:
            columns.append(ct.sql.c[via].label("_parent"))
        stmt = sa.select(*columns).where(ct.sql.c.id.in_(candidates)).limit(1000)
        for row in conn.execute(stmt).mappings():
            for f in phones:
                value = row[f.name]
                # A term may come from another field (a tax id with the same digits).
                if value is not None and _same_phone(value, wanted):
                    yield f.id, row["_parent"] if via else row["id"]

    # -- duplicates --------------------------------------------------------------------------
    def find_duplicates(self, values: Mapping[str, Any]) -> list[Found]:
        """Existing records sharing a value of the table's ``duplicates`` fields with
        ``values`` (a warning for the user, not an error; S25). ``values["id"]``, when given,
        is the record being edited and is not reported. Values of fields the user may not
        read are ignored: a viewer without the tax id cannot probe tax ids through it."""
        access = self._lookup_access()
        exclude = values.get("id")
        fields = [self.table.field_by_id(fid) for fid in self.table.duplicates]
        if not access.unrestricted:
            readable = access.readable() if access.can("read") else set()
            fields = [f for f in fields if f.name in readable]
        phones = [f for f in fields if f.type == "phone"]
        matched: dict[Any, list[str]] = {}
        with self.rt.engine.connect() as conn:
            for f in fields:
                raw = values.get(f.name)
                if raw in (None, ""):
                    continue
                try:
                    value = self.rt.types.get(f.type).parse(f, raw)
                except ValueError:
                    continue  # validation reports it; a bad value duplicates nothing
                if value is None:
                    continue
                for rid in self._same_value(conn, f, value, phones):
                    if rid != exclude:
                        matched.setdefault(rid, []).append(f.id)
        return self._reveal(sorted(matched), matched)

    def _same_value(self, conn: Any, f: Any, value: Any, phones: list) -> set:
        sql, search = self.ct.sql, self.ct.search
        if f.type == "phone":
            digits = normalize_phone(str(value))
            wanted = {digits, digits[-10:]} if len(digits) > 10 else {digits}
            columns = phones
        else:
            wanted = {str(value).casefold()[:100]}
            columns = [f]
        indexed = search is not None and any(c.id in self.table.search_fields for c in columns)
        stmt = sa.select(sql.c.id, *(sql.c[c.name] for c in columns))
        if indexed:
            assert search is not None
            stmt = stmt.where(
                sql.c.id.in_(sa.select(search.c.record_id).where(search.c.term.in_(sorted(wanted))))
            )
        elif f.type != "phone":
            stmt = stmt.where(sql.c[f.name] == value)
        found = set()
        for row in conn.execute(stmt.limit(1000)).mappings():
            for c in columns:
                v = row[c.name]
                if v is None:
                    continue
                same = (
                    _same_phone(v, wanted)
                    if f.type == "phone"
                    else str(v).casefold() == str(value).casefold()
                )
                if same:
                    found.add(row["id"])
        return found


def _same_phone(value: str, wanted: set[str]) -> bool:
    digits = normalize_phone(str(value))
    return digits in wanted or (len(digits) > 10 and digits[-10:] in wanted)


def _both(a: Sequence[int] | None, b: Sequence[int] | None) -> list[int] | None:
    """Slots in both lists (None: every slot)."""
    if a is None:
        return None if b is None else list(b)
    return list(a) if b is None else [s for s in a if s in b]


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
