"""``/api/v1/<table>``: the records of every table of the live configuration (issue 18, S42).

Every call builds a :class:`~uchet.platform.records.service.RecordService` for the caller's
user, so table, field and row rights, validation, the audit trail (who: the token's user)
and the hooks apply exactly as on the screens (ARCHITECTURE rule 5). A record the caller
may not see answers 404, as the card does.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from uchet.platform.model.config import Table
from uchet.platform.model.errors import UchetError, ValidationError
from uchet.platform.model.i18n import localized
from uchet.platform.query.filters import Filter
from uchet.platform.records.service import RecordService
from uchet.web.api import params as p
from uchet.web.api.callers import ApiCaller, caller, request_locale
from uchet.web.api.jsonvalues import dumps
from uchet.web.api.problems import Problem, from_engine_error, response
from uchet.web.api.rows import RowWriter
from uchet.web.api.texts import api_text
from uchet.web.context import WebContext, ctx

JSON = "application/json"
#: The largest id a record can have (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response of ``data`` (record values in their JSON form)."""
    return Response(dumps(data), status, headers=headers or {}, mimetype=JSON)


def api_view(view: Callable[..., Response]) -> Callable[..., Response]:
    """Answer every error of ``view`` as problem details, never as a stack trace."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        c = ctx()
        try:
            return view(*args, **kwargs)
        except Problem as exc:
            return response(c, _locale(c), exc)
        except p.BadParameter as exc:
            locale = _locale(c)
            detail = api_text(c, locale, exc.msgid, **exc.params)
            return response(
                c,
                locale,
                Problem(400, detail, invalid_params=[{"name": exc.name, "reason": detail}]),
            )
        except UchetError as exc:
            locale = _locale(c)
            table = _table_of(c, kwargs)
            shown = RowWriter(table, c.runtime.types).record if table is not None else dict
            return response(c, locale, from_engine_error(c, locale, table, exc, shown))
        except HTTPException as exc:
            return response(c, _locale(c), Problem(exc.code or 500))
        except Exception:  # the caller gets a problem, the log gets the trace
            current_app.logger.exception("API request failed: %s %s", request.method, request.path)
            locale = _locale(c)
            return response(
                c,
                locale,
                Problem(500, api_text(c, locale, "The server could not finish the request.")),
            )

    return wrapped


def _locale(c: WebContext) -> str:
    try:
        return caller(c).locale
    except Problem:
        return request_locale(c)


def _table_of(c: WebContext, kwargs: dict[str, Any]) -> Table | None:
    name = kwargs.get("table")
    return _find_table(c, name) if isinstance(name, str) else None


def _find_table(c: WebContext, name: str) -> Table | None:
    return next((t for t in c.config.tables if t.name == name), None)


class Resources:
    """The record endpoints of one app (one configuration version)."""

    def __init__(self, c: WebContext):
        self.c = c
        # Built once per configuration version, not per request.
        self.writers = {t.name: RowWriter(t, c.runtime.types) for t in c.config.tables}
        self.references = {t.name: p.reference_test(t, c.runtime.types) for t in c.config.tables}

    def service(self, table: str, record_id: int | None = None) -> tuple[RecordService, ApiCaller]:
        who = caller(self.c)
        if record_id is not None and not 0 < record_id <= MAX_ID:
            # No record has such an id (and the database's integer could not hold it).
            raise Problem(
                404,
                api_text(self.c, who.locale, "The record does not exist, or you may not see it."),
            )
        found = _find_table(self.c, table)
        if found is None:
            raise Problem(
                404,
                api_text(
                    self.c, who.locale, "No table %(name)s, or you may not read it.", name=table
                ),
            )
        return RecordService(self.c.runtime, found.id, who.user, who.locale), who

    # -- views -----------------------------------------------------------------------------
    def list(self, table: str) -> Response:
        return self.listing(table)

    def listing(self, table: str, scope: Filter | None = None) -> Response:
        """A page of ``table``'s records (``scope``: only those under a parent record)."""
        service, who = self.service(table)
        parsed = p.parse_list(request.args, service.table, self.references[table])
        if scope is not None:
            parsed.options["filters"].append(scope)
        try:
            result = service.query(**parsed.options)
        except ValidationError as exc:
            raise self._bad_query(exc, parsed, who.locale) from None
        writer = self.writers[table]
        meta: dict[str, Any] = {"next_cursor": result.next_cursor}
        if parsed.options["count"]:
            meta.update(total=result.total, total_capped=result.total_capped)
        data = writer.records(result.rows, parsed.fields, parsed.expand)
        return json_response({"data": data, "meta": meta})

    def _bad_query(self, exc: ValidationError, parsed: p.ListParams, locale: str) -> Problem:
        invalid = [
            {
                "name": p.parameter_of(key, parsed),
                "reason": " ".join(localized(m, locale) for m in messages),
            }
            for key, messages in exc.messages.items()
        ]
        detail = "; ".join(f"{i['name']}: {i['reason']}" for i in invalid)
        return Problem(400, detail, invalid_params=invalid)

    def get(self, table: str, record_id: int) -> Response:
        service, _ = self.service(table, record_id)
        record = service.get(record_id)
        expand = set(p._split(request.args.get("expand", "")))
        for name in expand - {"*"}:
            if not self.references[table](name):
                raise p.BadParameter("expand", "The field %(name)s is not a reference.", name=name)
        unknown = set(request.args) - {"expand"}
        if unknown:
            raise p.BadParameter(sorted(unknown)[0], "Unknown query parameter.")
        return self._record(table, record, expand=expand)

    def _record(
        self, table: str, record: dict[str, Any], status: int = 200, expand: set[str] | None = None
    ) -> Response:
        body = self.writers[table].record(record, None, expand or set())
        headers = {"ETag": f'"{record["version"]}"'}
        if status == 201:
            headers["Location"] = f"{request.script_root}/api/v1/{table}/{record['id']}"
        return json_response(body, status, headers)

    def create(self, table: str) -> Response:
        service, who = self.service(table)
        values = self._body_object(who)
        return self._record(table, service.create(values), 201)

    def update(self, table: str, record_id: int) -> Response:
        service, who = self.service(table, record_id)
        values = self._body_object(who)
        version = self._version(who, values.pop("version", None))
        return self._record(table, service.update(record_id, values, version=version))

    def delete(self, table: str, record_id: int) -> Response:
        service, who = self.service(table, record_id)
        header = request.headers.get("If-Match")
        service.delete(record_id, version=self._version(who, None) if header else None)
        return Response(status=204)

    def bulk_create(self, table: str) -> Response:
        service, who = self.service(table)
        rows = request.get_json(silent=True)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise Problem(
                400, api_text(self.c, who.locale, "The body must be a JSON array of objects.")
            )
        ids = service.create_many(rows)
        return json_response({"ids": ids}, 201)

    def bulk_update(self, table: str) -> Response:
        """``PATCH`` on the collection: ``[{id, version, ...values}, ...]`` changed in one
        transaction through the record service; one stale version refuses them all (409
        naming each stale record), an invalid change refuses them all (422 by row)."""
        service, who = self.service(table)
        rows = request.get_json(silent=True)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise Problem(
                400, api_text(self.c, who.locale, "The body must be a JSON array of objects.")
            )
        changes = []
        for n, row in enumerate(rows):
            values = dict(row)
            rid, version = values.pop("id", None), values.pop("version", None)
            for key, value in (("id", rid), ("version", version)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    reason = api_text(
                        self.c, who.locale, "Each object needs its id and version as whole numbers."
                    )
                    raise Problem(400, reason, invalid_params=[{"name": f"[{n}].{key}",
                                                                "reason": reason}])  # fmt: skip
            if not 0 < rid <= MAX_ID:
                missing = "The record does not exist, or you may not see it."
                raise Problem(404, api_text(self.c, who.locale, missing))
            changes.append((rid, values, version))
        records = service.update_many(changes)
        writer = self.writers[table]
        return json_response({"data": writer.records(records)})

    # -- helpers ---------------------------------------------------------------------------
    def _body_object(self, who: ApiCaller) -> dict[str, Any]:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Problem(400, api_text(self.c, who.locale, "The body must be a JSON object."))
        return body

    def _version(self, who: ApiCaller, in_body: Any) -> int:
        """The version the caller edited: ``If-Match`` (``"3"`` or ``W/"3"``) or the body's."""
        header = request.headers.get("If-Match")
        raw: Any = header.removeprefix("W/").strip().strip('"') if header else in_body
        if raw is None:
            raise Problem(
                428,
                api_text(
                    self.c,
                    who.locale,
                    "Send the record's version in If-Match or in the body's version field.",
                ),
            )
        if isinstance(raw, bool) or not str(raw).isdigit():
            raise Problem(
                400,
                api_text(self.c, who.locale, "The version must be a whole number."),
                invalid_params=[
                    {
                        "name": "If-Match" if header else "version",
                        "reason": api_text(
                            self.c, who.locale, "The version must be a whole number."
                        ),
                    }
                ],
            )
        return int(raw)


def register(bp: Blueprint, c: WebContext) -> Resources:
    """Add the record endpoints to ``bp``."""
    res = Resources(c)
    bp.add_url_rule("/<table>", "list", api_view(res.list), methods=["GET"])
    bp.add_url_rule("/<table>", "create", api_view(res.create), methods=["POST"])
    bp.add_url_rule("/<table>", "bulk_update", api_view(res.bulk_update), methods=["PATCH"])
    bp.add_url_rule("/<table>/-/bulk", "bulk_create", api_view(res.bulk_create), methods=["POST"])
    bp.add_url_rule(
        "/<table>/-/bulk", "bulk_update_alias", api_view(res.bulk_update), methods=["PATCH"]
    )
    one = "/<table>/<api_id:record_id>"  # any digits: a view answers a huge id with 404
    bp.add_url_rule(one, "get", api_view(res.get), methods=["GET"])
    bp.add_url_rule(one, "update", api_view(res.update), methods=["PATCH"])
    bp.add_url_rule(one, "delete", api_view(res.delete), methods=["DELETE"])
    return res
