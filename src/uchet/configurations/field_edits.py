"""Field-level edits of the structure editor (issue 14, S13, S23, S27): rename a field with
its references, change its type after a preview of the conversion, edit its choice list.

Each edit returns a new database-overlay document; saving it goes through
:meth:`DatabaseOverlay.preview <uchet.configurations.revisions.DatabaseOverlay.preview>` and
``save`` like every other change of the editor: one transaction, the planner renaming or
retyping the column by the field's stable id, the migrator converting the values. Nothing
here imports Flask.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from uchet.configurations.overlay_edit import set_properties
from uchet.configurations.rename import Renamed, as_overlay, rename_field
from uchet.platform.model.config import Field
from uchet.platform.records.users import User
from uchet.platform.schema.data_checks import SAMPLE
from uchet.platform.schema.operations import (
    BackupFields,
    ConversionPolicy,
    Operation,
    RetypeField,
    convert_value,
)
from uchet.platform.schema.state import iter_chunks

if TYPE_CHECKING:
    from uchet.configurations.revisions import DatabaseOverlay, Preview, Revision

#: Properties that belong to one kind of field type (see ``FieldType.properties``); a type
#: change drops those the new type does not understand.
TYPED = ("choices", "target", "on_delete", "related_label", "formula", "result_type",
         "rollup", "stored", "max_size")  # fmt: skip
#: Properties that only text fields understand.
TEXT_ONLY = ("max_length", "pattern", "numbering")
TEXT_TYPES = frozenset({"string", "text", "email", "phone", "url"})
#: What a type change may do with values that will not convert (``uchet migrate
#: --on-conversion-error``): stop, leave them empty, or put a given value instead.
POLICIES = ("abort", "set_null", "default")
#: A new choice value: what a label becomes when no value is given.
_SLUG = re.compile(r"[^a-z0-9_]+")


class EditError(ValueError):
    """The edit cannot be made; ``control`` names the input it is about."""

    def __init__(self, message: str, control: str = ""):
        self.control = control
        super().__init__(message)


# -- rename -----------------------------------------------------------------------------------
@dataclass
class RenameProposal:
    """The document that renames a field, and every reference it rewrites."""

    document: dict[str, Any]
    renamed: Renamed


def rename_document(
    overlay: DatabaseOverlay, field_id: str, new_name: str,
    document: Mapping[str, Any] | None = None,
) -> RenameProposal:  # fmt: skip
    """The overlay document renaming ``field_id`` to ``new_name`` with every reference."""
    doc = overlay.document() if document is None else dict(document)
    before = overlay.effective_tree(doc)
    renamed = rename_field(before, field_id, new_name.strip())
    return RenameProposal(as_overlay(doc, before, renamed.tree), renamed)


# -- change of type ---------------------------------------------------------------------------
def retype_document(
    overlay: DatabaseOverlay, field_id: str, new_type: str,
    extra: Mapping[str, Any] | None = None, document: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The overlay document giving ``field_id`` type ``new_type``, with ``extra`` properties
    (``choices`` of a choice field...) and without those the new type does not understand."""
    doc = copy.deepcopy(dict(overlay.document() if document is None else document))
    tree = overlay.effective_tree(doc)
    current = next((f for t in tree.get("tables", ()) for f in t["fields"]
                    if f["id"] == field_id), None)  # fmt: skip
    if current is None:
        raise EditError(f"there is no field with id {field_id!r}")
    if new_type not in overlay.types:
        raise EditError(f"unknown field type {new_type!r}", "type")
    if new_type == current["type"]:
        raise EditError("the field already has this type", "type")
    understood = overlay.types.get(new_type).properties
    drop = [p for p in TYPED if p in current and p not in understood and p not in (extra or {})]
    if new_type not in TEXT_TYPES:
        drop += [p for p in TEXT_ONLY if p in current]
    if "default" in current:
        drop.append("default")  # a default of the old type rarely fits the new one
    doc = set_properties(doc, field_id, {"type": new_type, **(extra or {})})
    entry = doc["set"][field_id]
    for prop in drop:
        entry.pop(prop, None)
    # What is left of them comes from the configuration files: unset it (an overlay's unset
    # of a property that is not there is an error, so only those that are).
    unset = [e for e in doc.get("unset", ()) if e["target"] != field_id]
    earlier = [p for e in doc.get("unset", ()) if e["target"] == field_id for p in e["properties"]]
    probe = {**doc, "unset": unset} if unset else {k: v for k, v in doc.items() if k != "unset"}
    still = next(f for t in overlay.effective_tree(probe).get("tables", ()) for f in t["fields"]
                 if f["id"] == field_id)  # fmt: skip
    gone = sorted({p for p in [*drop, *earlier] if p in still})
    if gone:
        unset.append({"target": field_id, "properties": gone})
    if unset:
        doc["unset"] = unset
    else:
        doc.pop("unset", None)
    return doc


@dataclass
class ConversionReport:
    """What a type change would do to the stored values, counted before anything runs."""

    rows: int
    empty: int
    converted: int
    failed: int
    #: Up to :data:`SAMPLE` ``(record id, value, why)`` of the values that will not convert.
    examples: list[tuple[Any, Any, str]] = field(default_factory=list)


def conversion_report(
    overlay: DatabaseOverlay, table_name: str, old: Field, new: Field
) -> ConversionReport:
    """Try every stored value of ``old`` (a column of ``table_name``) as a value of ``new``."""
    # The column as it is in the database now; values come back as the driver reads them.
    table = sa.Table(table_name, sa.MetaData(), sa.Column("id"), sa.Column(old.name))
    column = table.c[old.name]
    report = ConversionReport(0, 0, 0, 0)
    with overlay.engine.connect() as conn:
        report.rows = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        for chunk in iter_chunks(conn, table, [column], column.is_not(None)):
            for rid, value in chunk:
                try:
                    convert_value(overlay.types, old, new, value)
                except ValueError as exc:
                    report.failed += 1
                    if len(report.examples) < SAMPLE:
                        report.examples.append((rid, value, str(exc)))
                else:
                    report.converted += 1
    report.empty = report.rows - report.converted - report.failed
    return report


@dataclass
class RetypePreview:
    """The plan of a type change (with a backup of the old values first) and its report."""

    preview: Preview
    report: ConversionReport
    field_id: str


def retype_preview(
    overlay: DatabaseOverlay, document: Mapping[str, Any], field_id: str,
    base_revision: int | None, locale: str = "ru",
) -> RetypePreview:  # fmt: skip
    """Plan ``document`` (from :func:`retype_document`) and count what converts, writing
    nothing. A narrowing change (text to number...) can lose what does not convert, so the
    plan copies the column's old values to ``uchet_bak_<version>_<table>`` first."""
    preview = overlay.preview(document, base_revision, locale)
    ops: list[Operation] = []
    report = ConversionReport(0, 0, 0, 0)
    for op in preview.plan.operations:
        if isinstance(op, RetypeField) and op.old.id == field_id:
            report = conversion_report(overlay, op.table_name, op.old, op.new)
            if op.destructive:
                ops.append(BackupFields(op.table_id, op.table_name, (op.old.id,),
                                        (op.old.name,)))  # fmt: skip
        ops.append(op)
    plan = dataclasses.replace(preview.plan, operations=tuple(ops))
    return RetypePreview(dataclasses.replace(preview, plan=plan), report, field_id)


def save_retype(
    overlay: DatabaseOverlay, retype: RetypePreview, policy: ConversionPolicy,
    user: User | None = None, comment: str | None = None,
) -> Revision:  # fmt: skip
    """Apply a previewed type change, all or nothing, with ``policy`` for the values that do
    not convert. Its only data-losing operations may be type changes, whose old values the
    plan backs up; anything else destructive is refused as by every save."""
    allowed = all(isinstance(op, RetypeField) for op in retype.preview.plan.destructive)
    return overlay.save(retype.preview.document, base_revision=retype.preview.base_revision,
                        user=user, comment=comment, preview=retype.preview,
                        allow_destructive=allowed, on_conversion_error=policy)  # fmt: skip


def conversion_policy(choice: str, default: str | None = None) -> ConversionPolicy:
    """The migrator's policy for a choice of :data:`POLICIES` (``default`` needs a value)."""
    if choice == "default":
        if default is None or not default.strip():
            raise EditError("give the value to put in place of those that do not convert",
                            "default")  # fmt: skip
        return ("default", default.strip())
    if choice not in POLICIES:
        raise EditError(f"choose one of {', '.join(POLICIES)}", "policy")
    return choice


# -- choice lists -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChoiceEdit:
    """One row of the choice-list editor: an existing ``value`` (or "" for a new one), its
    labels, whether it is retired, and its place in the list."""

    value: str
    label_ru: str
    label_en: str = ""
    retired: bool = False
    order: int = 0


def edited_choices(current: Sequence[Mapping[str, Any]],
                   rows: Sequence[ChoiceEdit]) -> list[dict[str, Any]]:  # fmt: skip
    """The choice list ``current`` after the editor's ``rows``: labels renamed (the stored
    value stays), new values added, retired ones flagged, all in the rows' order. A value of
    ``current`` missing from ``rows`` is an error: values are retired, never deleted, since
    records may hold them."""
    known = {c["value"]: c for c in current}
    missing = [v for v in known if v not in {r.value for r in rows}]
    if missing:
        raise EditError(f"values cannot be deleted, only retired: {', '.join(missing)}",
                        "choices")  # fmt: skip
    taken = set(known)
    out: list[tuple[int, int, dict[str, Any]]] = []
    for i, row in enumerate(rows):
        label = {k: v.strip() for k, v in (("ru", row.label_ru), ("en", row.label_en))
                 if v.strip()}  # fmt: skip
        if not label:
            if not row.value:
                continue  # an empty new row
            raise EditError(f"the value {row.value!r} needs a label", "choices")
        if row.value and row.value in known:
            choice = copy.deepcopy(dict(known[row.value]))
            old = choice["label"] if isinstance(choice["label"], dict) else {"ru": choice["label"]}
            choice["label"] = {**old, **label}
        else:
            value = row.value.strip() or _new_value(label, taken)
            if value in taken:
                raise EditError(f"the value {value!r} is listed twice", "choices")
            choice = {"value": value, "label": label}
        taken.add(choice["value"])
        if row.retired:
            choice["retired"] = True
        else:
            choice.pop("retired", None)
        out.append((row.order, i, choice))
    if all(c.get("retired") for _, _, c in out):
        raise EditError("keep at least one value offered", "choices")
    return [c for _, _, c in sorted(out, key=lambda x: (x[0], x[1]))]


def _new_value(label: Mapping[str, str], taken: set[str]) -> str:
    """A stored value for a new choice: its English label as a slug, else ``v1``, ``v2``..."""
    base = _SLUG.sub("_", label.get("en", "").lower()).strip("_")[:90]
    base = base if base[:1].isalpha() else "v"
    if base != "v" and base not in taken:
        return base
    n = 1
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def choices_document(
    overlay: DatabaseOverlay, field_id: str, rows: Sequence[ChoiceEdit],
    document: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The overlay document giving choice field ``field_id`` the list ``rows`` describe."""
    doc = overlay.document() if document is None else dict(document)
    tree = overlay.effective_tree(doc)
    current = next((f for t in tree.get("tables", ()) for f in t["fields"]
                    if f["id"] == field_id), None)  # fmt: skip
    if current is None or "choices" not in current:
        raise EditError(f"{field_id!r} is not a field with a choice list")
    return set_properties(doc, field_id, {"choices": edited_choices(current["choices"], rows)})
