"""The engine of field renames: what the rewrite rules use (issue 14, S23).

A field's ``id`` never changes, so whatever names a field by id (form rows, list columns and
filters, search fields, rollups, role field rights...) follows a rename by itself. What names
a field by its *name* must be rewritten: formulas and conditions, dotted paths through
references, report columns and groupings, dashboard widgets, row rules, seeds, Jinja
templates. Each such place is a rule of :mod:`uchet.configurations.rename_rules`; this module
is the engine the rules use (:class:`Renaming`) and their registry (:data:`RULES`);
:mod:`uchet.configurations.rename` is the entry point.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from uchet.platform.formula.parser import FormulaError, path_spans

Tree = dict[str, Any]
#: A field's machine name, as the meta-schema requires (``common.json#/$defs/name``).
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
#: Jinja blocks, and in them quoted text or a dotted name (``record.client.city``).
_BLOCKS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_WORDS = re.compile(r"'[^']*'|\"[^\"]*\"|(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Change:
    """One rewritten place: the object (``report``, ``table``...) and where in it."""

    kind: str
    object_id: str
    where: str
    old: Any
    new: Any


class RenameError(ValueError):
    """The rename cannot be made: the new name is malformed or taken, or no such field."""


@dataclass
class Renaming:
    """The field being renamed, the tree being rewritten and the changes made so far."""

    tree: Tree
    table_id: str
    field_id: str
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    # -- looking things up ------------------------------------------------------------------
    def table(self, table_id: str | None) -> dict[str, Any] | None:
        """The table document ``table_id`` of the tree, or None."""
        return next((t for t in self.tree.get("tables", ()) if t["id"] == table_id), None)

    def table_by_name_or_id(self, key: str | None) -> dict[str, Any] | None:
        """A table named by id or name (dashboard report widgets accept either)."""
        return next((t for t in self.tree.get("tables", ()) if key in (t["id"], t["name"])),
                    None)  # fmt: skip

    # -- rewriting values -------------------------------------------------------------------
    def path(self, table_id: str | None, path: str) -> str:
        """Dotted path ``path`` read from table ``table_id`` with the renamed field's segment
        replaced (``client.city`` from contacts); unchanged when it does not pass it."""
        names = path.split(".")
        out = self._segments(table_id, names)
        return ".".join(out)

    def _segments(self, table_id: str | None, names: list[str]) -> list[str]:
        out = list(names)
        table = self.table(table_id)
        for i, name in enumerate(names):
            if table is None:
                break
            f = next((x for x in table["fields"] if x["name"] == name), None)
            if f is None:
                break
            if f["id"] == self.field_id:
                out[i] = self.new
            table = self.table(f.get("target")) if f.get("type") == "reference" else None
        return out

    def formula(self, table_id: str | None, text: str) -> str:
        """Formula ``text`` over table ``table_id`` with every path through the renamed field
        rewritten in place; the rest keeps its spelling. A formula that does not tokenize is
        left as it is (the configuration check reports it anyway)."""
        try:
            spans = path_spans(text)
        except FormulaError:
            return text
        edits: list[tuple[int, int, str]] = []
        for names, starts in spans:
            new = self._segments(table_id, list(names))
            for name, replaced, start in zip(names, new, starts, strict=True):
                if name != replaced:
                    edits.append((start, start + len(name), replaced))
        for start, end, replaced in sorted(edits, reverse=True):
            text = text[:start] + replaced + text[end:]
        return text

    def template(self, table_id: str | None, text: str) -> str:
        """Jinja ``text`` whose context is a record of table ``table_id`` (its fields as
        names and as ``record.<name>``, references as records) with every path through the
        renamed field rewritten in the blocks ``{{ }}`` and ``{% %}``: ``{{ city }}``,
        ``{{ record.city }}``, ``{{ client.city }}``, ``{{ city__title }}``. Quoted text in
        the blocks and everything outside them stay as they are."""

        def one(m: re.Match[str]) -> str:
            word = m.group(0)
            if word[0] in "'\"":
                return word
            prefix = "record." if word.startswith("record.") else ""
            names = word.removeprefix(prefix).split(".")
            suffix = "__title" if names[-1].endswith("__title") else ""
            names[-1] = names[-1].removesuffix("__title")
            out = self._segments(table_id, names)
            out[-1] += suffix
            return prefix + ".".join(out)

        def block(m: re.Match[str]) -> str:
            return _WORDS.sub(one, m.group(0))

        return _BLOCKS.sub(block, text)

    def conditions(self, table_id: str | None, conds: list[Any]) -> list[Any]:
        """Role/report/dashboard conditions (``{"field": path}``, ``{"any": [...]}``)."""
        out = []
        for cond in conds:
            cond = dict(cond)
            if "field" in cond:
                cond["field"] = self.path(table_id, cond["field"])
            if "any" in cond:
                cond["any"] = self.conditions(table_id, cond["any"])
            out.append(cond)
        return out

    def sort_key(self, table_id: str | None, key: str) -> str:
        """A sort key: a path, ``-`` first for descending."""
        sign = "-" if key.startswith("-") else ""
        return sign + self.path(table_id, key.removeprefix("-"))

    # -- recording ----------------------------------------------------------------------------
    def update(self, kind: str, obj: dict[str, Any], key: str, new: Any, where: str = "") -> None:
        """Set ``obj[key]`` to ``new`` and record the change when it differs."""
        old = obj.get(key)
        if old != new:
            obj[key] = new
            self.changes.append(Change(kind, obj.get("id", ""), where or key, old, new))


#: A rule rewrites one kind of place in the tree.
RuleFn = Callable[[Renaming], None]


@dataclass(frozen=True)
class Rule:
    """Where field names appear (meta-schema locations, see :func:`schema_locations`) and
    the function that rewrites them."""

    name: str
    covers: tuple[str, ...]
    rewrite: RuleFn


#: The registry of rules, filled by :mod:`uchet.configurations.rename_rules`.
RULES: list[Rule] = []


def rule(name: str, *covers: str) -> Callable[[RuleFn], RuleFn]:
    """Register a rewrite rule covering the meta-schema locations ``covers``."""

    def register(fn: RuleFn) -> RuleFn:
        RULES.append(Rule(name, covers, fn))
        return fn

    return register
