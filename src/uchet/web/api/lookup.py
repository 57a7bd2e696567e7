"""``GET /api/v1/-/lookup/phone?number=…``: who is calling (issue 18, point 7; S36, S42).

The number may be typed in any format (``+7 (912) 345-67-89``, ``89123456789``…). It is
looked up with the engine's :meth:`~uchet.platform.records.lookup.LookupMixin.find_by_phone`
in the manifest's ``lookup_tables`` the caller may read or look up, as the caller: a record
outside their rows comes without its card's URL and with the role's lookup fields only.
A client found by a contact's phone names the contact's field in ``matched``; a contact
found directly carries its client as ``{id, title}``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from werkzeug.wrappers import Response

from uchet.platform.model.errors import PermissionDenied
from uchet.platform.records.service import RecordService
from uchet.web.api.callers import caller
from uchet.web.api.problems import Problem
from uchet.web.api.resources import api_view, json_response
from uchet.web.api.rows import RowWriter
from uchet.web.api.texts import api_text
from uchet.web.context import WebContext
from uchet.web.finding import SETTING


def phone_lookup(c: WebContext) -> Response:
    """The records whose phone is the ``number`` parameter, per lookup table."""
    who = caller(c)
    unknown = set(request.args) - {"number"}
    if unknown:
        name = sorted(unknown)[0]
        detail = api_text(c, who.locale, "Unknown query parameter.")
        raise Problem(400, detail, invalid_params=[{"name": name, "reason": detail}])
    number = request.args.get("number", "").strip()
    if not number:
        detail = api_text(c, who.locale, "Give the number parameter.")
        raise Problem(400, detail, invalid_params=[{"name": "number", "reason": detail}])
    found: list[dict[str, Any]] = []
    for table_id in c.config.manifest.settings.get(SETTING, ()):
        table = c.config.table(table_id)
        service = RecordService(c.runtime, table.id, who.user, who.locale)
        try:
            matches = service.find_by_phone(number)
        except PermissionDenied:
            continue  # neither read nor lookup right on this table
        writer = RowWriter(table, c.runtime.types)
        title = table.field_by_id(table.title_field).name if table.title_field else None
        for f in matches:
            found.append(
                {
                    "table": table.name,
                    "id": f.id,
                    "title": f.values.get(title) if title else None,
                    "visible": f.visible,
                    "matched": list(f.matched),
                    "url": url_for(f"t_{table.name}.edit_view", id=f.id, _external=True)
                    if f.visible
                    else None,
                    "record": writer.record(f.values, expand={"*"}),
                }
            )
    return json_response({"data": found})


def register(bp: Blueprint, c: WebContext) -> None:
    """Add the telephony endpoint to ``bp`` (before the table routes: ``-`` is no table)."""
    bp.add_url_rule(
        "/-/lookup/phone", "lookup_phone", api_view(lambda: phone_lookup(c)), methods=["GET"]
    )
