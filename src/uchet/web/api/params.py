"""The list endpoint's query parameters, checked before the engine sees them (issue 18).

``filter[<field>]=v`` (equals) and ``filter[<field>][<op>]=v`` with the engine's operators
(:data:`uchet.platform.query.filters.OPERATORS`; ``in`` and ``between`` take comma-separated
values), ``q`` (quick search), ``sort`` (``-name,city``), ``fields`` (the fields returned),
``expand`` (references as ``{id, title}``), ``limit``, ``cursor`` (the opaque key of the
next page) and ``count`` (false: no capped total). Anything else is a 400 naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from uchet.platform.fieldtypes.special import ReferenceType
from uchet.platform.model.config import Table
from uchet.platform.query.filters import OPERATORS, Filter
from uchet.platform.query.listquery import MAX_LIMIT

#: ``filter[name]`` or ``filter[name][op]``.
_FILTER = re.compile(r"^filter\[([^\[\]]+)\](?:\[([^\[\]]+)\])?$")
#: List parameters of the API and the engine's names for them (its messages use these).
ENGINE_NAMES = {
    "q": "search",
    "sort": "sort",
    "fields": "columns",
    "cursor": "after",
    "limit": "limit",
}
SIMPLE = frozenset({*ENGINE_NAMES, "expand", "count"})
DEFAULT_LIMIT = 50
_FLAGS = {"true": True, "1": True, "false": False, "0": False}


class BadParameter(Exception):
    """A query parameter the API refuses: its name and the message id of why."""

    def __init__(self, param: str, msgid: str, **params: Any):
        super().__init__(param)
        self.name, self.msgid, self.params = param, msgid, params


@dataclass
class ListParams:
    """A list request as the engine's query options, plus what the API does with rows."""

    options: dict[str, Any] = field(default_factory=dict)
    fields: list[str] | None = None
    expand: set[str] = field(default_factory=set)
    #: Engine filter keys (a field name) -> the API parameter that gave it.
    filter_params: dict[str, str] = field(default_factory=dict)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_list(
    args: MultiDict[str, str], table: Table, is_reference: Callable[[str], bool]
) -> ListParams:
    """Check ``args`` of a list request on ``table``; :class:`BadParameter` for the first
    parameter that is wrong (the engine checks values and rights after)."""
    out = ListParams()
    filters: list[Filter] = []
    for name in args:
        match = _FILTER.match(name)
        if match:
            fname, op = match.group(1), match.group(2) or "eq"
            if op not in OPERATORS:
                raise BadParameter(name, "Unknown query parameter.")
            if not table.has_field(fname.split(".")[0]) and fname not in ("id", "version"):
                raise BadParameter(name, "Unknown field %(name)s.", name=fname.split(".")[0])
            for raw in args.getlist(name):
                value: Any = raw
                if OPERATORS[op].value in ("many",):
                    value = _split(raw)
                elif OPERATORS[op].value == "pair":
                    lo, _, hi = raw.partition(",")
                    value = [lo.strip() or None, hi.strip() or None]
                filters.append(Filter(fname, op, value))
            out.filter_params[fname] = name
        elif name not in SIMPLE:
            raise BadParameter(name, "Unknown query parameter.")
    out.options["filters"] = filters
    if args.get("q"):
        out.options["search"] = args["q"]
    if args.get("sort"):
        out.options["sort"] = _split(args["sort"])
    if args.get("fields"):
        out.fields = _split(args["fields"])
        out.options["columns"] = out.fields
    for name in _split(args.get("expand", "")):
        if name != "*" and not is_reference(name):
            raise BadParameter("expand", "The field %(name)s is not a reference.", name=name)
        out.expand.add(name)
    limit = args.get("limit", str(DEFAULT_LIMIT))
    if not limit.isdigit() or not 0 < int(limit) <= MAX_LIMIT:
        raise BadParameter("limit", "Not a whole number.")
    out.options["limit"] = int(limit)
    if args.get("cursor"):
        out.options["after"] = args["cursor"]
    count = args.get("count", "true").lower()
    if count not in _FLAGS:
        raise BadParameter("count", "Must be true or false.")
    out.options["count"] = _FLAGS[count]
    return out


def reference_test(table: Table, types: Any) -> Callable[[str], bool]:
    """Whether a field of ``table`` is a reference (a user field is one too)."""

    def test(name: str) -> bool:
        if name in ("created_by", "updated_by"):
            return True  # the users who made and last changed the record
        return table.has_field(name) and isinstance(
            types.get(table.field_by_name(name).type), ReferenceType
        )

    return test


def parameter_of(key: str, parsed: ListParams | None) -> str:
    """The API parameter an engine message's key is about."""
    for api, engine in ENGINE_NAMES.items():
        if key == engine:
            return api
    if parsed is not None and key in parsed.filter_params:
        return parsed.filter_params[key]
    return "filter" if key == "filters" else key
