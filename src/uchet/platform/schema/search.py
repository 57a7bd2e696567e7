"""Quick search (S03, ARCHITECTURE rule 9): case-folded terms in an indexed companion table.

Each table with ``search_fields`` has a table ``<name>__sk(term, record_id, field)`` whose
primary key starts with ``term``. A term is a whole case-folded value or one word of it
(phones: their digits), so typing the first letters of any word finds the record, in any
script and case: "ива" and "ИВА" both find "Иванов ИП". A prefix search is then the index
range ``term >= 'ива' AND term < 'ива\\U0010ffff'``, on SQLite and PostgreSQL alike.

``field`` is the position in ``search_fields`` of the field the term came from: a user who
may not read some search field (a viewer and a client's tax id) is searched only through the
terms of the fields they may read (:func:`field_condition`), exactly.

A search page with no sort asked for is read in the order of the matched term
(:class:`MatchOrder`): the primary key's order, so the page is O(page) however many records
match; sorting every match by name costs O(matches) — ~21,000 rows for "ива" in a million
clients (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Table
from uchet.platform.schema.compiler import SEARCH_FIELD_COLUMN

#: Above every character a term can hold, so ``prefix + SENTINEL`` bounds the range.
SENTINEL = "\U0010ffff"
MAX_TERM = 100


#: A search term and the position in ``search_fields`` of the field it came from.
Term = tuple[str, int]


def record_terms(table: Table, values: Mapping[str, Any], types: FieldTypeRegistry) -> set[Term]:
    """The search terms of one record with their fields, from its stored values by name."""
    return terms_function(table, types)(values)


def terms_function(
    table: Table, types: FieldTypeRegistry
) -> Callable[[Mapping[str, Any]], set[Term]]:
    """:func:`record_terms` for ``table`` with the fields and their types looked up once
    (a bulk load calls it for every row)."""
    sources = [
        (slot, f.name, f, types.get(f.type).search_terms)
        for slot, f in enumerate(table.field_by_id(i) for i in table.search_fields)
    ]

    def terms(values: Mapping[str, Any]) -> set[Term]:
        found: set[Term] = set()
        for slot, name, f, search_terms in sources:
            value = values.get(name)
            if value is not None:
                # An empty term would match every prefix: left out.
                found.update((t, slot) for t in search_terms(f, value) if t)
        return found

    return terms


def term_columns(
    table: Table, types: FieldTypeRegistry
) -> Callable[[Sequence[Any], Sequence[Mapping[str, Any]]], tuple[list[Any], ...]]:
    """For a bulk load: the search-table rows of many new records, as three columns
    (terms, record ids, field slots) sorted by term, so their insert walks the ``(term, record_id)``
    B-tree once instead of jumping to a random page for every term. A term shared by
    several records keeps them in id order (the order they were given in)."""
    terms_of = terms_function(table, types)

    def columns(ids: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> tuple[list[Any], ...]:
        found = [(t, rid, f) for rid, values in zip(ids, rows) for t, f in terms_of(values)]
        found.sort(key=_first)  # stable
        return [t for t, _, _ in found], [rid for _, rid, _ in found], [f for _, _, f in found]

    return columns


_first = itemgetter(0)


def readable_slots(table: Table, readable: Iterable[str] | None) -> list[int] | None:
    """Positions of the search fields a user may read (by name in ``readable``); None when
    they may read every one, so a search needs no condition on the field."""
    if readable is None:
        return None
    allowed = set(readable)
    names = [table.field_by_id(i).name for i in table.search_fields]
    if all(n in allowed for n in names):
        return None
    return [slot for slot, name in enumerate(names) if name in allowed]


def normalize_query(text: str) -> list[str]:
    """The prefixes to look for: one per word typed, case-folded."""
    return [w[:MAX_TERM] for w in text.casefold().split() if w]


def search_ranges(text: str) -> list[list[tuple[str, str]]]:
    """Per word typed, the term ranges ``[lo, hi)`` that find it (a word, or a phone's digits)."""
    result = []
    for word in normalize_query(text):
        # A phone typed as "+7 (912) 3" is looked for by its digits.
        digits = "".join(ch for ch in word if ch.isdigit())
        prefixes = {word}
        if len(digits) >= 3:
            # "8 912 345" is how a Russian number is often typed; terms hold "7912345...".
            prefixes |= {digits, "7" + digits[1:]} if digits.startswith("8") else {digits}
        result.append([(p, p + SENTINEL) for p in sorted(prefixes)])
    return result


def field_condition(search_table: Any, fields: Sequence[Any] | None) -> list[Any]:
    """Conditions keeping a search to the terms of ``fields`` (slots, values or bound
    parameters; None: every field)."""
    if fields is None:
        return []
    column = search_table.c[SEARCH_FIELD_COLUMN]
    return [sa.or_(sa.false(), *(column == f for f in fields))]


def word_condition(search_table: Any, word_ranges: Sequence[tuple[Any, Any]]) -> Any:
    """Terms in one of the ranges of one typed word."""
    term = search_table.c.term
    return sa.or_(*(sa.and_(term >= lo, term < hi) for lo, hi in word_ranges))


def ranges_condition(
    search_table: sa.Table,
    record_id: Any,
    ranges: Sequence[Sequence[tuple[Any, Any]]],
    fields: Sequence[Any] | None = None,
) -> Any:
    """A condition on ``record_id``: records with a term in one range of every word, among
    the terms of ``fields`` (see :func:`field_condition`).

    The bounds may be values or bound parameters (a list query binds them).
    """
    conditions = []
    for word_ranges in ranges:
        sub = sa.select(search_table.c.record_id).where(
            word_condition(search_table, word_ranges), *field_condition(search_table, fields)
        )
        conditions.append(record_id.in_(sub))
    return sa.and_(sa.true(), *conditions)


def prefix_condition(
    search_table: sa.Table, record_id: Any, text: str, fields: Sequence[int] | None = None
) -> Any:
    """A condition on ``record_id`` matching records with a term starting with every word."""
    return ranges_condition(search_table, record_id, search_ranges(text), fields)


def distinct_matches(
    search_table: sa.Table,
    word_ranges: Sequence[tuple[Any, Any]],
    fields: Sequence[Any] | None,
    limit: Any,
    also: Sequence[Any] = (),
) -> sa.Select[Any]:
    """``count(*)`` of the records matching one word (and the conditions ``also`` on its
    rows), up to ``limit``, from the search index alone: the count of a search with no
    other condition (every record id in the search table names an existing record: its
    foreign key cascades)."""
    ids = (
        sa.select(search_table.c.record_id).distinct()
        .where(word_condition(search_table, word_ranges), *field_condition(search_table, fields),
               *also)
        .limit(limit).subquery()
    )  # fmt: skip
    return sa.select(sa.func.count()).select_from(ids)


class MatchOrder:
    """A search page in the order of the matched term (for one typed word and one range).

    The page reads the search table's primary key range ``term >= lo AND term < hi`` in key
    order, joined to the records: the first ``limit`` rows end the scan, whatever the number
    of matches. A record with several terms in the range (or one term from two fields)
    appears once, with its smallest ``(term, field)``: the others are skipped by a
    ``NOT EXISTS`` over the record's own terms (the (record_id, term) index).
    """

    def __init__(self, search_table: sa.Table, aliases: tuple[Any, Any]):
        self.search_table = search_table
        self.match, self.other = aliases

    @staticmethod
    def aliases(search_table: sa.Table) -> tuple[Any, Any]:
        """The two aliases a :class:`MatchOrder` needs (built once per model version)."""
        return search_table.alias("sk_match"), search_table.alias("sk_first")

    @property
    def term(self) -> Any:
        """The matched term: the first sort key of the page."""
        return self.match.c.term

    @property
    def record_id(self) -> Any:
        """The matched record's id: the page's tiebreaker (the next key column)."""
        return self.match.c.record_id

    def source(self, records: sa.Table) -> Any:
        """The matched terms joined to ``records``."""
        return self.match.join(records, self.match.c.record_id == records.c.id)

    def also(self, word_ranges: Sequence[tuple[Any, Any]], fields: Sequence[Any] | None) -> Any:
        """A further typed word: the matched record also has a term in its ranges (one
        probe of the (record_id, term) index per record walked)."""
        st = self.search_table.alias()  # anonymous: never the table it is correlated to
        return sa.exists().where(
            st.c.record_id == self.match.c.record_id, word_condition(st, word_ranges),
            *field_condition(st, fields),
        )  # fmt: skip

    def conditions(self, lo: Any, hi: Any, fields: Sequence[Any] | None) -> list[Any]:
        """The matched terms: in ``[lo, hi)``, of readable fields, each record's first."""
        m, o = self.match, self.other
        f = SEARCH_FIELD_COLUMN
        earlier = sa.exists().where(
            o.c.record_id == m.c.record_id, o.c.term >= lo, o.c.term <= m.c.term,
            sa.or_(o.c.term < m.c.term, o.c[f] < m.c[f]), *field_condition(o, fields),
        )  # fmt: skip
        return [m.c.term >= lo, m.c.term < hi, *field_condition(m, fields), ~earlier]


def term_rows(record_id: Any, terms: Iterable[Term]) -> list[dict[str, Any]]:
    """Rows for the search table, from ``(term, field)`` pairs."""
    return [{"term": t, "record_id": record_id, SEARCH_FIELD_COLUMN: f} for t, f in sorted(terms)]
