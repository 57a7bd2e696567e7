"""The parts of the OpenAPI document beyond one table's records (issue 18): the batch
update, child records and files under a record, and the reports and dashboard as JSON.

Like :mod:`.openapi`, everything is per caller: a child path appears only when the caller
may read the child table (``POST`` only when they may create in it), a file path only for a
file field they may read (``PUT``/``DELETE`` only when they may write it), and a report only
when they may run it, with its own parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from apispec import APISpec

from uchet.platform.features.reports import default_values, runnable_reports
from uchet.platform.model.config import Table, label_text
from uchet.platform.records.permissions import Access
from uchet.platform.records.users import User
from uchet.web.api.nested import FILE_TYPES, child_links
from uchet.web.context import WebContext

Problem = Callable[[str], dict[str, Any]]
Json = Callable[..., dict[str, Any]]

#: JSON Schema of a report parameter's value, by its field type (default: a string).
_PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "decimal": {"type": "string", "format": "decimal"},
    "money": {"type": "string", "format": "decimal"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}
_ROWS = {"type": "array", "items": {"type": "object"}}
_COLUMNS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "label": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["key", "label", "type"],
    },
}
_IF_MATCH = {"name": "If-Match", "in": "header", "schema": {"type": "string"}}


def listing(ref: Mapping[str, Any]) -> dict[str, Any]:
    """A page of records whose items are ``ref``."""
    return {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": dict(ref)},
            "meta": {
                "type": "object",
                "properties": {
                    "next_cursor": {"type": ["string", "null"]},
                    "total": {"type": "integer"},
                    "total_capped": {"type": "boolean"},
                },
            },
        },
    }


def bulk_update(table: Table, tag: str, problem: Problem, json: Json) -> dict[str, Any]:
    """The ``PATCH`` of a collection: many ``{id, version, ...}`` in one transaction."""
    name = table.name
    item = {
        "allOf": [
            {"$ref": f"#/components/schemas/{name}Update"},
            {"type": "object", "required": ["id", "version"],
             "properties": {"id": {"type": "integer"}, "version": {"type": "integer"}}},
        ]
    }  # fmt: skip
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {
        "tags": [tag],
        "operationId": f"bulk_update_{name}",
        "description": "All or nothing: one stale version refuses the batch (409, conflicts).",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "array", "items": item}}},
        },
        "responses": {
            "200": json(
                {"type": "object", "properties": {"data": {"type": "array", "items": ref}}}
            ),
            "409": problem("Stale versions; nothing saved"),
            "422": problem("Invalid rows; nothing saved"),
        },
    }


def add_nested(
    spec: APISpec, c: WebContext, user: User, table: Table, access: Access,
    errors: Mapping[str, Any], problem: Problem, json: Json,
    list_parameters: Callable[[Table], list[dict[str, Any]]],
) -> None:  # fmt: skip
    """The child and file paths under one record of ``table`` that ``user`` may use."""
    name, tag = table.name, c.table_label(table)
    item_id = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    permissions = c.runtime.permissions
    for segment, link in child_links(c.config, table).items():
        child_access = permissions.access(user, link.table.id)
        if not child_access.can("read"):
            continue
        child = link.table.name
        child_ref = {"$ref": f"#/components/schemas/{child}"}
        operations: dict[str, Any] = {
            "get": {
                "tags": [tag],
                "operationId": f"list_{name}_{segment.replace('.', '_')}",
                "parameters": list_parameters(link.table),
                "responses": {"200": json(listing(child_ref)), **errors},
            }
        }
        if child_access.can("create"):
            schema = {"$ref": f"#/components/schemas/{child}Create"}
            operations["post"] = {
                "tags": [tag],
                "operationId": f"create_{name}_{segment.replace('.', '_')}",
                "description": f"The reference {link.ref.name} is set to the parent record.",
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": schema}}},
                "responses": {"201": json(child_ref, "Created"),
                              "422": problem("Invalid record"), **errors},
            }  # fmt: skip
        spec.path(f"/{name}/{{record_id}}/{segment}", operations=operations,
                  parameters=[item_id])  # fmt: skip
    readable = None if access.unrestricted else access.readable()
    writable = None if access.unrestricted else access.writable()
    for f in table.fields:
        if f.type not in FILE_TYPES or (readable is not None and f.name not in readable):
            continue
        ops: dict[str, Any] = {
            "get": {
                "tags": [tag],
                "operationId": f"download_{name}_{f.name}",
                "responses": {
                    "200": {"description": "The file",
                            "content": {"*/*": {"schema": {"type": "string",
                                                           "format": "binary"}}}},
                    **errors,
                },
            }
        }  # fmt: skip
        if access.can("update") and not f.read_only and (writable is None or f.name in writable):
            changed = {
                "200": json({"$ref": f"#/components/schemas/{name}"}),
                "409": problem("Stale version"),
                "413": problem("Too large"),
                "422": problem("Invalid file"),
                "428": problem("No version given"),
                **errors,
            }
            binary = {"type": "string", "format": "binary"}
            ops["put"] = {
                "tags": [tag],
                "operationId": f"upload_{name}_{f.name}",
                "parameters": [_IF_MATCH, {"name": "name", "in": "query",
                                           "schema": {"type": "string"},
                                           "description": "The file's name (raw body)."}],
                "requestBody": {"required": True, "content": {
                    "application/octet-stream": {"schema": binary},
                    "multipart/form-data": {"schema": {"type": "object",
                                                       "properties": {"file": binary}}},
                }},
                "responses": changed,
            }  # fmt: skip
            ops["delete"] = {
                "tags": [tag],
                "operationId": f"clear_{name}_{f.name}",
                "parameters": [_IF_MATCH],
                "responses": changed,
            }
        spec.path(f"/{name}/{{record_id}}/{f.name}", operations=ops, parameters=[item_id])


def add_figures(
    spec: APISpec, c: WebContext, user: User, locale: str, errors: Mapping[str, Any], json: Json
) -> None:
    """The reports ``user`` may run, each with its parameters, and the dashboard."""
    rt = c.runtime
    result = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "label": {"type": "string"},
                       "params": {"type": "object"}, "columns": _COLUMNS, "rows": _ROWS},
        "required": ["id", "columns", "rows"],
    }  # fmt: skip
    specs = runnable_reports(rt, user)
    spec.path("/-/reports", operations={"get": {
        "tags": ["Reports"], "operationId": "list_reports",
        "responses": {"200": json({"type": "object", "properties": {"data": _ROWS}}), **errors},
    }})  # fmt: skip
    for report in specs:
        defaults = default_values(rt, report)
        parameters = []
        for p in report.parameters:
            schema = dict(_PARAMETER_SCHEMAS.get(p.type, {"type": "string"}))
            parameters.append({"name": p.name, "in": "query", "schema": schema,
                               "description": label_text(p.label, locale, default=p.name)
                               + (f" (default: {defaults[p.name]})"
                                  if defaults.get(p.name) is not None else "")})  # fmt: skip
        spec.path(f"/-/reports/{report.id}", operations={"get": {
            "tags": ["Reports"], "operationId": f"report_{report.id}",
            "summary": label_text(report.label, locale, default=report.id),
            "parameters": parameters,
            "responses": {"200": json(result), **errors},
        }})  # fmt: skip
    dashboard = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "label": {"type": "string"},
                       "widgets": _ROWS, "others": _ROWS},
        "required": ["id", "widgets"],
    }  # fmt: skip
    spec.path("/-/dashboard", operations={"get": {
        "tags": ["Dashboard"], "operationId": "dashboard",
        "responses": {"200": json(dashboard), **errors},
    }})  # fmt: skip
    spec.path("/-/dashboard/{dashboard_id}", operations={"get": {
        "tags": ["Dashboard"], "operationId": "dashboard_by_id",
        "responses": {"200": json(dashboard), **errors},
    }}, parameters=[{"name": "dashboard_id", "in": "path", "required": True,
                     "schema": {"type": "string"}}])  # fmt: skip
