"""The duplicate warning on cards (S25), for any table whose configuration declares
``duplicates``.

What users of Odoo and EspoCRM expect, and what this does:

* **While typing** (Odoo's live banner): ``duplicates/?name=…&phone=…[&id=]`` (GET) is
  asked by ``duplicates.js`` as the user types a compared field, and a warning above the
  form lists the existing records with the same value, also other users' records. Of those
  it shows by default only «есть у другого менеджера» and which field matched (issue 13): a
  manager learns that a tax id or phone is taken without learning whose client it is. A
  role with ``"duplicates": "lookup"`` on the table also sees what its ``lookup`` right
  allows (title, city, owner). Never a link, since their card is 404 for this user.
* **On save** (EspoCRM's "duplicates found, save anyway?"): if the values still match
  existing records and the user has not confirmed these very duplicates, nothing is saved;
  the card comes back with its input kept, the warning, and a **Save anyway** button. The
  confirmation names the set of records it was given for (a signed digest), so a change
  that finds other duplicates asks again.
* **Editing** warns only about values the user changed: a client that already shared a
  phone with another does not nag on every save.

The check runs as the user through the record service (``find_duplicates``): it compares
only fields the user may write on this card, and the ``id`` of an edited record must be
one they may open.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, jsonify, request
from flask_admin.base import expose
from werkzeug.wrappers import Response

from uchet.platform.fieldtypes import normalize_phone
from uchet.platform.model.config import Field
from uchet.platform.model.errors import PermissionDenied
from uchet.platform.model.numbers import as_id
from uchet.web.finding import FoundItem, present

#: The form field that carries the user's confirmation ("Save anyway").
CONFIRM = "uchet_duplicates_ok"
#: Records listed in a warning at most (the rest are counted).
SHOWN = 10

#: The mixin's methods run on a TableView (its records(), can(), render()...).
_Base: Any = object


@dataclass(frozen=True)
class DuplicateWarning:
    """Existing records sharing a value with the card's input."""

    items: tuple[FoundItem, ...]
    total: int
    #: Signs the set of records found; "Save anyway" sends it back.
    digest: str
    #: The user confirmed exactly this set.
    confirmed: bool = False


class DuplicateRoutes(_Base):
    """The live duplicate check of a card, and the check before a save."""

    @expose("/duplicates/")
    def duplicates(self) -> Response:
        """The warning for the values in the query string (JSON: count, html, items)."""
        if not self.table.duplicates:
            abort(404)
        record = None
        if "id" in request.args:
            record = self.get_one(as_id(request.args.get("id")) or 0)
            if record is None:
                abort(404)  # not theirs, or gone: the same answer as the card
            if not self.can("update"):
                abort(403)
        elif not self.can("create"):
            abort(403)
        fields, _ = self._form_parts()
        values = {f.name: request.args[f.name] for f in fields if f.name in request.args}
        try:
            warning = self.duplicate_warning(values, record, fields)
        except PermissionDenied:
            abort(403)
        if warning is None:
            return jsonify(count=0, html="", items=[])
        html = self.render("uchet/duplicates.html", dups=warning, can_save=True)
        items = [
            {"title": i.title, "fields": [list(f) for f in i.fields], "visible": i.visible,
             "url": i.url, "matched": list(i.matched)}
            for i in warning.items
        ]  # fmt: skip
        return jsonify(count=warning.total, html=html, items=items)

    def duplicate_fields(self, fields: list[Field]) -> list[Field]:
        """The compared fields among the card's inputs (the ones the user may write)."""
        compared = set(self.table.duplicates)
        return [f for f in fields if f.id in compared]

    def duplicate_warning(
        self, values: Mapping[str, Any], record: Mapping[str, Any] | None, fields: list[Field]
    ) -> DuplicateWarning | None:
        """The warning for a card's ``values`` (None: no duplicates). For an edited
        ``record`` only the values that differ from it are compared."""
        check: dict[str, Any] = {}
        for f in self.duplicate_fields(fields):
            value = values.get(f.name)
            if value in (None, ""):
                continue
            if record is not None and _same(f, record.get(f.name), value):
                continue
            check[f.name] = value
        if not check:
            return None
        if record is not None:
            check["id"] = record["id"]
        found = self.records().find_duplicates(check)
        if not found:
            return None
        digest = self._digest([f.id for f in found])
        confirmed = hmac.compare_digest(request.form.get(CONFIRM, ""), digest)
        items = present(self.c, self.table, found[:SHOWN])
        if self.c.access(self.table.id).duplicates != "lookup":
            items = [i if i.visible else self._exists_only(i) for i in items]
        return DuplicateWarning(tuple(items), len(found), digest, confirmed)

    def _exists_only(self, item: FoundItem) -> FoundItem:
        """A record outside the user's rows, reduced to the fact that it exists and which of
        the typed values matched: that is the point of the warning."""
        title = self.c.gettext("Exists at another manager")
        return FoundItem(title=title, fields=(), visible=False, url=None, matched=item.matched)

    def _digest(self, ids: list[Any]) -> str:
        """A signature of the records found, so a confirmation holds for them only (and
        reveals no ids of records the user may not open)."""
        key = self.c.settings.secret_key.encode()
        text = f"{self.table.id}:{','.join(str(i) for i in sorted(ids))}"
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def _same(f: Field, stored: Any, typed: Any) -> bool:
    """Whether a typed value is the stored one (phones by their digits, text ignoring case
    and surrounding spaces)."""
    if stored is None:
        return False
    if f.type == "phone":
        return normalize_phone(str(stored)) == normalize_phone(str(typed))
    return str(stored).strip().casefold() == str(typed).strip().casefold()
