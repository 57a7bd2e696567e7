"""A stale edit explained: what changed while the user was editing (optimistic locking).

The card posts the version it started from (``uchet_version``) and the values it showed
(``uchet_original``, JSON of input texts). When the record service refuses the save with
:class:`~uchet.platform.model.errors.ConflictError`, :func:`explain_conflict` compares those values
with the record as it is now and lists every field someone else changed: its label, the
user's value and the current value. The form keeps the user's input; its version and
snapshot move to the current record, so a second save is a deliberate overwrite of changes
the user has now seen — and a third person's change in between is caught again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field
from uchet.web import forms as cards
from uchet.web.display import display_text


@dataclass(frozen=True)
class Change:
    """One field changed by someone else since the user opened the card."""

    name: str
    label: str
    mine: str
    current: str
    #: True when the user changed the field too (both edits touch it: look closely).
    both: bool


@dataclass(frozen=True)
class Conflict:
    """The explanation of one refused save."""

    changes: list[Change]
    #: The record was deleted meanwhile (or left the user's rows): it cannot be saved.
    gone: bool = False


def mine_text(f: Field, text: str, title: str | None, types: FieldTypeRegistry, locale: str,
              yes_no: tuple[str, str]) -> str:  # fmt: skip
    """The user's input as people read it: a reference's title, a choice's label, yes/no."""
    if text == "":
        return ""
    if f.type in ("reference", "user"):
        return title or text
    if f.type == "boolean":
        return yes_no[0] if text else yes_no[1]
    try:
        value = types.get(f.type).parse(f, text)
    except Exception:  # the user's text did not parse: show it as typed
        return text
    return display_text(f, {f.name: value}, types, locale, yes_no)


def explain_conflict(
    form: Any,
    fields: list[Field],
    current: Mapping[str, Any] | None,
    label: Callable[[Field], str],
    text: Callable[[Field, Mapping[str, Any]], str],
    mine: Callable[[Field, str], str],
) -> Conflict:
    """Compare the values the form started from with ``current``; move the form onto it.

    ``label``, ``text`` and ``mine`` render a field's label, a record's value and the user's
    input (see :func:`mine_text`) in the user's locale.
    """
    if current is None:
        return Conflict([], gone=True)
    started = cards.read_snapshot(form)
    changes = []
    for f in fields:
        if f.type in cards.FILE_TYPES:
            continue
        if f.name not in started:  # no snapshot (an old page): compare with the user's input
            started[f.name] = _posted_text(form[f.name].data)
        now = cards.input_text(current.get(f.name))
        if started[f.name] == now:
            continue
        posted = _posted_text(form[f.name].data)
        changes.append(
            Change(
                name=f.name,
                label=label(f),
                mine=mine(f, posted),
                current=text(f, current),
                both=posted != started[f.name],
            )
        )
    form[cards.VERSION_FIELD].data = current.get("version")
    form[cards.ORIGINAL_FIELD].data = cards.snapshot(current, fields)
    return Conflict(changes)


def _posted_text(data: Any) -> str:
    if isinstance(data, bool):
        return "y" if data else ""
    return "" if data is None else str(data).strip()
