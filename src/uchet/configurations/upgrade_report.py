"""The upgrade's merge report: for people (text), for the database and the resolution file.

The text is stable line by line (tests compare it with an expected file): sections in a fixed
order, items in the order the merge met them. ``uchet_config.upgrade_report`` stores
:func:`report_json` (its ``text`` key is what the web history page shows). The resolution
file (:func:`resolution_template`) lists every conflict with its three values and a
``"choose": null`` to fill in with ``customer``, ``vendor`` or ``base``, or a ``"value"``.

Pure functions: no database, no Flask.
"""

from __future__ import annotations

import json
from typing import Any

from uchet.configurations.merge3 import ABSENT, Conflict
from uchet.configurations.upgrade import UpgradeResult


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _data(value: Any) -> Any:
    """A value for JSON: ABSENT (the side does not have it) as null."""
    return None if value is ABSENT else value


def report_lines(result: UpgradeResult, title: str) -> list[str]:
    """The merge report for people, one item per line."""
    outcome = result.outcome
    in_conflict = {(c.target, c.prop) for c in outcome.conflicts}
    # A conflict on ``choices`` hides the vendor's ``choices[paused]`` lines too.
    taken = [
        line for line, (target, prop) in _vendor_lines(result)
        if (target, prop) not in in_conflict and (target, prop.split("[")[0]) not in in_conflict
    ]  # fmt: skip
    lines = [title, f"Taken from the new base ({len(taken)}):"]
    lines += [f"  {line}" for line in taken]
    lines.append(f"Kept from the customer's layers ({len(outcome.kept)}):")
    for layer, target, prop, value in outcome.kept:
        if prop == "(object)":
            lines.append(f"  {layer}: {target} {value}")
        else:
            lines.append(f"  {layer}: {target} {prop} = {_show(value)}")
    lines.append(f"Conflicts ({len(outcome.conflicts)}, {len(result.unresolved)} open):")
    for c in outcome.conflicts:
        lines += conflict_lines(c)
    lines.append(f"Orphans ({len(outcome.orphans)}):")
    for layer, what, contents, reason in outcome.orphans:
        lines.append(f"  {layer}: {what}: {_show(contents)} ({reason})")
    if result.unknown_resolutions:
        lines.append(f"Resolutions that name no conflict ({len(result.unknown_resolutions)}):")
        lines += [f"  {key}" for key in result.unknown_resolutions]
    return lines


def conflict_lines(c: Conflict) -> list[str]:
    """One conflict: its key, the three values and what was chosen."""
    chosen = "open" if not c.is_resolved else c.choice
    if c.choice == "value":
        chosen = f"value {_show(c.resolved)}"
    return [
        f"  {c.key}",
        f"    base:     {_show(c.base)}",
        f"    vendor:   {_show(c.vendor)}",
        f"    customer: {_show(c.customer)}",
        f"    resolved: {chosen}",
    ]


def _vendor_lines(result: UpgradeResult) -> list[tuple[str, tuple[str, str]]]:
    d = result.vendor
    out: list[tuple[str, tuple[str, str]]] = []
    out += [(f"+ {o.kind} {o.id}", (o.id, "(object)")) for o in d.added]
    out += [(f"- {o.kind} {o.id}", (o.id, "(object)")) for o in d.removed]
    out += [(f"~ {o.kind} {o.id} renamed: {a} -> {b}", (o.id, "name")) for o, a, b in d.renamed]
    out += [(f"~ {o.kind} {o.id} moved: {a} -> {b}", (o.id, "(parent)")) for o, a, b in d.moved]
    out += [
        (f"~ {c.kind} {c.id} {c.prop}: {_show(_none(c.old))} -> {_show(_none(c.new))}",
         (c.id, c.prop))
        for c in d.changed
    ]  # fmt: skip
    return out


def _none(value: Any) -> Any:
    return ABSENT if value is None else value


def report_json(result: UpgradeResult, title: str) -> dict[str, Any]:
    """The report as stored in ``uchet_config.upgrade_report``."""
    outcome = result.outcome
    return {
        "title": title,
        "text": "\n".join(report_lines(result, title)),
        "kept": len(outcome.kept),
        "taken": len(_vendor_lines(result)),
        "conflicts": [
            {"key": c.key, "base": _data(c.base), "vendor": _data(c.vendor),
             "customer": _data(c.customer), "choice": c.choice, "value": _data(c.resolved)}
            for c in outcome.conflicts
        ],
        "orphans": [
            {"layer": layer, "what": what, "contents": contents, "reason": reason}
            for layer, what, contents, reason in outcome.orphans
        ],
    }  # fmt: skip


def resolution_template(result: UpgradeResult, title: str) -> dict[str, Any]:
    """A resolution file to fill in: each conflict with its values and its choice so far."""
    conflicts: dict[str, Any] = {}
    for c in result.conflicts:
        entry: dict[str, Any] = {
            "base": _data(c.base), "vendor": _data(c.vendor), "customer": _data(c.customer),
            "choose": c.choice if c.choice != "value" else None,
        }  # fmt: skip
        if c.choice == "value":
            entry["value"] = _data(c.resolved)
        conflicts[c.key] = entry
    return {
        "upgrade": title,
        "help": "Set each choose to customer, vendor or base, or replace choose by "
        '"value": <the value>; then run uchet config upgrade again with --resolutions.',
        "conflicts": conflicts,
    }
