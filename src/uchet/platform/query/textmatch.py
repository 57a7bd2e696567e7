"""Text filters a database can serve from an index (issue 12): starts with, equals ignoring
case, contains.

A text filter compares :class:`~uchet.platform.query.filters.fold`-ed text, Cyrillic
included («Сев» finds «СЕВЕРНЫЙ»). Neither database folds Cyrillic in an index by itself,
and on SQLite ``fold`` is a Python function, called once per row it looks at: a "starts
with" over 100,000 clients was 190,000 Python calls a page. Two things make it cheap:

* **Bound values.** What the user typed becomes bound parameters (a ``LIKE`` pattern
  escaped here, the folded text, the term range), never part of the SQL, so every prefix
  typed shares one statement and one entry in each cache (the statement LRU of the model
  version, SQLAlchemy's compiled cache).
* **The search index as a candidate set.** A field in the table's ``search_fields`` has its
  whole case-folded value stored as a term of ``<table>__sk`` at write time
  (:mod:`uchet.platform.schema.search`; the term column sorts by code point on both
  databases). "Starts with «Сев»" is then the primary-key range
  ``term >= 'сев' AND term < 'сев\\U0010ffff'`` of that field's terms, and "equals «Сев»
  ignoring case" is ``term = 'сев'``. Word terms and ``casefold``'s extra foldings (ß/ss)
  may add candidates, never lose one, so the exact folded comparison still runs, on the
  candidates only: the rows are exactly those of the comparison alone.

* **Folded-key indexes** (:mod:`uchet.platform.schema.textkeys`) on the other key fields
  (list filters, ``indexed`` fields): on SQLite an index on ``fold(column)``, which "starts
  with" reads as the range ``fold(column) >= 'сев' AND fold(column) < 'сев\U0010ffff'``
  next to its ``LIKE``; on PostgreSQL a trigram index, which serves the ``LIKE`` (and
  "contains", and equality) as it stands.

"Contains" binds its pattern too; it is a scan on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from uchet.platform.schema.compiler import SEARCH_FIELD_COLUMN, CompiledModel
from uchet.platform.schema.search import MAX_TERM, SENTINEL
from uchet.platform.schema.textkeys import PG_FOLD_COLLATION, fold, key_fields, whole_value_terms

__all__ = [
    "PG_FOLD_COLLATION", "TEXT_MATCHES", "Index", "KeyIndex", "TermIndex", "fold", "fold_text"
]  # fmt: skip

#: The escape character of the ``LIKE`` patterns built here.
ESCAPE = "/"


def escape_like(text: str) -> str:
    """``text`` with ``LIKE``'s wildcards (and the escape character) made literal."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def fold_text(value: str) -> str:
    """Fold a Python string the way :class:`fold` folds SQL text (``str.lower``, as SQL)."""
    return value.lower()


@dataclass(frozen=True)
class TermIndex:
    """Where a text field's whole folded values are stored as search terms."""

    search_table: sa.Table
    record_id: Any
    slot: int

    def candidates(self, condition: Any) -> Any:
        """Records having a term of this field that meets ``condition`` (on ``term``)."""
        sk = self.search_table
        return self.record_id.in_(
            sa.select(sk.c.record_id).where(condition, sk.c[SEARCH_FIELD_COLUMN] == self.slot)
        )


@dataclass(frozen=True)
class KeyIndex:
    """A SQLite index on ``fold(column)`` (:mod:`uchet.platform.schema.textkeys`)."""

    def prefix(self, col: Any, lo: Any, hi: Any) -> Any:
        """The index range holding every folded value that starts with ``lo``."""
        key = fold(col)
        return sa.and_(key >= lo, key < hi)


#: What serves a text filter on a column, if anything does.
Index = TermIndex | KeyIndex


def term_index(model: CompiledModel, expr: Any) -> Index | None:
    """What serves a text filter on ``expr``: the search terms holding its whole folded
    value (a stored column listed in ``search_fields`` with the ordinary terms), or, on
    SQLite, its folded-key index; None for a column neither serves."""
    table = getattr(expr, "table", None)
    name = getattr(expr, "name", None)
    if table is None or name is None:
        return None
    return _text_indexes(model).get((table, name))


def _text_indexes(model: CompiledModel) -> Mapping[tuple[Any, str], Index]:
    def build() -> dict[tuple[Any, str], Index]:
        found: dict[tuple[Any, str], Index] = {}
        for ct in model:
            if ct.search is not None:
                for name, slot in whole_value_terms(ct.table, model.types).items():
                    found[(ct.sql, name)] = TermIndex(ct.search, ct.sql.c.id, slot)
            if model.dialect == "sqlite":
                for name in key_fields(ct.table, model.types, model.dialect):
                    found.setdefault((ct.sql, name), KeyIndex())
        return found

    return model.cached(("text_term_indexes",), build)


@dataclass(frozen=True)
class TextMatch:
    """How one text operator turns typed text into bound values and a condition.

    ``values(text)`` gives the values to bind, in order (empty when the filter keeps every
    row, or when an index cannot serve ``text``: see :meth:`indexed`); ``condition(col,
    values, index)`` the SQL, ``index`` being the field's :class:`TermIndex` or None.
    """

    values: Callable[[str, Index | None], tuple[str, ...]]
    condition: Callable[[Any, tuple[Any, ...], Index | None], Any]

    @staticmethod
    def indexed(text: str) -> bool:
        """Whether the search terms can find every match of ``text`` (terms are cut at
        :data:`MAX_TERM` characters; an empty term is never stored)."""
        return 0 < len(text.casefold()) <= MAX_TERM


def _prefix_values(text: str, index: Index | None) -> tuple[str, ...]:
    if not text:
        return ()
    pattern = escape_like(fold_text(text)) + "%"
    if isinstance(index, KeyIndex):
        lo = fold_text(text)
        return (pattern, lo, lo + SENTINEL)
    if index is not None and TextMatch.indexed(text):
        lo = text.casefold()
        return (pattern, lo, lo + SENTINEL)
    return (pattern,)


def _prefix_condition(col: Any, values: tuple[Any, ...], index: Index | None) -> Any:
    if not values:
        return sa.true()
    like = fold(col).like(values[0], escape=ESCAPE)
    if index is None or len(values) < 3:
        return like
    if isinstance(index, KeyIndex):
        return sa.and_(index.prefix(col, values[1], values[2]), like)
    term = index.search_table.c.term
    return sa.and_(index.candidates(sa.and_(term >= values[1], term < values[2])), like)


def _equal_values(text: str, index: Index | None) -> tuple[str, ...]:
    # fold(column) = text: a folded-key index serves it as it stands.
    if isinstance(index, TermIndex) and TextMatch.indexed(text):
        return (fold_text(text), text.casefold())
    return (fold_text(text),)


def _equal_condition(col: Any, values: tuple[Any, ...], index: Index | None) -> Any:
    equal = fold(col) == values[0]
    if not isinstance(index, TermIndex) or len(values) < 2:
        return equal
    return sa.and_(index.candidates(index.search_table.c.term == values[1]), equal)


def _contains_values(text: str, index: Index | None) -> tuple[str, ...]:
    return ("%" + escape_like(fold_text(text)) + "%",) if text else ()


def _contains_condition(col: Any, values: tuple[Any, ...], index: Index | None) -> Any:
    return fold(col).like(values[0], escape=ESCAPE) if values else sa.true()


#: The text operators by name (``filters.OPERATORS`` registers them).
TEXT_MATCHES: dict[str, TextMatch] = {
    "startswith": TextMatch(_prefix_values, _prefix_condition),
    "ieq": TextMatch(_equal_values, _equal_condition),
    "contains": TextMatch(_contains_values, _contains_condition),
}
