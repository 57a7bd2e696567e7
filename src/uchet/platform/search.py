"""Quick search (S03, ARCHITECTURE rule 9): case-folded terms in an indexed companion table.

Each table with ``search_fields`` has a table ``<name>__sk(term, record_id)`` whose primary
key starts with ``term``. A term is a whole case-folded value or one word of it (phones: their
digits), so typing the first letters of any word finds the record, in any script and case:
"ива" and "ИВА" both find "Иванов ИП". A prefix search is then the index range
``term >= 'ива' AND term < 'ива\\U0010ffff'``, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model import Table

#: Above every character a term can hold, so ``prefix + SENTINEL`` bounds the range.
SENTINEL = "\U0010ffff"
MAX_TERM = 100


def record_terms(table: Table, values: Mapping[str, Any], types: FieldTypeRegistry) -> set[str]:
    """The search terms of one record, from its stored values by field name."""
    return terms_function(table, types)(values)


def terms_function(
    table: Table, types: FieldTypeRegistry
) -> Callable[[Mapping[str, Any]], set[str]]:
    """:func:`record_terms` for ``table`` with the fields and their types looked up once
    (a bulk load calls it for every row)."""
    sources = [
        (f.name, f, types.get(f.type).search_terms)
        for f in (table.field_by_id(field_id) for field_id in table.search_fields)
    ]

    def terms(values: Mapping[str, Any]) -> set[str]:
        found: set[str] = set()
        for name, f, search_terms in sources:
            value = values.get(name)
            if value is not None:
                found.update(search_terms(f, value))
        found.discard("")  # an empty term would match every prefix
        return found

    return terms


def term_columns(
    table: Table, types: FieldTypeRegistry
) -> Callable[[Sequence[Any], Sequence[Mapping[str, Any]]], tuple[list[str], list[Any]]]:
    """For a bulk load: the search-table rows of many new records, as two columns
    (terms, record ids) sorted by term, so their insert walks the ``(term, record_id)``
    B-tree once instead of jumping to a random page for every term. A term shared by
    several records keeps them in id order (the order they were given in)."""
    terms_of = terms_function(table, types)

    def columns(
        ids: Sequence[Any], rows: Sequence[Mapping[str, Any]]
    ) -> tuple[list[str], list[Any]]:
        pairs = [(t, rid) for rid, values in zip(ids, rows) for t in terms_of(values)]
        pairs.sort(key=_first)  # stable
        return [t for t, _ in pairs], [rid for _, rid in pairs]

    return columns


_first = itemgetter(0)


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


def ranges_condition(search_table: sa.Table, record_id: Any, ranges: list[list[Any]]) -> Any:
    """A condition on ``record_id``: records with a term in one range of every word.

    The bounds may be values or bound parameters (a list query binds them).
    """
    conditions = []
    for word_ranges in ranges:
        term = search_table.c.term
        alternatives = [sa.and_(term >= lo, term < hi) for lo, hi in word_ranges]
        sub = sa.select(search_table.c.record_id).where(sa.or_(*alternatives))
        conditions.append(record_id.in_(sub))
    return sa.and_(sa.true(), *conditions)


def prefix_condition(search_table: sa.Table, record_id: Any, text: str) -> Any:
    """A condition on ``record_id`` matching records with a term starting with every word."""
    return ranges_condition(search_table, record_id, search_ranges(text))


def term_rows(record_id: Any, terms: Iterable[str]) -> list[dict[str, Any]]:
    """Rows for the search table."""
    return [{"term": t, "record_id": record_id} for t in sorted(terms)]
