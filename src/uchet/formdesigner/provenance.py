"""Where a structure property's effective value comes from, for the editor's pages
(issue 14, point 4): the base configuration files, an integrator's overlay file, or the
structure editor's database overlay (:mod:`uchet.configurations.layers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from uchet.configurations.layers import BASE, DATABASE

#: The properties whose layers the field and table pages show, with their names (message
#: ids of the interface texts).
LAYERED = {
    "label": "Label",
    "help": "Help",
    "hidden": "Visibility",
    "required": "Required",
    "default": "Default value",
}


@dataclass(frozen=True)
class LayerRow:
    """One property on the page: its name, effective value, layer, and the layers under."""

    prop: str
    name: str
    value: str
    layer: str
    layer_text: str
    under: list[str]
    #: A file overlay and the structure editor both set it.
    contested: bool


def field_layers(overlay: Any, target: str, c: Any) -> list[LayerRow]:
    """The properties of ``target`` that some overlay sets, with their effective value and
    the layer it comes from, in the user's language (``c``: the web context)."""
    layers = overlay.layers()
    rows = []
    for prop, name in LAYERED.items():
        got = layers.of(target, prop)
        if got is None or all(layer == BASE for layer, _ in got.history):
            continue
        rows.append(
            LayerRow(
                prop,
                c.gettext(name),
                value_text(got.value, c),
                got.layer,
                layer_name(got.layer, c.gettext),
                [f"{layer_name(n, c.gettext)}: {value_text(v, c)}" for n, v in got.history[:-1]],
                got.contested,
            )
        )
    return rows


def value_text(value: Any, c: Any) -> str:
    """A property value in the user's language: a label in their locale, yes or no."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(c.gettext("yes") if value else c.gettext("no"))
    if isinstance(value, dict):
        return str(c.label(value, ""))
    return str(value)


def layer_name(layer: str, gettext: Any) -> str:
    """A layer in words: the configuration files, a named overlay file, the editor."""
    if layer == BASE:
        return str(gettext("configuration files"))
    if layer == DATABASE:
        return str(gettext("structure editor"))
    return str(gettext("overlay file %(name)s", name=layer))
