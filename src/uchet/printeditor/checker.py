"""The template checker shared by both kinds of template: tag syntax, block structure and
placeholders against the catalog, for one template source.

:mod:`uchet.printeditor.validate` (``.docx``) and :mod:`uchet.printeditor.validate_xlsx`
(``.xlsx``) find the sources and where each tag is; this module checks them. It sits below
both, so the two entry points never import each other.

Syntax is checked tag by tag (so every broken tag is listed, not just the first one
Jinja meets), then block structure (``for``/``if`` without their ``end``), then the whole
template. Placeholders are checked against :func:`uchet.printeditor.catalog.catalog`:
``{{ client.nme }}`` is reported as unknown with a suggestion (``client.name``), loop
variables are followed into child rows, and names a template sets itself are accepted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from uchet.printeditor.catalog import ANY, ANY_NODE, LIST, RECORD, VALUE, Node
from uchet.printeditor.errors import Problem
from uchet.printeditor.sandbox import environment
from uchet.printeditor.static_check import sandbox_problems

_TOKENS = re.compile(
    r"<(?P<close>/?)w:(?P<el>tbl|tr|tc|p)\b[^>]*?(?P<self>/?)>|(?P<tag>\{\{.*?\}\}|\{%.*?%\})",
    re.S,
)
_STATEMENT = re.compile(r"^\{%-?\s*(\w+)")
_FOR_TARGETS = re.compile(r"^\{%-?\s*for\s+(\w+(?:\s*,\s*\w+)*)\s+in\b")
_BLOCKS = {"for", "if", "with", "macro", "call", "filter", "set_block", "autoescape", "raw"}
_MIDDLE = {"elif": "if", "else": ("if", "for")}


@dataclass(frozen=True)
class Tag:
    """A Jinja tag of a template, with its line and where it is in the document."""

    text: str
    line: int
    location: str


# -- docx locations --------------------------------------------------------------------------
def docx_tags(source: str, prefix: str = "") -> list[Tag]:
    """Every Jinja tag of a docx part's template source, with its location."""
    tags: list[Tag] = []
    paragraphs = 0
    in_paragraph = False
    tables: list[list[Any]] = []  # [number, row, column, in_row, in_cell]
    table_count = 0
    for m in _TOKENS.finditer(source):
        if m.group("tag"):
            line = source.count("\n", 0, m.start()) + 1
            # A {%tr %} or {%p %} tag replaced its whole row or paragraph: it still
            # counts, so the numbers below it match what the author sees in Word.
            if tables:
                number, row, col, in_row, in_cell = tables[-1]
                if not in_row:
                    tables[-1][1] = row = row + 1
                where = f"table {number}, row {row}"
                if in_row and in_cell:
                    where += f", column {col}"
            else:
                if not in_paragraph:
                    paragraphs += 1
                where = f"paragraph {paragraphs}"
            tags.append(Tag(m.group("tag"), line, prefix + where))
            continue
        el, closing, selfclosing = m.group("el"), bool(m.group("close")), bool(m.group("self"))
        if el == "p":
            if not closing and not tables:
                paragraphs += 1
            in_paragraph = not closing and not selfclosing
        elif el == "tbl":
            if closing:
                tables and tables.pop()
            else:
                table_count += 1
                tables.append([table_count, 0, 0, False, False])
        elif tables and el == "tr":
            if closing:
                tables[-1][3] = False
            else:
                tables[-1][1] += 1
                tables[-1][2] = 0
                tables[-1][3] = True
        elif tables and el == "tc":
            if closing:
                tables[-1][4] = False
            else:
                tables[-1][2] += 1
                tables[-1][4] = True
    return tags


def _locate(tags: list[Tag], line: int, name: str = "") -> str:
    on_line = [t for t in tags if t.line == line]
    if name:
        word = re.compile(rf"\b{re.escape(name)}\b")
        for t in on_line:
            if word.search(t.text):
                return t.location
    if on_line:
        return on_line[0].location
    before = [t for t in tags if t.line < line]
    return before[-1].location if before else (tags[0].location if tags else "")


# -- syntax ----------------------------------------------------------------------------------
_ENDS = {
    "for": "{% endfor %}",
    "if": "{% endif %}",
    "with": "{% endwith %}",
    "macro": "{% endmacro %}",
    "call": "{% endcall %}",
    "filter": "{% endfilter %}",
}


def _probe(tag: str) -> str | None:
    """A tag made parseable on its own (a block gets its end), or None for the ends and
    middles of blocks, which only the block structure can check."""
    if tag.startswith("{{"):
        return tag
    m = _STATEMENT.match(tag)
    if m is None:
        return tag
    word = m.group(1)
    if word.startswith("end") or word == "else":
        return None
    if word == "elif":  # {% elif x %} checks like {% if x %}
        return "{% if" + tag[m.end() :] + "{% endif %}"
    if word == "set" and "=" not in tag:
        return tag + "{% endset %}"
    return tag + _ENDS.get(word, "")


def _tag_error(tag: str) -> str | None:
    """The syntax error of one tag checked on its own, or None."""
    if not tag.startswith("{{") and _STATEMENT.match(tag) is None:
        return "a {% %} tag without a statement"
    probe = _probe(tag)
    if probe is None:
        return None  # checked by the block structure
    try:
        environment().parse(probe)
    except TemplateSyntaxError as e:
        return e.message
    return None


def _structure(tags: list[Tag]) -> Iterator[Problem]:
    """Blocks opened and never closed, and ends without a start."""
    stack: list[tuple[str, Tag]] = []
    for tag in tags:
        m = _STATEMENT.match(tag.text)
        if not m:
            continue
        word = m.group(1)
        if word == "set":
            word = "set_block" if "=" not in tag.text else ""
        if word in _BLOCKS:
            stack.append((word, tag))
        elif word.startswith("end"):
            wanted = "set_block" if word == "endset" else word[3:]
            if stack and stack[-1][0] == wanted:
                stack.pop()
            else:
                yield Problem(tag.location, f"{{% {word} %}} without a matching {{% {wanted} %}}")
        elif word in _MIDDLE:
            allowed = _MIDDLE[word]
            if not stack or stack[-1][0] not in (
                allowed if isinstance(allowed, tuple) else (allowed,)
            ):
                yield Problem(tag.location, f"{{% {word} %}} outside an {{% if %}} block")
    for word, tag in stack:
        name = "set" if word == "set_block" else word
        yield Problem(tag.location, f"{{% {name} %}} is never closed with {{% end{name} %}}")


def check_source(source: str, tags: list[Tag], root: Node, cell: str = "") -> list[Problem]:
    """Problems of one template source: syntax, structure, then unknown placeholders.

    A template that parses is checked as a whole. One that does not still has every tag
    that parses on its own checked (:func:`_tag_placeholders`), so the author sees a
    misspelt field next to a broken tag rather than one problem per upload.
    """
    problems = []
    for tag in tags:
        error = _tag_error(tag.text)
        if error:
            where = cell or tag.location
            problems.append(Problem(where, f"syntax error in {_short(tag.text)}: {error}"))
    problems += _structure(tags)
    if not problems:
        try:
            ast = environment().parse(source)
        except TemplateSyntaxError as e:
            where = cell or _locate(tags, e.lineno or 0)
            problems.append(Problem(where, f"syntax error: {e.message}"))
        else:
            # The sandbox's own rules first: a template that can never print (issue 13, 6).
            found = sandbox_problems(ast) + Checker(root).run(ast)
            return [
                Problem(cell or _locate(tags, line, name), message) for line, name, message in found
            ]
    return list(dict.fromkeys(problems + _tag_placeholders(tags, root, cell)))


def _tag_placeholders(tags: list[Tag], root: Node, cell: str = "") -> list[Problem]:
    """Unknown placeholders of each tag that parses on its own, for a template that does
    not parse as a whole. Loop variables and ``set`` names are followed tag by tag, as the
    blocks open and close."""
    problems: list[Problem] = []
    stack: list[tuple[str, dict[str, Node]]] = [("", {})]
    for tag in tags:
        m = _STATEMENT.match(tag.text)
        word = m.group(1) if m else ""
        if word.startswith("end"):
            if len(stack) > 1 and stack[-1][0] == word[3:]:
                stack.pop()
            continue
        probe = _probe(tag.text)
        if probe is None:
            continue
        if _tag_error(tag.text):
            # A broken {% for %} still opens its block and names its variables, so the rows
            # inside are not all reported as unknown as well.
            loop = _FOR_TARGETS.match(tag.text)
            if loop:
                names = {n.strip(): ANY_NODE for n in loop.group(1).split(",")}
                stack.append(("for", {**names, "loop": ANY_NODE}))
            elif word in _BLOCKS:
                stack.append((word, {}))
            continue
        scope = {k: v for _, names in stack for k, v in names.items()}
        ast = environment().parse(probe)
        checker = Checker(root, scope)
        where = cell or tag.location
        problems += [Problem(where, message) for _l, _n, message in checker.run(ast)]
        first = ast.body[0] if ast.body else None
        if isinstance(first, nodes.For):
            item = checker._item(first.iter, scope)
            single = isinstance(first.target, nodes.Name)
            names = {n: item if single else ANY_NODE for n in _names(first.target)}
            stack.append(("for", {**names, "loop": ANY_NODE}))
        elif isinstance(first, nodes.Assign | nodes.AssignBlock):
            stack[-1][1].update((n, ANY_NODE) for n in _names(first.target))
            if isinstance(first, nodes.AssignBlock):
                stack.append(("set", {}))
        elif isinstance(first, nodes.Macro | nodes.CallBlock | nodes.With):
            names = {"caller": ANY_NODE}
            for arg in getattr(first, "args", ()):
                names[arg.name] = ANY_NODE
            for target in getattr(first, "targets", ()):
                names.update((n, ANY_NODE) for n in _names(target))
            stack.append((word, names))
        elif word in _BLOCKS:
            stack.append((word, {}))
    return problems


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- placeholders ----------------------------------------------------------------------------
class Checker:
    """Walks a template's syntax tree and reports names the catalog does not know."""

    def __init__(self, root: Node, scope: dict[str, Node] | None = None) -> None:
        self.root = root
        self.scope0 = dict(scope or {})
        self.env = environment()
        self.found: list[tuple[int, str, str]] = []

    def run(self, ast: nodes.Node) -> list[tuple[int, str, str]]:
        """``(line, root name, message)`` of every problem in ``ast``."""
        self.visit(ast, dict(self.scope0))
        unique = dict.fromkeys(self.found)
        return list(unique)

    def lookup(self, name: str, scope: dict[str, Node]) -> Node | None:
        if name in scope:
            return scope[name]
        found = self.root.child(name)
        if found is None and name in self.env.globals:
            return ANY_NODE  # range(), namespace(), ...
        return found

    def resolve(self, parts: list[Any], scope: dict[str, Node], line: int) -> Node | None:
        """The node of a path, or None after reporting the first unknown part."""
        node = self.lookup(parts[0], scope)
        path = str(parts[0])
        if node is None:
            self._unknown(line, parts[0], path, self.root.children)
            return None
        for part in parts[1:]:
            if node.kind == ANY:
                return node
            if node.kind == LIST:
                if isinstance(part, int):
                    node, path = node.item or ANY_NODE, f"{path}[{part}]"
                    continue
                self._unknown(line, parts[0], f"{path}.{part}", {})
                return None
            if node.kind == VALUE and isinstance(part, str) and hasattr(str, part):
                return ANY_NODE  # {{ name.upper() }}: a text method
            child = node.child(str(part)) if node.kind == RECORD else None
            if child is None:
                self._unknown(line, parts[0], f"{path}.{part}", node.children, f"{path}.")
                return None
            node, path = child, f"{path}.{part}"
        return node

    def _unknown(self, line: int, root: Any, path: str, known: dict, prefix: str = "") -> None:
        if root == "company" and "company" not in self.root.children:
            message = (
                "no company table is configured (set print_company_table in the "
                "manifest's settings)"
            )
            self.found.append((line, "company", f"{{{{ {path} }}}}: {message}"))
            return
        last = path.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(last, list(known), n=1)
        hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
        self.found.append((line, str(root), f"unknown placeholder {{{{ {path} }}}}{hint}"))

    def _path(self, node: nodes.Node) -> tuple[list[Any], nodes.Node | None]:
        """``[name, attr, ...]`` of a Name/Getattr/Getitem chain, and the first non-constant
        subscript to visit separately."""
        parts: list[Any] = []
        extra = None
        while True:
            if isinstance(node, nodes.Getattr):
                parts.append(node.attr)
                node = node.node
            elif isinstance(node, nodes.Getitem):
                if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str | int):
                    parts.append(node.arg.value)
                else:
                    extra, parts = node.arg, []
                node = node.node
            elif isinstance(node, nodes.Name):
                parts.append(node.name)
                return parts[::-1], extra
            else:
                return [], node

    def visit(self, node: nodes.Node, scope: dict[str, Node]) -> Node | None:
        line = getattr(node, "lineno", 0) or 0
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            parts, other = self._path(node)
            if other is not None:
                self.visit(other, scope)
            if parts and not (isinstance(node, nodes.Name) and node.ctx != "load"):
                return self.resolve(parts, scope, line)
            return None
        if isinstance(node, nodes.Filter | nodes.Test):
            table = self.env.filters if isinstance(node, nodes.Filter) else self.env.tests
            if node.name not in table:
                kind = "filter" if isinstance(node, nodes.Filter) else "test"
                self.found.append((line, node.name, f"unknown {kind} {node.name!r}"))
        if isinstance(node, nodes.For):
            self.visit(node.iter, scope)
            item = self._item(node.iter, scope)
            inner = dict(scope, loop=ANY_NODE)
            for target in _names(node.target):
                inner[target] = item if isinstance(node.target, nodes.Name) else ANY_NODE
            self._body(node.body, inner)
            if node.test is not None:
                self.visit(node.test, inner)
            self._body(node.else_, scope)
            return None
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            inner = dict(scope, caller=ANY_NODE)
            for arg in getattr(node, "args", ()):
                inner[arg.name] = ANY_NODE
            self._body(node.body, inner)
            return None
        if isinstance(node, nodes.Template):
            self._body(node.body, scope)
            return None
        for child in node.iter_child_nodes():
            self.visit(child, scope)
        if isinstance(node, nodes.Assign | nodes.AssignBlock | nodes.With):
            assigned = node.targets if isinstance(node, nodes.With) else [node.target]
            for expr in assigned:
                for name in _names(expr):
                    scope[name] = ANY_NODE
        return None

    def _body(self, body: list[nodes.Node], scope: dict[str, Node]) -> None:
        inner = dict(scope)
        for stmt in body:
            self.visit(stmt, inner)

    def _item(self, iterable: nodes.Node, scope: dict[str, Node]) -> Node:
        parts, other = self._path(iterable)
        if not parts or other is not None:
            return ANY_NODE
        node = self.lookup(parts[0], scope)
        for part in parts[1:]:
            if node is None or node.kind != RECORD:
                return ANY_NODE
            node = node.child(str(part))
        if node is not None and node.kind == LIST and node.item is not None:
            return node.item
        return ANY_NODE


def _names(target: nodes.Node) -> list[str]:
    if isinstance(target, nodes.Name):
        return [target.name]
    if isinstance(target, nodes.Tuple):
        return [n for item in target.items for n in _names(item)]
    return []
