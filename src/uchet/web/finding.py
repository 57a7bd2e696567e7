"""Finding records beyond one's own rows in the web (S25, S36).

* The **Find** box in the top bar (``/-/find/?q=``) searches the manifest's
  ``lookup_tables``: a phone typed in any format ("8 (912) 345-67-89", "+7912 3456789")
  finds records by any of their phones or their child records' phones (a client by its
  contact's mobile); other text finds them by the first letters of their search fields.
  A phone that finds exactly one record the user may open opens its card, as a caller's
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

from flask import url_for

from uchet.platform.fieldtypes import normalize_phone
from uchet.platform.model.config import Field, Table
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.records.lookup import MIN_PHONE_DIGITS, Found
from uchet.web.context import WebContext
from uchet.web.display import display_text

#: Records listed per table on the Find page and in a list's panel.
FIND_LIMIT = 20
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
    """The manifest's ``lookup_tables`` the current user may read or look up."""
    tables = []
    for table_id in c.config.manifest.settings.get(SETTING, ()):
        try:
            table = c.config.table(table_id)
        except KeyError:
            continue
        access = c.access(table.id)
        if access.can("read") or access.lookup:
            tables.append(table)
    return tables


def find_groups(
    c: WebContext, text: str, limit: int = FIND_LIMIT
) -> list[tuple[Table, list[FoundItem]]]:
    """What the Find box finds for ``text``, per lookup table (the Find page and the box's
    suggestions both ask this): a phone typed in any format finds records by the *whole*
    number (:meth:`~uchet.platform.records.lookup.LookupMixin.find_by_phone`), other text by the
    first letters of the search fields the user may see
    (:meth:`~uchet.platform.records.lookup.LookupMixin.lookup`). So typing another manager's
    client's phone one digit at a time shows nothing of it until the number is complete,
    and then only that it exists and who owns it."""
    if not text:
        return []
    phone = is_phone(text)
    groups: list[tuple[Table, list[FoundItem]]] = []
    for table in lookup_tables(c):
        service = c.records(table.id)
        try:
            found = (
                service.find_by_phone(text, limit=limit)
                if phone
                else service.lookup(text, limit=limit)
            )
        except (PermissionDenied, ValidationError):
            continue  # no search fields, or no right on it after all
        if found:
            groups.append((table, present(c, table, found)))
    return groups


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
