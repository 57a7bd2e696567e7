"""Where a field's *name* appears in a configuration: one rewrite rule per kind of place.

Each rule names the meta-schema locations it covers (``file#/path``: ``[]`` an array's
items, ``<>`` an object's property names, ``$defs/x`` a shared definition).
``tests/test_rename_guard.py`` walks the meta-schemas (``platform/model/schemas/``) and fails
when a location that can hold a field name is neither covered here nor listed as naming no
field (:data:`NOT_FIELD_NAMES`), so a new kind of reference cannot be added without a rule.
Places that name a field by ``id`` need no rule: ids never change. Labels are text, except
the notification title and body, which are Jinja templates over the record (covered here).
"""

from __future__ import annotations

from typing import Any

from uchet.configurations.rename_engine import Renaming, rule

#: Meta-schema locations that hold free text or names that are not field names, with why.
NOT_FIELD_NAMES: dict[str, str] = {
    "manifest.json#/name": "the bundle's machine name",
    "manifest.json#/version": "a version string",
    "manifest.json#/description": "free text",
    "manifest.json#/plugins[]": "Python module names",
    "manifest.json#/locales[]": "locale codes",
    "manifest.json#/default_locale": "a locale code",
    "table.json#/default_sort[]": "field ids (ids never change)",
    "overlay.json#/set{}": "properties of objects by id; the rename sets the rewritten "
    "effective values over them",
    "overlay.json#/overlay": "the overlay's name",
    "overlay.json#/description": "free text",
    "overlay.json#/unset[]/properties[]": "property names of the meta-schema, not fields",
    "table.json#/name": "the table's SQL name",
    "table.json#/$defs/field/name": "the renamed name itself (set by the rename)",
    "table.json#/$defs/field/type": "a field type's name",
    "table.json#/$defs/field/default": "a value",
    "table.json#/$defs/field/min": "a value",
    "table.json#/$defs/field/max": "a value",
    "table.json#/$defs/field/pattern": "a regular expression over the value",
    "table.json#/$defs/field/currency": "an ISO 4217 code",
    "table.json#/$defs/field/choices[]/value": "a stored value",
    "table.json#/$defs/field/choices[]/color": "a CSS colour",
    "table.json#/$defs/field/options": "plug-in settings (a plug-in type owns them)",
    "table.json#/$defs/field/numbering/pattern": "{seq}, {year}... placeholders only",
    "table.json#/$defs/notification/at": "a time of day",
    "table.json#/$defs/field/stamp/equals": "a stored value of the watched field",
    "print_form.json#/name": "the print form's machine name",
    "print_form.json#/template": "a path in the bundle",
    "message_template.json#/name": "the message template's machine name",
    "message_template.json#/channel": "a channel's name",
    "report.json#/name": "the report's machine name",
    "report.json#/parameters[]/name": "a parameter's name ($name in conditions)",
    "report.json#/parameters[]/default": "a value",
    "role.json#/name": "the role's machine name",
    "role.json#/$defs/condition/value": "a value",
    "dashboard.json#/name": "the dashboard's machine name",
    "dashboard.json#/$defs/widget/report": "a report's id or name",
    "dashboard.json#/$defs/value": "a value",
    "dashboard.json#/$defs/value[]": "a list of values",
    "translation.json#/locale": "a locale code",
    "translation.json#/messages{}": "interface texts, keyed by message id",
    # Places that use a shared definition (``->``), where the definition's own parts are
    # rewritten by the rules below, or hold no field name at all.
    "dashboard.json#/$defs/condition/value->dashboard.json#/$defs/value": "a value",
    "dashboard.json#/$defs/widget/params{}->dashboard.json#/$defs/value": "a value",
    "table.json#/fields[]->table.json#/$defs/field": "a field's definition: its parts are "
    "rewritten by the field rules, which run over the effective tree",
    "overlay.json#/fields{}[]->table.json#/$defs/field": "a field an overlay adds: merged "
    "into the effective tree, where the field rules rewrite it",
    "form.json#/layout[]->form.json#/$defs/tab": "a card tab: its rows name fields by id "
    "(ids never change)",
    "manifest.json#/$defs/message_rule/template": "a message template's id (issue 19)",
    "manifest.json#/$defs/message_rule/channel": "a channel's name (issue 19)",
    "manifest.json#/$defs/message_rule/when/to": "the value that fires the rule",
    "form.json#/role_layouts{}[]->form.json#/$defs/tab": "a role's card tab (issue 15): its "
    "rows name fields by id (ids never change)",
}


@rule("field formulas", "table.json#/$defs/field/formula")
def _formulas(ctx: Renaming) -> None:
    for table in ctx.tree.get("tables", ()):
        for f in table["fields"]:
            if f.get("formula"):
                ctx.update("field", f, "formula", ctx.formula(table["id"], f["formula"]))


@rule("copied defaults", "table.json#/$defs/field/default_from")
def _default_from(ctx: Renaming) -> None:
    for table in ctx.tree.get("tables", ()):
        for f in table["fields"]:
            if f.get("default_from"):
                ctx.update("field", f, "default_from", ctx.path(table["id"], f["default_from"]))


@rule("seed rows", "table.json#/seed[]<>")
def _seed(ctx: Renaming) -> None:
    table = ctx.table(ctx.table_id)
    if table and table.get("seed"):
        seed = [{(ctx.new if k == ctx.old else k): v for k, v in row.items()}
                for row in table["seed"]]  # fmt: skip
        ctx.update("table", table, "seed", seed)


@rule(
    "notification rules",
    "table.json#/$defs/notification/condition", "table.json#/$defs/notification/recipient",
    "table.json#/$defs/notification/title", "table.json#/$defs/notification/body",
)  # fmt: skip
def _notifications(ctx: Renaming) -> None:
    for table in ctx.tree.get("tables", ()):
        if not table.get("notifications"):
            continue
        rules = []
        for n in table["notifications"]:
            n = dict(n)
            if "condition" in n:
                n["condition"] = ctx.formula(table["id"], n["condition"])
            n["recipient"] = ctx.path(table["id"], n["recipient"])
            for key in ("title", "body"):
                if key in n:
                    n[key] = _labels(n[key], lambda s, t=table["id"]: ctx.template(t, s))
            rules.append(n)
        ctx.update("table", table, "notifications", rules)


@rule(
    "automatic message rules",
    "manifest.json#/$defs/message_rule/when/before",
    "manifest.json#/$defs/message_rule/when/changed",
    "manifest.json#/$defs/message_rule/when/yearly",
)  # fmt: skip
def _message_rules(ctx: Renaming) -> None:
    # Issue 19: a rule names its date or watched field by name, within its own table.
    manifest = ctx.tree.get("manifest") or {}
    settings = manifest.get("settings") or {}
    if not settings.get("message_rules"):
        return
    rules = []
    for r in settings["message_rules"]:
        r = dict(r)
        if r.get("table") == ctx.table_id:
            when = dict(r.get("when") or {})
            for key in ("before", "changed", "yearly"):
                if when.get(key) == ctx.old:
                    when[key] = ctx.new
            r["when"] = when
        rules.append(r)
    ctx.update("manifest", settings, "message_rules", rules)


@rule("print file names", "print_form.json#/output_name")
def _output_names(ctx: Renaming) -> None:
    for doc in ctx.tree.get("print_forms", ()):
        if doc.get("output_name"):
            ctx.update("print_form", doc, "output_name",
                       ctx.template(doc["table"], doc["output_name"]))  # fmt: skip


@rule("role row rules", "role.json#/$defs/condition/field",
      "role.json#/$defs/table_rights/rows[]->role.json#/$defs/condition",
      "role.json#/$defs/condition/any[]->role.json#/$defs/condition")  # fmt: skip
def _roles(ctx: Renaming) -> None:
    for role in ctx.tree.get("roles", ()):
        tables = role.get("tables") or {}
        new = {tid: ({**r, "rows": ctx.conditions(tid, r["rows"])} if r.get("rows") else r)
               for tid, r in tables.items()}  # fmt: skip
        if tables:
            ctx.update("role", role, "tables", new)


@rule(
    "reports",
    "report.json#/group_by[]", "report.json#/group_by[]/field", "report.json#/columns[]",
    "report.json#/condition", "report.json#/sort[]", "report.json#/measures[]/field",
    "report.json#/filters[]->role.json#/$defs/condition",
    "report.json#/gantt/start", "report.json#/gantt/end", "report.json#/gantt/label",
    "report.json#/gantt/progress", "report.json#/gantt/detail", "report.json#/series[]",
    "report.json#/categories",
)  # fmt: skip
def _reports(ctx: Renaming) -> None:
    for report in ctx.tree.get("reports", ()):
        tid = report["table"]
        before = _column_keys(report)
        if report.get("group_by"):
            ctx.update("report", report, "group_by", [
                ctx.path(tid, g) if isinstance(g, str)
                else {**g, "field": ctx.path(tid, g["field"])} for g in report["group_by"]
            ])  # fmt: skip
        if report.get("columns"):
            ctx.update("report", report, "columns", [ctx.path(tid, c) for c in report["columns"]])
        if report.get("measures"):
            ctx.update("report", report, "measures", [
                {**m, "field": ctx.path(tid, m["field"])} if "field" in m else m
                for m in report["measures"]
            ])  # fmt: skip
        if report.get("condition"):
            ctx.update("report", report, "condition", ctx.formula(tid, report["condition"]))
        if report.get("filters"):
            ctx.update("report", report, "filters", ctx.conditions(tid, report["filters"]))
        # Sort, series, categories and the gantt name output columns: map old keys to new.
        keys = dict(zip(before, _column_keys(report), strict=True))
        key = _key_mapper(keys)
        for prop in ("sort", "series"):
            if report.get(prop):
                ctx.update("report", report, prop, [key(k) for k in report[prop]])
        if report.get("categories"):
            ctx.update("report", report, "categories", key(report["categories"]))
        if report.get("gantt"):
            ctx.update("report", report, "gantt", {k: key(v) for k, v in report["gantt"].items()})


def _key_mapper(keys: dict[str, str]) -> Any:
    """Maps a column key, ``-`` first for descending, through ``keys``."""

    def key(k: str) -> str:
        sign = "-" if k.startswith("-") else ""
        return sign + keys.get(k.removeprefix("-"), k.removeprefix("-"))

    return key


def _column_keys(report: dict[str, Any]) -> list[str]:
    """The output column keys of a report (as :mod:`uchet.platform.checks.reports` makes
    them): group paths (``path__month`` when bucketed), detail columns, ``sum_amount``."""
    keys = []
    for g in report.get("group_by", ()):
        if isinstance(g, str):
            keys.append(g)
        else:
            keys.append(g["field"] + (f"__{g['bucket']}" if g.get("bucket") else ""))
    keys += list(report.get("columns", ()))
    for m in report.get("measures", ()):
        keys.append(m["aggregate"] if "field" not in m else f"{m['aggregate']}_{m['field']}")
    return keys


@rule(
    "dashboard widgets",
    "dashboard.json#/$defs/widget/columns[]", "dashboard.json#/$defs/widget/sort[]",
    "dashboard.json#/$defs/widget/field", "dashboard.json#/$defs/condition/field",
)  # fmt: skip
def _dashboards(ctx: Renaming) -> None:
    for board in ctx.tree.get("dashboards", ()):
        widgets = []
        for w in board["widgets"]:
            w = dict(w)
            tid = w.get("table")
            if tid:
                if "columns" in w:
                    w["columns"] = [ctx.path(tid, c) for c in w["columns"]]
                if "sort" in w:
                    w["sort"] = [ctx.sort_key(tid, k) for k in w["sort"]]
                if "field" in w:
                    w["field"] = ctx.path(tid, w["field"])
                if "filters" in w:
                    w["filters"] = ctx.conditions(tid, w["filters"])
            widgets.append(w)
        ctx.update("dashboard", board, "widgets", widgets)


def _labels(value: Any, fn: Any) -> Any:
    """A label (a string or text per locale) with ``fn`` applied to each text."""
    if isinstance(value, str):
        return fn(value)
    return {k: fn(v) for k, v in value.items()}


@rule("who may change a field", "table.json#/$defs/field/changed_by[]->role.json#/$defs/condition")
def _changed_by(ctx: Renaming) -> None:
    for table in ctx.tree.get("tables", ()):
        for f in table["fields"]:
            if f.get("changed_by"):
                ctx.update("field", f, "changed_by", ctx.conditions(table["id"], f["changed_by"]))


@rule(
    "message templates",
    "message_template.json#/recipient/address", "message_template.json#/recipient/name",
    "message_template.json#/recipient/opt_out", "message_template.json#/subject",
    "message_template.json#/body",
)  # fmt: skip
def _message_templates(ctx: Renaming) -> None:
    """Issue 19: a template's recipient paths and its subject and body placeholders."""
    for doc in ctx.tree.get("message_templates", ()):
        recipient = dict(doc.get("recipient", {}))
        for key in ("address", "name", "opt_out"):
            if recipient.get(key):
                recipient[key] = ctx.path(doc["table"], recipient[key])
        ctx.update("message_template", doc, "recipient", recipient)
        for key in ("subject", "body"):
            if doc.get(key):
                ctx.update("message_template", doc, key, ctx.template(doc["table"], doc[key]))
