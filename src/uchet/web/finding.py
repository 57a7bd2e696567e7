"""Finding records beyond one's own rows in the web (S25, S36).

* The **Find** box in the top bar (``/-/find/?q=``) searches the manifest's
  ``lookup_tables`` and every table marked ``findable`` (issue 21: clients, contacts,
  invoices and contracts by number, work), grouped by table: a phone typed in any format
  ("8 (912) 345-67-89", "+7912 3456789") finds records by any of their phones or their
  child records' phones (a client by its contact's mobile); four or more digits also find
  the user's own records whose phone ends in them; other text finds records by the first
  letters of their findable fields. Each table shows :data:`FIND_LIMIT` results and links
  «все результаты», its results in pages (:func:`find_page`). A phone that finds exactly
  one record of the ``lookup_tables`` the user may open opens its card, as a caller's
  number does in a telephony integration (S42); anything else lists what was found.
* A list's quick search shows, above the rows, the records *outside* the user's rows that
  the role's ``lookup`` right lets them know of (:meth:`LookupPanel.found_elsewhere`), so
  a manager typing a client's name learns that another manager has it.

Both go through the record service's lookups (:mod:`uchet.platform.records.lookup`): outside the
user's rows a record shows only its ``lookup`` fields and has no link, since its card is
404 for them. :func:`present` is the one place that turns a lookup's
:class:`~uchet.platform.records.lookup.Found` into what a screen shows, for these screens and for
the duplicate warning (:mod:`uchet.web.duplicates`). The Find page itself is
:mod:`uchet.web.findview`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for

from uchet.platform.fieldtypes import normalize_phone
from uchet.platform.fieldtypes.scalar import PHONE_END_DIGITS
from uchet.platform.model.config import Field, Table
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.records.lookup import MIN_PHONE_DIGITS, Found
from uchet.web.context import WebContext
from uchet.web.display import display_text

#: Records listed per table on the Find page (and per page of one table's «все
#: результаты») and in a list's panel.
FIND_LIMIT = 20
#: The last page of one table's results (each page re-reads those before it).
MAX_FIND_PAGE = 500
#: At most this many summary fields are shown of a record the role has no lookup fields for.
SUMMARY_FIELDS = 4
SETTING = "lookup_tables"
_PHONE_TEXT = re.compile(r"[\d\s()+\-.]+")


@dataclass(frozen=True)
class FoundItem:
    """A found record as a screen shows it."""

    title: str
    #: (label, text) of the summary fields that have a value.
    fields: tuple[tuple[str, str], ...]
    #: Inside the user's rows: ``url`` opens its card. Outside: no link, lookup fields only.
    visible: bool
    url: str | None
    #: Labels of the fields that matched (duplicate check, phone lookup).
    matched: tuple[str, ...] = ()


def is_phone(text: str) -> bool:
    """Whether ``text`` is typed like a phone: digits and ``+ - ( ) .`` and spaces only,
    with at least :data:`~uchet.platform.records.lookup.MIN_PHONE_DIGITS` digits."""
    return bool(_PHONE_TEXT.fullmatch(text)) and len(normalize_phone(text)) >= MIN_PHONE_DIGITS


def summary_fields(c: WebContext, table: Table) -> list[Field]:
    """The fields shown of a found record besides its title: the role's ``lookup`` fields
    when it has some (so a record inside and one outside the user's rows show alike),
    else the first readable list columns."""
    access = c.access(table.id)
    title = table.field_by_id(table.title_field).name if table.title_field else None
    if access.lookup:
        return [f for f in table.fields if f.name in access.lookup and f.name != title]
    readable = None if access.unrestricted else access.readable()
    columns = [table.field_by_id(i) for i in table.list_columns] or list(table.fields)
    shown = [f for f in columns if f.name != title and (readable is None or f.name in readable)]
    return shown[:SUMMARY_FIELDS]


def matched_label(c: WebContext, table: Table, field_id: str) -> str:
    """The label of a field that matched a record of ``table``; a child table's field is
    prefixed by its table ("Contact persons: Mobile phone")."""
    for owner, f in c.config.all_fields():
        if f.id == field_id:
            label = c.label(f.label, f.name)
            return label if owner.id == table.id else f"{c.table_label(owner)}: {label}"
    return field_id


def present(c: WebContext, table: Table, found: Iterable[Found]) -> list[FoundItem]:
    """What a screen shows of each found record: never more than the lookup gave (which,
    outside the user's rows, is the role's ``lookup`` fields), and a link only to a card
    the user may open."""
    title_name = table.field_by_id(table.title_field).name if table.title_field else None
    item = c.label(table.item_label or table.label, table.name)
    summary = summary_fields(c, table)
    types, locale = c.runtime.types, c.locale()
    yes_no = (c.gettext("Yes"), c.gettext("No"))
    items = []
    for f in found:
        title = f.values.get(title_name) if title_name else None
        if title is None:
            title = f"{item} #{f.id}" if f.visible else item
        texts = tuple(
            (c.label(s.label, s.name), display_text(s, f.values, types, locale, yes_no))
            for s in summary
            if s.name in f.values
        )
        items.append(
            FoundItem(
                title=str(title),
                fields=tuple((label, text) for label, text in texts if text),
                visible=f.visible,
                url=url_for(f"t_{table.name}.edit_view", id=f.id) if f.visible else None,
                matched=tuple(dict.fromkeys(matched_label(c, table, m) for m in f.matched)),
            )
        )
    return items


def lookup_tables(c: WebContext) -> list[Table]:
    """The tables the Find box searches that the current user may read or look up: the
    manifest's ``lookup_tables`` in their order, then every table the configuration marks
    ``findable`` (issue 21)."""
    ids = list(dict.fromkeys([*c.config.manifest.settings.get(SETTING, ()),
                              *(t.id for t in c.config.tables if t.findable)]))  # fmt: skip
    tables = []
    for table_id in ids:
        try:
            table = c.config.table(table_id)
        except KeyError:
            continue
        access = c.access(table.id)
        if table.search_fields and (access.can("read") or access.lookup):
            tables.append(table)
    return tables


def find_fields(table: Table) -> tuple[str, ...] | None:
    """The search fields Find uses on ``table``: its ``findable`` ones, else (a table only
    the manifest names) every search field."""
    return table.findable or None


def find_in(c: WebContext, table: Table, text: str, limit: int) -> list[Found]:
    """What Find finds in one table, at most ``limit`` records, in a stable order (so pages
    of «все результаты» follow each other): a whole phone typed in any format (also the
    phones of child records, also outside the user's rows, as a caller's number), then
    phones *ending* in the digits typed (four or more; the user's own rows only, through
    the reversed-digits index), then the first letters of the findable fields. Each step
    goes through the record service's lookups, under the same rights and leak rules."""
    service = c.records(table.id)
    fields = find_fields(table)
    found: dict[Any, Found] = {}
    digits = normalize_phone(text) if _PHONE_TEXT.fullmatch(text) else ""
    steps: list[Any] = []
    if is_phone(text):
        steps.append(lambda: service.find_by_phone(text, limit=limit))
    if len(digits) >= PHONE_END_DIGITS:
        steps.append(lambda: service.find_by_phone_end(digits, limit=limit, fields=fields))
    steps.append(lambda: service.lookup(text, limit=limit, fields=fields))
    for step in steps:
        try:
            for f in step():
                found.setdefault(f.id, f)
        except (PermissionDenied, ValidationError):
            continue  # no search fields, or no right on it after all
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


@dataclass(frozen=True)
class FoundGroup:
    """One table's results on the Find page: the items shown and whether there are more."""

    table: Table
    items: list[FoundItem]
    more: bool = False


def find_groups(
    c: WebContext, text: str, limit: int = FIND_LIMIT
) -> list[tuple[Table, list[FoundItem]]]:
    """What the Find box finds for ``text``, per table (the box's suggestions ask this):
    see :func:`find_in`. So typing another manager's client's phone one digit at a time
    shows nothing of it until the number is complete, and then only that it exists and who
    owns it."""
    return [(g.table, g.items) for g in find_all(c, text, limit)]


def find_all(c: WebContext, text: str, limit: int = FIND_LIMIT) -> list[FoundGroup]:
    """:func:`find_groups` with, per table, whether more than ``limit`` were found (the
    page then links «все результаты» of that table)."""
    if not text:
        return []
    groups = []
    for table in lookup_tables(c):
        found = find_in(c, table, text, limit + 1)
        if found:
            groups.append(FoundGroup(table, present(c, table, found[:limit]), len(found) > limit))
    return groups


def find_page(c: WebContext, table: Table, text: str, page: int,
              size: int = FIND_LIMIT) -> FoundGroup:  # fmt: skip
    """Page ``page`` (from 1) of everything Find finds in ``table``: «все результаты»."""
    page = max(1, min(page, MAX_FIND_PAGE))
    found = find_in(c, table, text, page * size + 1)
    shown = found[(page - 1) * size : page * size]
    return FoundGroup(table, present(c, table, shown), len(found) > page * size)


class LookupPanel:
    """A list's panel of records outside the user's rows that match its quick search."""

    c: WebContext
    table: Table

    def found_elsewhere(self, text: str | None) -> list[FoundItem]:
        """Records matching ``text`` that the user knows of only through the ``lookup``
        right (not the rows the list shows); empty for a user who reads every row."""
        access = self.c.access(self.table.id)
        if not text or not self.table.search_fields or not access.lookup:
            return []
        if access.unrestricted or any(not rules for rules in access.row_rules):
            return []  # every row is in the list already
        try:
            found = self.c.records(self.table.id).lookup(text, limit=FIND_LIMIT)
        except (PermissionDenied, ValidationError):
            return []
        return present(self.c, self.table, [f for f in found if not f.visible])
