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

"Contains" binds its pattern too, but stays a scan on both databases (the search table
holds prefixes of words, not substrings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from uchet.platform.fieldtypes import FieldType
from uchet.platform.schema.compiler import SEARCH_FIELD_COLUMN, CompiledModel
from uchet.platform.schema.search import MAX_TERM, SENTINEL

#: The escape character of the ``LIKE`` patterns built here.
ESCAPE = "/"


def escape_like(text: str) -> str:
    """``text`` with ``LIKE``'s wildcards (and the escape character) made literal."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


#: The collation PostgreSQL folds case under when the database's own locale is C.
PG_FOLD_COLLATION = "und-x-icu"


# --------------------------------------------------------------------------------------------
# Case folding (the module docstring of :mod:`.filters` says why each database needs this)


class fold(FunctionElement[str]):
    """Lower-case text in SQL, Unicode-aware on both databases (see the module docstring)."""

    type = sa.String()
    name = "fold"
    inherit_cache = True


# Each dialect's form is itself built from SQLAlchemy constructs, compiled in place.
@compiles(fold)
def _fold_default(element: fold, compiler: Any, **kw: Any) -> str:
    return compiler.process(sa.func.lower(*element.clauses), **kw)


@compiles(fold, "postgresql")
def _fold_postgresql(element: fold, compiler: Any, **kw: Any) -> str:
    # An explicit collation beats the column's, so this folds whatever the database locale.
    (text,) = element.clauses
    return compiler.process(sa.func.lower(sa.collate(text, PG_FOLD_COLLATION)), **kw)


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


def term_index(model: CompiledModel, expr: Any) -> TermIndex | None:
    """The search terms holding ``expr``'s whole folded value, if it is a stored column of a
    compiled table listed in its ``search_fields`` with the ordinary terms (not a phone's
    digits, not a type that is not searchable)."""
    table = getattr(expr, "table", None)
    name = getattr(expr, "name", None)
    if table is None or name is None:
        return None
    return _term_indexes(model).get((table, name))


def _term_indexes(model: CompiledModel) -> Mapping[tuple[Any, str], TermIndex]:
    def build() -> dict[tuple[Any, str], TermIndex]:
        found: dict[tuple[Any, str], TermIndex] = {}
        for ct in model:
            if ct.search is None:
                continue
            for slot, field_id in enumerate(ct.table.search_fields):
                f = ct.table.field_by_id(field_id)
                ft = model.types.get(f.type)
                if ft.searchable and type(ft).search_terms is FieldType.search_terms:
                    found[(ct.sql, f.name)] = TermIndex(ct.search, ct.sql.c.id, slot)
        return found

    return model.cached(("text_term_indexes",), build)


@dataclass(frozen=True)
class TextMatch:
    """How one text operator turns typed text into bound values and a condition.

    ``values(text)`` gives the values to bind, in order (empty when the filter keeps every
    row, or when an index cannot serve ``text``: see :meth:`indexed`); ``condition(col,
    values, index)`` the SQL, ``index`` being the field's :class:`TermIndex` or None.
    """

    values: Callable[[str, bool], tuple[str, ...]]
    condition: Callable[[Any, tuple[Any, ...], TermIndex | None], Any]

    @staticmethod
    def indexed(text: str) -> bool:
        """Whether the search terms can find every match of ``text`` (terms are cut at
        :data:`MAX_TERM` characters; an empty term is never stored)."""
        return 0 < len(text.casefold()) <= MAX_TERM


def _prefix_values(text: str, indexed: bool) -> tuple[str, ...]:
    if not text:
        return ()
    pattern = escape_like(fold_text(text)) + "%"
    if indexed and TextMatch.indexed(text):
        lo = text.casefold()
        return (pattern, lo, lo + SENTINEL)
    return (pattern,)


def _prefix_condition(col: Any, values: tuple[Any, ...], index: TermIndex | None) -> Any:
    if not values:
        return sa.true()
    like = fold(col).like(values[0], escape=ESCAPE)
    if index is None or len(values) < 3:
        return like
    term = index.search_table.c.term
    return sa.and_(index.candidates(sa.and_(term >= values[1], term < values[2])), like)


def _equal_values(text: str, indexed: bool) -> tuple[str, ...]:
    if indexed and TextMatch.indexed(text):
        return (fold_text(text), text.casefold())
    return (fold_text(text),)


def _equal_condition(col: Any, values: tuple[Any, ...], index: TermIndex | None) -> Any:
    equal = fold(col) == values[0]
    if index is None or len(values) < 2:
        return equal
    return sa.and_(index.candidates(index.search_table.c.term == values[1]), equal)


def _contains_values(text: str, indexed: bool) -> tuple[str, ...]:
    return ("%" + escape_like(fold_text(text)) + "%",) if text else ()


def _contains_condition(col: Any, values: tuple[Any, ...], index: TermIndex | None) -> Any:
    return fold(col).like(values[0], escape=ESCAPE) if values else sa.true()


#: The text operators by name (``filters.OPERATORS`` registers them).
TEXT_MATCHES: dict[str, TextMatch] = {
    "startswith": TextMatch(_prefix_values, _prefix_condition),
    "ieq": TextMatch(_equal_values, _equal_condition),
    "contains": TextMatch(_contains_values, _contains_condition),
}
