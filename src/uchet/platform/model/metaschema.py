"""The JSON-Schema (2020-12) meta-schemas that every configuration document must satisfy.

The schema files in ``schemas/`` are the source of truth for the configuration format;
``docs/configuration.md`` is checked against them by a test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaViolation
from referencing import Registry, Resource

from uchet.platform.model.errors import ConfigIssue

#: Document kind -> schema file name.
SCHEMA_FILES = {
    "manifest": "manifest.json",
    "table": "table.json",
    "form": "form.json",
    "print_form": "print_form.json",
    "role": "role.json",
    "report": "report.json",
    "dashboard": "dashboard.json",
    "translation": "translation.json",
    "overlay": "overlay.json",
    "message_template": "message_template.json",
}
BASE_URI = "https://uchet.dev/schemas/"


@cache
def load_schemas() -> dict[str, dict[str, Any]]:
    """Every schema shipped with the package, by file name."""
    folder = resources.files("uchet.platform.model") / "schemas"
    return {
        entry.name: json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


@cache
def _registry() -> Registry:
    resources_ = [
        (BASE_URI + name, Resource.from_contents(schema)) for name, schema in load_schemas().items()
    ]
    return Registry().with_resources(resources_)


@cache
def validator(kind: str) -> Draft202012Validator:
    """A validator for documents of ``kind`` (see :data:`SCHEMA_FILES`)."""
    schema = load_schemas()[SCHEMA_FILES[kind]]
    return Draft202012Validator(schema, registry=_registry())


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _message(error: SchemaViolation) -> str:
    """A message in words; jsonschema's own are fine except for a few cryptic ones."""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = sorted(k for k in error.instance if k not in allowed)
        return f"unknown property {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "oneOf":
        # Only labels use oneOf: say what a label may be instead of listing both branches.
        return f"{error.instance!r} is not a label: give a text or an object of locale to text"
    return error.message


def iter_issues(
    kind: str, document: Any, file: str, base_pointer: str = ""
) -> Iterator[ConfigIssue]:
    """Yield one :class:`ConfigIssue` per schema violation in ``document``."""
    errors = sorted(validator(kind).iter_errors(document), key=lambda e: list(map(str, e.path)))
    for error in errors:
        yield ConfigIssue(file, base_pointer + _pointer(error.absolute_path), _message(error))


def schema_keys() -> set[str]:
    """Every property name any meta-schema defines (the docs test checks each is documented)."""
    keys: set[str] = set()

    def walk(node: Any) -> None:
        # Walk schema keywords only: a property may itself be *named* "properties" (the
        # overlay's unset entries), and its schema must not be read as a property map.
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                keys.update(props)
                for sub in props.values():
                    walk(sub)
            for key, value in node.items():
                if key != "properties":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for schema in load_schemas().values():
        walk(schema)
    keys.discard("$schema")
    return keys
