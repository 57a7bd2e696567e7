"""The OpenAPI 3.1 document of the API, per configuration version and per caller (issue 18,
point 3): only the tables the caller may read, only the fields they may read (records) or
write (input), and only the operations their rights allow.

It is built with apispec. Record *input* schemas go through apispec's marshmallow plugin
from the very marshmallow fields that validate writes (``FieldType.marshmallow_field``), so
lengths, ranges and choices come from the validators themselves; the JSON type and format
of each field type come from :data:`TYPE_SCHEMAS`, a registry keyed by field-type class
(an ISV's subclass of a built-in type inherits its entry, and may register its own).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema
from marshmallow import fields as mm

from uchet.platform.fieldtypes import scalar, special
from uchet.platform.fieldtypes.base import FieldType, ParsedField
from uchet.platform.model.config import Field, Table
from uchet.platform.query.filters import OPERATORS
from uchet.platform.records.permissions import Access
from uchet.platform.records.users import User
from uchet.web.api import openapi_more as more
from uchet.web.context import WebContext

LOCAL_DATE_TIME = {
    "type": "string",
    "format": "local-date-time",
    "description": "ISO 8601 local date and time of the site, without an offset.",
}
#: JSON Schema of a value, by field-type class (the nearest class in the MRO wins).
TYPE_SCHEMAS: dict[type[FieldType], dict[str, Any]] = {
    scalar.StringType: {"type": "string"},
    scalar.EmailType: {"type": "string", "format": "email"},
    scalar.UrlType: {"type": "string", "format": "uri"},
    scalar.ColorType: {"type": "string", "pattern": "^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$"},
    scalar.PhoneType: {"type": "string", "format": "phone"},
    scalar.IntegerType: {"type": "integer"},
    # Decimals are answered as strings (no float rounding of money); numbers are accepted.
    scalar.DecimalType: {"type": "string", "format": "decimal"},
    scalar.BooleanType: {"type": "boolean"},
    scalar.DateType: {"type": "string", "format": "date"},
    # Times are stored as the site's local time, without an offset, so not RFC 3339's
    # "date-time" (which needs one): ISO 8601 ``2025-03-07T10:00:00``.
    scalar.DateTimeType: LOCAL_DATE_TIME,
    scalar.TimeType: {"type": "string", "format": "time"},
    special.ChoiceType: {"type": "string"},
    special.ReferenceType: {"type": "integer"},
    special.FileType: {"type": "object"},
    special.JsonType: {},
}
_INPUT_OVERRIDES: dict[type[FieldType], dict[str, Any]] = {
    scalar.DecimalType: {"type": ["string", "number"], "format": "decimal"},
    special.FileType: {
        "type": "object",
        "description": "A new file: name, data (base64) and content_type; or {id} to keep one.",
    },
}
_REF = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "title": {"type": ["string", "null"]}},
    "required": ["id"],
}
PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "invalid_params": {"type": "array", "items": {"type": "object"}},
        "errors": {"type": "array", "items": {"type": "object"}},
        "rows": {"type": "array", "items": {"type": "object"}},
        "current": {"type": ["object", "null"]},
        "conflicts": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["title", "status"],
}


def type_schema(ftype: FieldType, field: Field, *, writing: bool = False) -> dict[str, Any]:
    """The JSON Schema of ``field``'s values (its type's entry, choices as an enum)."""
    if isinstance(ftype, special.ComputedType):
        ftype = ftype.result(field)
    found: dict[str, Any] = {}
    for cls in type(ftype).__mro__:
        if writing and cls in _INPUT_OVERRIDES:
            found = _INPUT_OVERRIDES[cls]
            break
        if cls in TYPE_SCHEMAS:
            found = TYPE_SCHEMAS[cls]
            break
    schema = copy.deepcopy(found)
    if field.choices:
        schema["enum"] = [c.value for c in field.choices]
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _parsed_field(self: Any, field: mm.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec's attribute function for uchet's :class:`ParsedField`: the type's schema."""
    if not isinstance(field, ParsedField):
        return {}
    schema = type_schema(field.ftype, field.field_def, writing=True)
    return _nullable(schema) if field.allow_none else schema


def record_schema(c: WebContext, table: Table, access: Access) -> dict[str, Any]:
    """The schema of a record as the caller reads it."""
    readable = None if access.unrestricted else access.readable()
    props: dict[str, Any] = {
        "id": {"type": "integer"},
        "version": {"type": "integer"},
        "created_at": LOCAL_DATE_TIME,
        "updated_at": LOCAL_DATE_TIME,
        "created_by": {"oneOf": [{"type": "integer"}, _REF, {"type": "null"}]},
        "updated_by": {"oneOf": [{"type": "integer"}, _REF, {"type": "null"}]},
    }
    for f in table.fields:
        if readable is not None and f.name not in readable:
            continue
        ftype = c.runtime.types.get(f.type)
        schema = type_schema(ftype, f)
        if isinstance(ftype, special.ReferenceType):
            schema = {"oneOf": [schema, _REF, {"type": "null"}]}
        else:
            schema = _nullable(schema)
        label = c.label(f.label, f.name)
        props[f.name] = {**schema, "title": label}
    return {
        "type": "object",
        "title": c.table_label(table),
        "properties": props,
        "required": ["id", "version"],
    }


def input_schema(
    c: WebContext, table: Table, access: Access, locale: str, creating: bool
) -> type[Schema]:
    """The marshmallow schema of what the caller may write (the validating fields)."""
    writable = None if access.unrestricted else access.writable()
    fields: dict[str, mm.Field] = {}
    for f in table.fields:
        ftype = c.runtime.types.get(f.type)
        if not ftype.stored or f.read_only or (writable is not None and f.name not in writable):
            continue
        mm_field = ftype.marshmallow_field(f, locale)
        mm_field.required = creating and f.required and f.default is None
        mm_field.metadata = {**mm_field.metadata, "title": c.label(f.label, f.name)}
        fields[f.name] = mm_field
    if not creating:
        fields["version"] = mm.Integer(
            metadata={"description": "The version edited (or If-Match)."}
        )
    suffix = "Create" if creating else "Update"
    return Schema.from_dict(fields, name=f"{table.name}{suffix}")


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _json(schema: Mapping[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": dict(schema)}}}


def _list_parameters(table: Table) -> list[dict[str, Any]]:
    ops = ", ".join(OPERATORS)
    params: list[dict[str, Any]] = [
        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Quick search."},
        {
            "name": "sort",
            "in": "query",
            "schema": {"type": "string"},
            "description": "Fields, comma-separated; a leading - sorts descending.",
        },
        {
            "name": "fields",
            "in": "query",
            "schema": {"type": "string"},
            "description": "The fields returned, comma-separated (id and version always).",
        },
        {
            "name": "expand",
            "in": "query",
            "schema": {"type": "string"},
            "description": "References returned as {id, title}, comma-separated, or *.",
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
        },
        {
            "name": "cursor",
            "in": "query",
            "schema": {"type": "string"},
            "description": "meta.next_cursor of the previous page.",
        },
        {
            "name": "count",
            "in": "query",
            "schema": {"type": "boolean"},
            "description": "false: no (capped) total.",
        },
    ]
    for f in table.fields:
        params.append(
            {
                "name": f"filter[{f.name}]",
                "in": "query",
                "schema": {"type": "string"},
                "description": f"Equals; filter[{f.name}][op] with op one of: {ops}.",
            }
        )
    return params


def build_document(c: WebContext, user: User, locale: str, server: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``user`` in ``locale``, served at ``server``."""
    manifest = c.config.manifest
    spec = APISpec(
        title=c.label(manifest.title, manifest.name),
        version=f"{manifest.version}+config.{c.runtime.version}",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        servers=[{"url": server}],
        components={
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token.",
                },
            }
        },
        security=[{"token": []}],
    )
    plugin = spec.plugins[0]
    assert isinstance(plugin, MarshmallowPlugin) and plugin.converter is not None
    plugin.converter.add_attribute_function(_parsed_field)
    spec.components.schema("Problem", PROBLEM)
    spec.components.schema("Ref", _REF)
    errors = {
        "400": _problem("Bad query parameter or body"),
        "401": _problem("No valid token"),
        "403": _problem("Not allowed"),
        "404": _problem("No such record, or not visible"),
    }
    permissions = c.runtime.permissions
    for table in c.config.tables:
        access = permissions.access(user, table.id)
        if not access.can("read"):
            continue
        name = table.name
        spec.components.schema(name, record_schema(c, table, access))
        ref = {"$ref": f"#/components/schemas/{name}"}
        listing = {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": ref},
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
        tag = c.table_label(table)
        collection: dict[str, Any] = {
            "get": {
                "tags": [tag],
                "operationId": f"list_{name}",
                "parameters": _list_parameters(table),
                "responses": {"200": _json(listing), **errors},
            }
        }
        item_id = {
            "name": "record_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer"},
        }
        item: dict[str, Any] = {
            "get": {
                "tags": [tag],
                "operationId": f"get_{name}",
                "parameters": [{"name": "expand", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _json(ref), **errors},
            },
        }
        if access.can("create"):
            spec.components.schema(
                f"{name}Create", schema=input_schema(c, table, access, locale, True)
            )
            body = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}Create"}}
                },
            }
            collection["post"] = {
                "tags": [tag],
                "operationId": f"create_{name}",
                "requestBody": body,
                "responses": {
                    "201": _json(ref, "Created"),
                    "422": _problem("Invalid record"),
                    **errors,
                },
            }
            spec.path(
                f"/{name}/-/bulk",
                operations={
                    "post": {
                        "tags": [tag],
                        "operationId": f"bulk_create_{name}",
                        "requestBody": {
                            "required": True,
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": f"#/components/schemas/{name}Create"},
                                    }
                                }
                            },
                        },
                        "responses": {
                            "201": _json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "ids": {"type": "array", "items": {"type": "integer"}}
                                    },
                                },
                                "Created",
                            ),
                            "422": _problem("Invalid rows; nothing saved"),
                            **errors,
                        },
                    }
                },
            )
        if access.can("update"):
            spec.components.schema(
                f"{name}Update", schema=input_schema(c, table, access, locale, False)
            )
            collection["patch"] = more.bulk_update(table, tag, _problem, _json)
            item["patch"] = {
                "tags": [tag],
                "operationId": f"update_{name}",
                "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{name}Update"}
                        }
                    },
                },
                "responses": {
                    "200": _json(ref),
                    "409": _problem("Stale version"),
                    "422": _problem("Invalid record"),
                    "428": _problem("No version given"),
                    **errors,
                },
            }
        if access.can("delete"):
            item["delete"] = {
                "tags": [tag],
                "operationId": f"delete_{name}",
                "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
                "responses": {
                    "204": {"description": "Deleted"},
                    "409": _problem("Stale version"),
                    **errors,
                },
            }
        spec.path(f"/{name}", operations=collection)
        spec.path(f"/{name}/{{record_id}}", operations=item, parameters=[item_id])
        more.add_nested(spec, c, user, table, access, errors, _problem, _json, _list_parameters)
    more.add_figures(spec, c, user, locale, errors, _json)
    spec.path(
        "/-/lookup/phone",
        operations={
            "get": {
                "tags": ["Telephony"],
                "operationId": "lookup_phone",
                "parameters": [
                    {
                        "name": "number",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "data": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "table": {"type": "string"},
                                            "id": {"type": "integer"},
                                            "title": {"type": ["string", "null"]},
                                            "visible": {"type": "boolean"},
                                            "matched": {
                                                "type": "array",
                                                "items": {"type": "string"},
                                            },
                                            "url": {"type": ["string", "null"]},
                                            "record": {"type": "object"},
                                        },
                                    },
                                }
                            },
                        }
                    ),
                    **errors,
                },
            }
        },
    )
    return spec.to_dict()
