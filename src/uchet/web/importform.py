"""The mapping screen's form (issue 17): the column → field mapping with reference matching,
mode, key and the safety options, read from and written to plain form fields.

Columns travel by their place in the file (``field_3``, ``match_3``, ``missing_3``), not by
their header text, which may hold anything a spreadsheet cell can. Unknown field names are
dropped here and refused by the engine anyway (only fields the user may write are offered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from uchet.platform.features.importing import MODES, Column, Mapping, Options
from uchet.platform.features.importing.mapping import MISSING
from uchet.platform.model.config import Field
from uchet.platform.records.runtime import Runtime
from uchet.web.context import WebContext

#: Target field types a reference column may be matched by, besides the title.
KEY_TYPES = frozenset({"string", "email", "phone", "url", "integer"})


@dataclass
class MappingForm:
    """The choices on the mapping screen."""

    headers: list[str]
    mapping: Mapping
    mode: str = "create"
    key: str | None = None
    good_rows: bool = False
    duplicates: bool = False

    @classmethod
    def initial(cls, mapping: Mapping, headers: list[str], fields: list[Field]) -> MappingForm:
        """The form for a proposed (or saved) mapping, restricted to ``fields``."""
        allowed = {f.name for f in fields}
        columns = {}
        for h in headers:
            spec = mapping.columns.get(h, Column())
            columns[h] = spec if spec.field in allowed else Column(None)
        return cls(headers, Mapping(columns))

    @classmethod
    def from_form(
        cls, form: MultiDict[str, str], headers: list[str], fields: list[Field]
    ) -> MappingForm:
        """The form as the browser sent it."""
        allowed = {f.name for f in fields}
        columns = {}
        for i, h in enumerate(headers):
            name = form.get(f"field_{i}") or None
            missing = form.get(f"missing_{i}") or "error"
            columns[h] = Column(
                name if name in allowed else None,
                form.get(f"match_{i}") or None,
                missing if missing in MISSING else "error",
            )
        mode = form.get("mode", "create")
        return cls(
            headers, Mapping(columns), mode if mode in MODES else "create",
            form.get("key") or None, form.get("good_rows") == "1",
            form.get("duplicates") == "1",
        )  # fmt: skip


def options_from_form(form: MappingForm, file_name: str) -> Options:
    """The engine's options for the form's choices."""
    return Options(mode=form.mode, key=form.key if form.mode != "create" else None,
                   all_or_nothing=not form.good_rows, mapping=form.mapping,
                   file_name=file_name, duplicates=form.duplicates)  # fmt: skip


@dataclass(frozen=True)
class MappingRow:
    """One line of the mapping table: a column of the file and its choices."""

    index: int
    header: str
    column: Column
    #: The chosen field when it is a reference: (target field name, label) to match by.
    keys: list[tuple[str, str]]
    is_reference: bool


def mapping_rows(
    c: WebContext, rt: Runtime, form: MappingForm, fields: list[Field]
) -> list[MappingRow]:
    """The lines of the mapping table, with the match-by choices of reference columns."""
    by_name = {f.name: f for f in fields}
    rows = []
    for i, h in enumerate(form.headers):
        column = form.mapping.columns.get(h, Column())
        f = by_name.get(column.field or "")
        keys: list[tuple[str, str]] = []
        if f is not None and f.type == "reference" and f.target:
            target = rt.config.table(f.target)
            title = target.field_by_id(target.title_field).name if target.title_field else None
            keys = [(x.name, c.label(x.label, x.name)) for x in target.fields
                    if x.type in KEY_TYPES and x.name != title]  # fmt: skip
        rows.append(MappingRow(i, h, column, keys,
                               f is not None and f.type in ("reference", "user")))  # fmt: skip
    return rows


def choice_label(c: WebContext, f: Field) -> str:
    """A field as the mapping's select lists it."""
    return c.label(f.label, f.name)


def unmatched_count(report: dict[str, Any] | None) -> int:
    """How many distinct reference values matched nothing (for the screen's summary)."""
    if not report:
        return 0
    return sum(len(v) for v in report.get("unmatched", {}).values())
