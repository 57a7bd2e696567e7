"""What hangs under one record: its child records and its files (issue 18, point 1).

``/api/v1/<table>/<id>/<name>`` is either

* a **file or image field** of the record: ``GET`` downloads it, ``PUT`` uploads a new one
  (the raw body, or a ``multipart/form-data`` part named ``file``), ``DELETE`` clears it.
  Uploads are an update of the record through the record service: the field's size limit
  and type check (an image must be one) and the site's limit are those of the card's
  upload, and the record's version is required (``If-Match``), as for ``PATCH``;
* a **child table** the parent's card shows on a tab (the form's tab lists the records whose
  reference field points at this record; :func:`child_links` reads the same layout the card
  does): ``GET`` lists them with every list parameter, ``POST`` creates one with the
  reference set to the parent.

Both need the parent record to be visible to the caller (404 otherwise, as on the card),
and then the child's or the field's own rights: a manager reaches neither the contacts nor
the photo of another manager's client.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, request
from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Response

from uchet.formdesigner.model import form_document
from uchet.platform.fieldtypes import FileValue
from uchet.platform.model.config import Configuration, Field, Table
from uchet.platform.model.errors import UchetError
from uchet.platform.query.filters import Filter
from uchet.web.api.problems import Problem, from_engine_error
from uchet.web.api.resources import Resources, api_view
from uchet.web.api.texts import api_text

FILE_TYPES = frozenset({"file", "image"})
#: Content types a browser may show inline (anything else, SVG included, downloads).
_INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")


@dataclass(frozen=True)
class ChildLink:
    """A child table reachable under a parent record: its table and its reference field."""

    name: str
    table: Table
    ref: Field


def child_links(config: Configuration, table: Table) -> dict[str, ChildLink]:
    """The child tables of ``table``'s card, by their segment in the URL: the child table's
    name, or ``<child>.<field>`` when two tabs list the same child table (or the name is one
    of ``table``'s file fields). Hidden tabs are left out, as the card leaves them out."""
    doc = form_document(config.forms, table)
    by_field = {f.id: (t, f) for t in config.tables for f in t.fields}
    found: list[tuple[Table, Field]] = []
    for tab in doc.data.get("layout", ()) if doc else ():
        ref_id = tab.get("children")
        if tab.get("hidden") or not ref_id or ref_id not in by_field:
            continue
        child, ref = by_field[ref_id]
        if ref.target == table.id:
            found.append((child, ref))
    names = [t.name for t, _ in found]
    files = {f.name for f in table.fields if f.type in FILE_TYPES}
    links: dict[str, ChildLink] = {}
    for child, ref in found:
        name = child.name
        if names.count(name) > 1 or name in files:
            name = f"{child.name}.{ref.name}"
        links[name] = ChildLink(name, child, ref)
    return links


class Nested:
    """The views of ``/<table>/<id>/<name>`` for one app (one configuration version)."""

    def __init__(self, res: Resources):
        self.res, self.c = res, res.c
        # Worked out once per configuration version, not per request.
        self.children = {t.name: child_links(self.c.config, t) for t in self.c.config.tables}
        self.files = {
            t.name: {f.name: f for f in t.fields if f.type in FILE_TYPES}
            for t in self.c.config.tables
        }

    # -- dispatch ------------------------------------------------------------------------------
    def view(self, table: str, record_id: int, name: str) -> Response:
        service, who = self.res.service(table, record_id)
        if name in self.files.get(table, {}):
            return self._file(table, record_id, name)
        link = self.children.get(table, {}).get(name)
        if link is None or request.method not in ("GET", "POST"):
            if link is not None:
                raise Problem(405)
            raise Problem(404, api_text(self.c, who.locale, "No such field or child table."))
        service.get(record_id)  # the parent must be visible (404 otherwise, as on the card)
        if request.method == "GET":
            return self.res.listing(link.table.name, Filter(link.ref.name, "eq", record_id))
        return self._create_child(link, record_id)

    def _create_child(self, link: ChildLink, parent_id: int) -> Response:
        service, who = self.res.service(link.table.name)
        values = self.res._body_object(who)
        given = values.get(link.ref.name, parent_id)
        if given != parent_id:
            reason = api_text(self.c, who.locale, "The child record must reference its parent.")
            raise Problem(422, reason, errors=[{"field": link.ref.name, "messages": [reason]}])
        try:
            record = service.create({**values, link.ref.name: parent_id})
        except UchetError as exc:  # labelled with the child's fields, not the parent's
            writer = self.res.writers[link.table.name]
            raise from_engine_error(self.c, who.locale, link.table, exc, writer.record) from None
        return self.res._record(link.table.name, record, 201)

    # -- files ---------------------------------------------------------------------------------
    def _file(self, table: str, record_id: int, name: str) -> Response:
        service, who = self.res.service(table, record_id)
        if request.method == "GET":
            found = service.file(record_id, name)
            if found is None:
                raise Problem(404, api_text(self.c, who.locale, "The field holds no file."))
            filename, content_type, data = found
            disposition = "inline" if content_type in _INLINE else "attachment"
            response = Response(data, 200, mimetype=content_type)
            response.headers.set("Content-Disposition", disposition, filename=filename)
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response
        if request.method not in ("PUT", "DELETE"):
            raise Problem(405)
        version = self.res._version(who, None)
        value = None if request.method == "DELETE" else self._upload(who.locale)
        record = service.update(record_id, {name: value}, version=version)
        return self.res._record(table, record)

    def _upload(self, locale: str) -> FileValue:
        """The uploaded file: a ``file`` part of a multipart form, else the raw body named by
        ``?name=`` or the ``Content-Disposition`` header."""
        if request.mimetype == "multipart/form-data":
            part = request.files.get("file")
            if part is None or not part.filename:
                raise self._bad_upload(locale)
            data = part.read()
            return FileValue(part.filename, data, part.mimetype or "application/octet-stream")
        filename = request.args.get("name") or _disposition_name(request.headers)
        if not filename:
            raise self._bad_upload(locale)
        data = request.get_data(cache=False)
        return FileValue(filename, data, request.mimetype or "application/octet-stream")

    def _bad_upload(self, locale: str) -> Problem:
        reason = api_text(
            self.c, locale, "Send the file as the body with ?name=, or as the multipart part file."
        )
        return Problem(400, reason, invalid_params=[{"name": "file", "reason": reason}])


def _disposition_name(headers: Headers) -> str | None:
    """The file name of a ``Content-Disposition: attachment; filename=...`` request header."""
    raw = headers.get("Content-Disposition")
    if not raw:
        return None
    _value, options = parse_options_header(raw)
    name = options.get("filename")
    return str(name) if name else None


def register(bp: Blueprint, res: Resources) -> Nested:
    """Add ``/<table>/<id>/<name>`` (children and files) to ``bp``."""
    nested = Nested(res)
    bp.add_url_rule("/<table>/<api_id:record_id>/<name>", "nested", api_view(nested.view),
                    methods=["GET", "POST", "PUT", "DELETE"])  # fmt: skip
    return nested
