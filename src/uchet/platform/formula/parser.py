"""Syntax of the formula language: tokenizer and parser (the tree is in ``formula_ast``).

A formula is a small expression written by an end user, for example
``qty * price`` or ``if(paid >= total, 'paid', 'unpaid')``. This module turns
the text into an immutable tree of :class:`Expr` nodes (:mod:`uchet.platform.formula.nodes`,
re-exported here). It never evaluates anything; :mod:`uchet.platform.formula.sql` compiles the
tree to a SQLAlchemy expression (architecture rule 8: formulas are parsed, never
``eval``-ed).

Grammar, loosest binding first::

    or  <  and  <  not  <  comparison  <  + -  <  * / %  <  unary -  <  atom

Comparisons (``= == != <> < <= > >=``) do not chain: ``a < b < c`` is an
error. ``==`` is read as ``=`` and ``<>`` as ``!=``. Keywords (``and or not
true false null``) and function names are case-insensitive; field names are
not. Text length and nesting depth are bounded so that a hostile formula
cannot exhaust memory or the Python stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from uchet.platform.formula.nodes import (
    BINARY_OPERATORS,
    COMPARISONS,
    MAX_DEPTH,
    MAX_LENGTH,
    NEG_POWER,
    NOT_POWER,
    BinaryOp,
    Call,
    Expr,
    FieldRef,
    FormulaError,
    FormulaSyntaxError,
    Literal,
    Param,
    UnaryOp,
    at_column,
    children,
    iter_nodes,
    parameters,
    references,
    to_source,
)

__all__ = [
    "BINARY_OPERATORS",
    "COMPARISONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "BinaryOp",
    "Call",
    "Expr",
    "FieldRef",
    "FormulaError",
    "FormulaSyntaxError",
    "Literal",
    "Param",
    "UnaryOp",
    "at_column",
    "children",
    "iter_nodes",
    "parameters",
    "parse_syntax",
    "path_spans",
    "references",
    "to_source",
]

_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null"})
_SPELLINGS = {"==": "=", "<>": "!="}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_OPERATOR_CHARS = ("<=", ">=", "==", "!=", "<>", "+", "-", "*", "/", "%", "=", "<", ">")
_HINTS = {"&": "; use 'and'", "|": "; use 'or' or concat()", "!": "; use 'not' or '!='"}

# ---------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "str", "name", "param", "kw", "op", "(", ")", ",", ".", "end"
    value: str | int | Decimal
    pos: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of formula"
        if self.kind == "str":
            return f"text {to_source(Literal(self.value))}"
        if self.kind == "num":
            return f"number {self.value}"
        if self.kind == "param":
            return f"'${self.value}'"
        return f"'{self.value}'"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            start = i
            while i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                i += 1
            word = text[start:i]
            if word.lower() in _KEYWORDS:
                tokens.append(_Token("kw", word.lower(), start))
            else:
                tokens.append(_Token("name", word, start))
        elif ch == "$":
            i, token = _read_param(text, i)
            tokens.append(token)
        elif ch.isascii() and ch.isdigit():
            i, token = _read_number(text, i)
            tokens.append(token)
        elif ch in "'\"":
            i, token = _read_string(text, i)
            tokens.append(token)
        elif ch in "(),.":
            tokens.append(_Token(ch, ch, i))
            i += 1
        else:
            op = next((o for o in _OPERATOR_CHARS if text.startswith(o, i)), None)
            if op is None:
                hint = _HINTS.get(ch, "")
                raise FormulaSyntaxError(f"unexpected character {ch!r} {at_column(i)}{hint}", i)
            tokens.append(_Token("op", _SPELLINGS.get(op, op), i))
            i += len(op)
    tokens.append(_Token("end", "", n))
    return tokens


def _read_param(text: str, start: int) -> tuple[int, _Token]:
    i = start + 1
    while i < len(text) and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
        i += 1
    name = text[start + 1 : i]
    if not name or not (name[0].isalpha() or name[0] == "_"):
        raise FormulaSyntaxError(
            f"'$' {at_column(start)} must be followed by a parameter name, as in $date_from",
            start,
        )
    return i, _Token("param", name, start)


def _digits_end(text: str, i: int) -> int:
    while i < len(text) and text[i].isascii() and text[i].isdigit():
        i += 1
    return i


def _read_number(text: str, start: int) -> tuple[int, _Token]:
    i = _digits_end(text, start)
    if i < len(text) and text[i] == ".":
        end = _digits_end(text, i + 1)
        if end == i + 1:
            raise FormulaSyntaxError(f"expected a digit after '.' {at_column(i + 1)}", i + 1)
        return end, _Token("num", Decimal(text[start:end]), start)
    return i, _Token("num", int(text[start:i]), start)


def _read_string(text: str, start: int) -> tuple[int, _Token]:
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return i + 1, _Token("str", "".join(parts), start)
        if ch == "\\":
            escaped = text[i + 1 : i + 2]
            if escaped not in _ESCAPES:
                raise FormulaSyntaxError(
                    f"unknown escape '\\{escaped}' {at_column(i)}; "
                    "expected one of \\\\ \\' \\\" \\n \\t \\r",
                    i,
                )
            parts.append(_ESCAPES[escaped])
            i += 2
        else:
            parts.append(ch)
            i += 1
    raise FormulaSyntaxError(
        f"unterminated text starting {at_column(start)}; expected a closing {quote!r}", start
    )


# ------------------------------------------------------------------------- parser

_OPERAND = "a number, text, field, function call or '('"


class _Parser:
    """Pratt parser over a token list; each rule returns ``(node, depth)``."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.level = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: _Token, expected: str) -> FormulaSyntaxError:
        return FormulaSyntaxError(
            f"unexpected {token.describe()} {at_column(token.pos)}; expected {expected}",
            token.pos,
        )

    def expect(self, kind: str, expected: str) -> _Token:
        if self.peek().kind != kind:
            raise self.fail(self.peek(), expected)
        return self.advance()

    @staticmethod
    def check_depth(depth: int, pos: int) -> int:
        if depth > MAX_DEPTH:
            raise FormulaSyntaxError(
                f"formula nests deeper than {MAX_DEPTH} levels {at_column(pos)}", pos
            )
        return depth

    def expression(self, min_power: int) -> tuple[Expr, int]:
        self.level += 1
        self.check_depth(self.level, self.peek().pos)
        left, depth = self.prefix()
        chained = False
        while True:
            token = self.peek()
            power = BINARY_OPERATORS.get(str(token.value), 0)
            if token.kind not in ("op", "kw") or power <= min_power:
                break
            op = str(token.value)
            if op in COMPARISONS and chained:
                raise FormulaSyntaxError(
                    f"comparisons cannot be chained {at_column(token.pos)}; "
                    "combine them with 'and'",
                    token.pos,
                )
            self.advance()
            right, right_depth = self.expression(power)
            left = BinaryOp(op, left, right, token.pos)
            depth = self.check_depth(1 + max(depth, right_depth), token.pos)
            chained = op in COMPARISONS
        self.level -= 1
        return left, depth

    def prefix(self) -> tuple[Expr, int]:
        token = self.advance()
        if token.kind in ("num", "str"):
            return Literal(token.value, token.pos), 1
        if token.kind == "kw" and token.value in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[str(token.value)]
            return Literal(value, token.pos), 1
        if token.kind == "op" and token.value in ("-", "+"):
            operand, depth = self.expression(NEG_POWER)
            if token.value == "+":
                return operand, self.check_depth(depth + 1, token.pos)
            return UnaryOp("-", operand, token.pos), self.check_depth(depth + 1, token.pos)
        if token.kind == "kw" and token.value == "not":
            operand, depth = self.expression(NOT_POWER)
            return UnaryOp("not", operand, token.pos), self.check_depth(depth + 1, token.pos)
        if token.kind == "(":
            inner, depth = self.expression(0)
            self.expect(")", "an operator or ')'")
            return inner, self.check_depth(depth + 1, token.pos)
        if token.kind == "name":
            return self.name(token)
        if token.kind == "param":
            return Param(str(token.value), token.pos), 1
        raise self.fail(token, _OPERAND)

    def name(self, first: _Token) -> tuple[Expr, int]:
        if self.peek().kind == "(":
            return self.call(first)
        path = [str(first.value)]
        while self.peek().kind == ".":
            self.advance()
            path.append(str(self.expect("name", "a field name after '.'").value))
        if self.peek().kind == "(":
            pos = self.peek().pos
            raise FormulaSyntaxError(
                f"unexpected '(' {at_column(pos)}; a function name cannot contain '.'", pos
            )
        return FieldRef(tuple(path), first.pos), 1

    def call(self, name: _Token) -> tuple[Expr, int]:
        self.advance()  # "("
        args: list[Expr] = []
        depth = 0
        if self.peek().kind != ")":
            while True:
                arg, arg_depth = self.expression(0)
                args.append(arg)
                depth = max(depth, arg_depth)
                if self.peek().kind != ",":
                    break
                self.advance()
        self.expect(")", "an operator, ',' or ')'")
        node = Call(str(name.value).lower(), tuple(args), name.pos)
        return node, self.check_depth(depth + 1, name.pos)


def parse_syntax(text: str) -> Expr:
    """Parse formula text into a tree, checking syntax only.

    Function names are not checked here; :func:`uchet.platform.formula.sql.parse`
    also checks them against the function registry.

    Raises:
        FormulaSyntaxError: the text is empty, too long, too deeply nested or
            malformed. The message names what was expected and the column.
    """
    if len(text) > MAX_LENGTH:
        raise FormulaSyntaxError(
            f"formula is too long: {len(text)} characters, at most {MAX_LENGTH} "
            f"(the excess starts {at_column(MAX_LENGTH)})",
            MAX_LENGTH,
        )
    if not text.strip():
        raise FormulaSyntaxError(f"formula is empty {at_column(0)}; expected {_OPERAND}", 0)
    parser = _Parser(_tokenize(text))
    expr, _ = parser.expression(0)
    parser.expect("end", "an operator or the end of the formula")
    return expr


def path_spans(text: str) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    """The field paths of formula ``text`` with the start of each of their names.

    ``client.city = 'Тула'`` gives ``[(("client", "city"), (0, 7))]``. Function names, keywords,
    ``$parameters`` and text literals are not paths. The rename of a field (issue 14) rewrites
    exactly these spans, so the rest of the formula keeps its spelling and spacing. Raises
    :class:`FormulaSyntaxError` on text the tokenizer refuses.
    """
    tokens = _tokenize(text)
    found: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        after_dot = i > 0 and tokens[i - 1].kind == "."
        if token.kind != "name" or after_dot or tokens[i + 1].kind == "(":
            i += 1
            continue
        names, starts = [str(token.value)], [token.pos]
        i += 1
        while tokens[i].kind == "." and tokens[i + 1].kind == "name":
            names.append(str(tokens[i + 1].value))
            starts.append(tokens[i + 1].pos)
            i += 2
        found.append((tuple(names), tuple(starts)))
    return found
