"""Card forms: WTForms classes generated per table, user rights and locale.

A form holds only the fields the user may write; the fields they may only read are shown as
text by the card template. Values go to the record service as the text the user typed, so
parsing and validation (and their messages) are the engine's; its errors come back onto the
inputs they belong to, and the user's input stays in the form.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import wtforms
from flask import request
from werkzeug.datastructures import MultiDict

from uchet.platform.fieldtypes import FieldTypeRegistry, FileValue
from uchet.platform.model.config import Field, Table
from uchet.web.formbase import SecureForm
from uchet.web.widgets import WidgetContext, make_input

#: Hidden input carrying the record version the user started editing (optimistic locking).
VERSION_FIELD = "uchet_version"
#: Hidden input carrying the values the user started from (JSON), to show what changed
#: meanwhile when the save meets a newer version (see :mod:`uchet.web.conflict`).
ORIGINAL_FIELD = "uchet_original"
REMOVE_SUFFIX = "__remove"
FILE_TYPES = ("file", "image")


def editable_fields(table: Table, types: FieldTypeRegistry, writable: Iterable[str] | None
                    ) -> list[Field]:  # fmt: skip
    """Fields a form edits: stored, not read-only, not hidden, writable by the user (None: all).

    A hidden field is left out of the form altogether: an input the card does not show would
    post back empty and clear the stored value on every save.
    """
    allowed = None if writable is None else set(writable)
    return [
        f
        for f in table.fields
        if types.get(f.type).stored
        and not f.read_only
        and not f.hidden
        and (allowed is None or f.name in allowed)
    ]


def form_class(
    table: Table, fields: list[Field], types: FieldTypeRegistry, wctx: WidgetContext
) -> type[SecureForm]:
    """A SecureForm (CSRF-checked) with one input per field and the version input."""
    attrs: dict[str, Any] = {f.name: make_input(f, types.get(f.type).widget, wctx) for f in fields}
    attrs[VERSION_FIELD] = wtforms.HiddenField()
    attrs[ORIGINAL_FIELD] = wtforms.HiddenField()
    return type(f"{table.name}_form", (SecureForm,), attrs)


def input_value(value: Any) -> Any:
    """A stored value as an HTML input expects it (ISO dates, plain decimals)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def input_text(value: Any) -> str:
    """A stored value as the text its input would post back (compares form and record)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "y" if value else ""
    return str(input_value(value))


def is_lookup(wf: wtforms.Field) -> bool:
    return "data-lookup" in (wf.render_kw or {})


def fill(form: SecureForm, record: Mapping[str, Any], fields: list[Field],
         no_access: str = "") -> None:  # fmt: skip
    """Put a record's values into a fresh (GET) form. A reference whose record the user may
    not read shows ``no_access`` («нет доступа») rather than its id (issue 21)."""
    titles: dict[str, str] = {}
    for f in fields:
        wf = form[f.name]
        value = record.get(f.name)
        if isinstance(wf, wtforms.FileField):
            continue
        if is_lookup(wf):
            if value is not None:
                title = record.get(f.name + "__title")
                titles[f.name] = str(title) if title is not None else (no_access or str(value))
            wf.data = "" if value is None else str(value)
            continue
        wf.data = input_value(value)
    form[VERSION_FIELD].data = record.get("version")
    form[ORIGINAL_FIELD].data = snapshot(record, fields)
    form.uchet_titles = titles


def snapshot(record: Mapping[str, Any], fields: Iterable[Field]) -> str:
    """The record's values of the form's fields as JSON of input texts (files excluded)."""
    return json.dumps(
        {f.name: input_text(record.get(f.name)) for f in fields if f.type not in FILE_TYPES},
        ensure_ascii=False,
        sort_keys=True,
    )


def read_snapshot(form: SecureForm) -> dict[str, str]:
    """The values a form started from; empty when the input is missing or tampered with."""
    try:
        data = json.loads(form[ORIGINAL_FIELD].data or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def keep_lookup_titles(form: SecureForm, titles: Mapping[str, str]) -> None:
    """After a failed POST, keep each chosen reference shown with its title."""
    existing = getattr(form, "uchet_titles", {})
    form.uchet_titles = {**titles, **existing}


def submitted_values(form: SecureForm, fields: list[Field]) -> dict[str, Any]:
    """The values to write: text as typed (empty means none), files as FileValue.

    A file input left empty keeps the stored file; ticking its "remove" box clears it.
    """
    values: dict[str, Any] = {}
    for f in fields:
        wf = form[f.name]
        if isinstance(wf, wtforms.FileField):
            upload = request.files.get(f.name)
            if upload is not None and upload.filename:
                values[f.name] = FileValue(
                    upload.filename,
                    upload.read(),
                    upload.mimetype or "application/octet-stream",
                )
            elif request.form.get(f.name + REMOVE_SUFFIX):
                values[f.name] = None
            continue
        if isinstance(wf, wtforms.BooleanField):
            values[f.name] = bool(wf.data)
            continue
        raw = wf.data
        if isinstance(raw, str):
            raw = raw.strip()
        values[f.name] = None if raw in ("", None) else raw
    return values


def posted_data() -> MultiDict[str, Any]:
    """The posted form, with the CSRF token taken from the ``X-CSRFToken`` header when the
    body has none (AJAX submits from the card's modal dialogs send both)."""
    data: MultiDict[str, Any] = MultiDict(request.form)
    header = request.headers.get("X-CSRFToken")
    if "csrf_token" not in data and header:
        data["csrf_token"] = header
    return data


def uploaded(fields: Iterable[Field]) -> set[str]:
    """Names of the file fields that came with a file in this request."""
    return {f.name for f in fields if f.type in FILE_TYPES and request.files.get(f.name)}


def show_errors(form: SecureForm, messages: Mapping[str, list[str]]) -> list[str]:
    """Attach the engine's messages to their inputs; return those with no input of their own."""
    loose: list[str] = []
    for name, texts in messages.items():
        if name in form and name != VERSION_FIELD:
            form[name].errors = list(form[name].errors or []) + list(texts)
        else:
            loose.extend(texts if name == "_schema" else [f"{name}: {t}" for t in texts])
    return loose
