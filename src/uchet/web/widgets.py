"""Form inputs by widget name (ARCHITECTURE rule 6: registries, not string switches).

Each field type names the kind of input that edits it (``FieldType.widget``); this registry
turns that name into a WTForms field. WTForms only renders inputs and checks the CSRF token
here: parsing and validation stay in the record service, so the browser, the API and imports
share one set of rules and messages. An ISV adds an input with :func:`register_widget`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import wtforms
from wtforms import SelectChoice
from wtforms import validators as v

from uchet.platform.model.config import Field, label_text

WidgetFactory = Callable[[Field, "WidgetContext"], wtforms.Field]
WIDGETS: dict[str, WidgetFactory] = {}


@dataclass(frozen=True)
class WidgetContext:
    """What a widget factory may need besides the field: the locale and URL builders."""

    locale: str
    #: URL of the ajax lookup for a reference field: ``lookup_url(field_name)``.
    lookup_url: Callable[[str], str]
    #: The site's file size limit in bytes (a field's own ``max_size`` may be smaller).
    max_file_size: int = 0
    #: Field id -> name of the card's table (a look-up's ``lookup_match`` names its inputs).
    field_names: Mapping[str, str] = field(default_factory=dict)


def register_widget(name: str) -> Callable[[WidgetFactory], WidgetFactory]:
    """Register the factory of the input named ``name``."""

    def decorate(factory: WidgetFactory) -> WidgetFactory:
        WIDGETS[name] = factory
        return factory

    return decorate


def make_input(field: Field, widget: str, wctx: WidgetContext) -> wtforms.Field:
    """The unbound WTForms field editing ``field`` (a plain text input for unknown names)."""
    return WIDGETS.get(widget, WIDGETS["text"])(field, wctx)


def _kw(field: Field, wctx: WidgetContext, **render: Any) -> dict[str, Any]:
    """Label, help text and HTML attributes shared by every input."""
    attrs: dict[str, Any] = {"data-field": field.name, **render}
    if field.required:
        attrs["required"] = True  # the browser helps; the server decides
    return {
        "label": label_text(field.label, wctx.locale, default=field.name),
        "description": label_text(field.help, wctx.locale),
        "validators": [v.Optional()],
        "render_kw": attrs,
    }


@register_widget("text")
def _text(field: Field, wctx: WidgetContext) -> wtforms.Field:
    extra = {"maxlength": field.max_length} if field.max_length else {}
    return wtforms.StringField(**_kw(field, wctx, **extra))


@register_widget("textarea")
def _textarea(field: Field, wctx: WidgetContext) -> wtforms.Field:
    return wtforms.TextAreaField(**_kw(field, wctx, rows=3))


def _typed(input_type: str, **extra: Any) -> WidgetFactory:
    def factory(field: Field, wctx: WidgetContext) -> wtforms.Field:
        attrs = {"type": input_type, **extra}
        if field.min is not None:
            attrs["min"] = field.min
        if field.max is not None:
            attrs["max"] = field.max
        return wtforms.StringField(**_kw(field, wctx, **attrs))

    return factory


for _name, _type, _extra in (
    ("email", "email", {}),
    ("url", "url", {}),
    ("color", "color", {}),
    ("tel", "tel", {}),
    ("integer", "number", {"step": 1}),
    ("decimal", "text", {"inputmode": "decimal"}),
    ("date", "date", {}),
    ("datetime", "datetime-local", {}),
    ("time", "time", {}),
):
    register_widget(_name)(_typed(_type, **_extra))


@register_widget("checkbox")
def _checkbox(field: Field, wctx: WidgetContext) -> wtforms.Field:
    kw = _kw(field, wctx)
    kw["render_kw"].pop("required", None)  # an unticked box is a valid "no"
    return wtforms.BooleanField(**kw)


class _OfferedSelect(wtforms.SelectField):
    """A select that leaves out retired choices (issue 14) unless the record holds one."""

    def __init__(self, *args: Any, retired: frozenset[str] = frozenset(), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.retired = retired

    def iter_choices(self) -> Any:
        for choice in super().iter_choices():
            if choice[0] not in self.retired or choice[2]:  # (value, label, selected, ...)
                yield choice


@register_widget("select")
def _select(field: Field, wctx: WidgetContext) -> wtforms.Field:
    choices = [SelectChoice("", "—")] + [
        SelectChoice(c.value, label_text(c.label, wctx.locale, default=c.value))
        for c in field.choices
    ]
    retired = frozenset(c.value for c in field.choices if c.retired)
    return _OfferedSelect(choices=choices, validate_choice=False, retired=retired,
                          **_kw(field, wctx))  # fmt: skip


def _lookup(field: Field, wctx: WidgetContext) -> wtforms.Field:
    # A select2 box (Flask-Admin ships select2 3.5, which wants a hidden input for ajax)
    # filled by prefix search over the target's titles (S36).
    kw = _kw(field, wctx, type="hidden", **{"data-lookup": wctx.lookup_url(field.name)})
    kw["render_kw"]["class"] = "uchet-lookup"
    # lookup_match: the inputs whose current values card.js sends along (m.<name>=value).
    matched = [wctx.field_names.get(own) for own in field.lookup_match.values()]
    if matched and all(matched):
        kw["render_kw"]["data-match"] = ",".join(n for n in matched if n)
    return wtforms.StringField(**kw)


register_widget("reference")(_lookup)
register_widget("user")(_lookup)


def _upload(field: Field, wctx: WidgetContext, **extra: Any) -> wtforms.Field:
    # The browser checks the size before sending (data-max-size, see uchet.js), so a too
    # large file is refused with a message and the rest of the input stays in the form.
    limit = min(x for x in (field.max_size, wctx.max_file_size) if x) if (
        field.max_size or wctx.max_file_size) else 0  # fmt: skip
    kw = _kw(field, wctx, **extra, **({"data-max-size": limit} if limit else {}))
    kw["render_kw"].pop("required", None)  # a stored file satisfies it; the engine checks
    return wtforms.FileField(**kw)


@register_widget("file")
def _file(field: Field, wctx: WidgetContext) -> wtforms.Field:
    return _upload(field, wctx)


@register_widget("image")
def _image(field: Field, wctx: WidgetContext) -> wtforms.Field:
    return _upload(field, wctx, accept="image/*")


@register_widget("json")
def _json(field: Field, wctx: WidgetContext) -> wtforms.Field:
    return wtforms.TextAreaField(**_kw(field, wctx, rows=4, spellcheck="false"))
