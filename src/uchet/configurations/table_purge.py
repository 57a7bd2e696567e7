"""Purging a table the database overlay added (issue 14, point 2).

Deleting a table is first an *archive*: the table is hidden (menu, lists, child tabs), its
database table and rows kept, restorable in one click
(:func:`uchet.configurations.overlay_edit.set_hidden`). Purging is a separate, destructive
action: :func:`purge_table_preview` names what will be lost (the rows, the values of the
other tables' fields that reference it, which go with it, and the print templates made for
it); :func:`purge_table` needs the table's name typed to confirm and applies the plan with
``allow_destructive``, so the migrator first copies every dropped row and value into
``uchet_bak_<version>_<table>``, as ``uchet migrate --allow-destructive`` does.

Only a table the database overlay itself added can be purged: the configuration files' own
tables belong to the integrator and are only hidden by an overlay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from uchet.configurations.overlay_tables import (
    added_table_ids,
    referencing_fields,
    without_table,
)
from uchet.configurations.revisions import Preview, PurgeNotConfirmed, Revision
from uchet.platform.records.users import User
from uchet.platform.schema.system import define_system_tables

if TYPE_CHECKING:
    from uchet.configurations.revisions import DatabaseOverlay


@dataclass
class TableLoss:
    """What purging a table loses."""

    table_id: str
    name: str
    rows: int
    #: (table id, field id, values) of each field of another table that references it.
    references: list[tuple[str, str, int]] = field(default_factory=list)
    #: Names of the stored print templates made for the table.
    templates: list[str] = field(default_factory=list)


def purge_table_preview(
    overlay: DatabaseOverlay, table_id: str, base_revision: int | None
) -> tuple[Preview, TableLoss]:
    """The plan of purging ``table_id`` and what it loses; KeyError when the database
    overlay did not add the table."""
    current = overlay.document()
    if table_id not in added_table_ids(current):
        raise KeyError(f"{table_id!r} was not added by the database overlay")
    preview = overlay.preview(without_table(current, table_id), base_revision)
    config = overlay.effective(current)
    table = config.table(table_id)
    loss = TableLoss(table_id, table.name, _count(overlay, table.name, None))
    for other_id, field_id in referencing_fields(current, table_id):
        other = config.table(other_id)
        column = other.field_by_id(field_id).name
        loss.references.append((other_id, field_id, _count(overlay, other.name, column)))
    prints = define_system_tables(sa.MetaData())["uchet_print_forms"]
    with overlay.engine.connect() as conn:
        if sa.inspect(conn).has_table(prints.name):
            loss.templates = list(
                conn.execute(
                    sa.select(prints.c.name)
                    .where(prints.c.table_id == table_id)
                    .order_by(prints.c.name)
                ).scalars()
            )
    return preview, loss


def purge_table(
    overlay: DatabaseOverlay,
    table_id: str,
    *,
    typed_name: str,
    base_revision: int | None,
    user: User | None = None,
    comment: str | None = None,
) -> Revision:
    """Drop table ``table_id`` (added by the database overlay) with its rows, as a new
    revision. ``typed_name`` must be the table's name, typed by the user to confirm. The
    rows and the dropped reference values are backed up first (``uchet_bak_*``)."""
    current = overlay.document()
    if table_id not in added_table_ids(current):
        raise KeyError(f"{table_id!r} was not added by the database overlay")
    name = overlay.effective(current).table(table_id).name
    if typed_name.strip() != name:
        raise PurgeNotConfirmed(name)
    preview, _ = purge_table_preview(overlay, table_id, base_revision)
    return overlay.save(
        preview.document,
        base_revision=base_revision,
        user=user,
        comment=comment or f"purge table {name}",
        action="purge",
        preview=preview,
        allow_destructive=True,
    )


def _count(overlay: DatabaseOverlay, table_name: str, column: str | None) -> int:
    """Rows of a table, or its non-empty values of ``column``."""
    t = sa.table(table_name, *([sa.column(column)] if column else []))
    query = sa.select(sa.func.count()).select_from(t)
    if column:
        query = query.where(t.c[column].is_not(None))
    with overlay.engine.connect() as conn:
        if not sa.inspect(conn).has_table(table_name):
            return 0
        return int(conn.execute(query).scalar_one())


def describe_loss(loss: TableLoss, gettext: Any) -> list[str]:
    """What a purge loses, as sentences in the user's language (``gettext`` of the UI)."""
    lines = [
        gettext(
            "%(count)s rows of the table %(name)s will be deleted.", count=loss.rows, name=loss.name
        )
    ]
    for _, field_id, count in loss.references:
        lines.append(
            gettext(
                "The field %(field)s that refers to it is deleted with its %(count)s values.",
                field=field_id,
                count=count,
            )
        )
    if loss.templates:
        lines.append(
            gettext(
                "Print templates made for it stop working: %(names)s.",
                names=", ".join(loss.templates),
            )
        )
    lines.append(gettext("A backup copy of the deleted data is kept in the database."))
    return lines
