"""What a card fetches besides itself: reference lookups, reference titles and stored files.

* ``lookup/<field>/?q=`` feeds the searchable select of a reference field (select2 ajax). It
  queries the target table through the record service as the current user, so a manager's
  lookup of clients lists only their own clients. With quick-search fields on the target it
  uses the engine's search key (the first letters of any word, case-insensitive, Cyrillic
  included, index-backed at any size); otherwise it matches the start of the title.
* ``file/<id>/<field>`` downloads a stored file of a record the user may read (S37); images
  are sent inline so a card can preview them.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from flask import abort, jsonify, request, send_file
from flask_admin.base import expose
from werkzeug.wrappers import Response

from uchet.platform.model.config import Field
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.model.numbers import as_id
from uchet.platform.query.listquery import Filter

#: The mixin's methods run on a TableView (its records(), label(), render()...).
_Base: Any = object

LOOKUP_ROWS = 20
_UNITS = {"en": ("bytes", "KB", "MB", "GB"), "ru": ("байт", "КБ", "МБ", "ГБ")}


def human_size(size: int, locale: str) -> str:
    """``10485760`` -> ``"10 MB"`` (``"10 МБ"`` in Russian)."""
    units = _UNITS.get(locale, _UNITS["en"])
    value = float(size)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            text = f"{value:.1f}".rstrip("0").rstrip(".") if unit != units[0] else str(int(value))
            return f"{text} {unit}"
        value /= 1024
    return f"{size} {units[0]}"  # pragma: no cover - the loop always returns


class LookupRoutes(_Base):
    """Reference lookups, reference titles and file downloads of a table view."""

    @expose("/lookup/<field>/")
    def lookup(self, field: str) -> Response:
        """Records a reference field may point to, matching what the user typed."""
        if not self.table.has_field(field):
            abort(404)
        f = self.table.field_by_name(field)
        if f.type == "user":
            return self._user_lookup()
        if f.type != "reference" or not f.target:
            abort(404)
        target = self.c.runtime.table(f.target).table
        if not target.title_field:
            abort(404)
        title = target.field_by_id(target.title_field).name
        text = request.args.get("q", "").strip()
        options: dict[str, Any] = {"columns": [title], "sort": [title], "limit": LOOKUP_ROWS,
                                   "count": False}  # fmt: skip
        if text and target.search_fields:
            options["search"] = text
        elif text:
            options["filters"] = [Filter(title, "startswith", text)]
        # lookup_match: the card sends its current values as m.<own field>=<value>; only
        # the configured pairs are read, and the record service checks the rights.
        for their_id, own_id in f.lookup_match.items():
            text = request.args.get("m." + self.table.field_by_id(own_id).name, "").strip()
            if not text:
                continue
            their = target.field_by_id(their_id)
            # A reference compares ids (a string would compare the title); not an id: none.
            value = as_id(text) if their.type in ("reference", "user") else text
            if value is None:
                return jsonify(results=[])
            options.setdefault("filters", []).append(Filter(their.name, "eq", value))
        try:
            rows = self.records(target.id).query(**options).rows
        except PermissionDenied:
            abort(403)
        except ValidationError:  # a value that is no id (m.client=abc): nothing matches
            rows = []
        return jsonify(results=[{"id": str(r["id"]), "text": str(r[title])} for r in rows])

    def _user_lookup(self) -> Response:
        text = request.args.get("q", "").strip().casefold()
        users = [u for u in self.c.platform.users.all()
                 if not text or u.name.casefold().startswith(text)
                 or any(w.startswith(text) for w in u.name.casefold().split())
                 or u.login.casefold().startswith(text)]  # fmt: skip
        return jsonify(results=[{"id": str(u.id), "text": u.name} for u in users[:LOOKUP_ROWS]])

    def _title_of(self, f: Field, value: Any) -> str:
        """The title of the record (or user) a reference value points to, as the user sees
        it: :class:`NotFound` when they may not see it (or ``value`` is not an id)."""
        record_id = as_id(value)
        if record_id is None:
            raise NotFound(f"{f.name} #{str(value)[:20]}")
        if f.type == "user":
            user = self.c.platform.users.get(record_id)
            if user is None:
                raise NotFound(f"user #{value}")
            return user.name
        target = self.c.runtime.table(f.target or "").table
        row = self.records(target.id).get(record_id)
        title_field = target.title_field
        return str(row.get(target.field_by_id(title_field).name) if title_field else row["id"])

    def _titles(self, form: Any, fields: list[Field]) -> dict[str, str]:
        """Titles of the references chosen in a (posted) form, to show them again."""
        titles = {}
        for f in fields:
            if f.type in ("reference", "user") and form[f.name].data:
                with contextlib.suppress(NotFound, ValueError, PermissionDenied):
                    titles[f.name] = self._title_of(f, form[f.name].data)
        return titles

    @expose("/file/<int:record_id>/<field>")
    def download(self, record_id: int, field: str) -> Any:
        """A stored file of a record the user may read (404 otherwise)."""
        try:
            found = self.records().file(record_id, field)
        except (NotFound, KeyError):
            abort(404)
        if found is None:
            abort(404)
        name, content_type, data = found
        # Images preview inline; anything else (and SVG, which may carry scripts) downloads.
        inline = content_type.startswith("image/") and content_type != "image/svg+xml"
        return send_file(io.BytesIO(data), mimetype=content_type, download_name=name,
                         as_attachment=not inline)  # fmt: skip
