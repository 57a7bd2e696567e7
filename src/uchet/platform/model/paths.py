"""Dotted field paths (``client.city``): following one from a table through its references."""

from __future__ import annotations

from uchet.platform.model.config import Configuration, Field, Table
from uchet.platform.model.i18n import Text


def resolve_path(config: Configuration, table: Table, path: tuple[str, ...]) -> Field | str:
    """Follow a dotted field path (``client.city``) from ``table``: the field, or a message.

    The message is a :class:`~uchet.platform.model.i18n.Text`: English as a string, and in the
    user's language where a list URL names a path that does not exist."""
    current = table
    for i, name in enumerate(path):
        try:
            f = current.field_by_name(name)
        except KeyError:
            shown = ".".join(path[: i + 1])
            return Text("no_field_on_path", path=shown, table=current.name, label=current)
        if i == len(path) - 1:
            return f
        if f.type != "reference" or not f.target:
            return Text("not_a_reference", name=name, path=".".join(path), field=f)
        try:
            current = config.table(f.target)
        except KeyError:
            return Text("missing_target", name=name, field=f)
    raise AssertionError("empty path")
