"""Tests of the formula language: syntax, checks, types, and evaluation on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from uchet.platform.formula.parser import BINARY_OPERATORS, children, iter_nodes, parse_syntax
from uchet.platform.formula.sql import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    BinaryOp,
    Call,
    Expr,
    FieldRef,
    FormulaError,
    FormulaSyntaxError,
    FunctionSpec,
    Literal,
    Param,
    UnaryOp,
    check,
    compile_expr,
    infer_type,
    kind_of,
    param_value,
    parameters,
    parse,
    references,
    to_source,
)
from uchet.platform.model.errors import UchetError


def f(*path: str) -> FieldRef:
    return FieldRef(path)


def lit(value: Any) -> Literal:
    return Literal(value)


# ------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("qty * price", BinaryOp("*", f("qty"), f("price"))),
        ("1 + 2 * 3", BinaryOp("+", lit(1), BinaryOp("*", lit(2), lit(3)))),
        ("(1 + 2) * 3", BinaryOp("*", BinaryOp("+", lit(1), lit(2)), lit(3))),
        ("a - b - c", BinaryOp("-", BinaryOp("-", f("a"), f("b")), f("c"))),
        ("a / b % c", BinaryOp("%", BinaryOp("/", f("a"), f("b")), f("c"))),
        ("-a * b", BinaryOp("*", UnaryOp("-", f("a")), f("b"))),
        ("a - -1", BinaryOp("-", f("a"), UnaryOp("-", lit(1)))),
        ("+a", f("a")),
        ("  total  -  paid ", BinaryOp("-", f("total"), f("paid"))),
        (
            "not a = 1 and b or c",
            BinaryOp(
                "or",
                BinaryOp("and", UnaryOp("not", BinaryOp("=", f("a"), lit(1))), f("b")),
                f("c"),
            ),
        ),
        ("a == 1", BinaryOp("=", f("a"), lit(1))),
        ("a <> 1", BinaryOp("!=", f("a"), lit(1))),
        ("a != 1", BinaryOp("!=", f("a"), lit(1))),
        ("a <= b + 1", BinaryOp("<=", f("a"), BinaryOp("+", f("b"), lit(1)))),
        ("(a < b) = true", BinaryOp("=", BinaryOp("<", f("a"), f("b")), lit(True))),
        ("client.city", f("client", "city")),
        ("order.client.city", f("order", "client", "city")),
        ("today() - started", BinaryOp("-", Call("today", ()), f("started"))),
        (
            "ROUND(amount * 1.2, 2)",
            Call("round", (BinaryOp("*", f("amount"), lit(Decimal("1.2"))), lit(2))),
        ),
        ("coalesce(discount, 0)", Call("coalesce", (f("discount"), lit(0)))),
        (
            "concat(last_name, ' ', first_name)",
            Call("concat", (f("last_name"), lit(" "), f("first_name"))),
        ),
        (
            "if(paid >= total, 'paid', if(paid > 0, 'partly', 'unpaid'))",
            Call(
                "if",
                (
                    BinaryOp(">=", f("paid"), f("total")),
                    lit("paid"),
                    Call("if", (BinaryOp(">", f("paid"), lit(0)), lit("partly"), lit("unpaid"))),
                ),
            ),
        ),
        ("_x1", f("_x1")),
        ("Qty", f("Qty")),
    ],
)
def test_parse_builds_the_tree(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("1.50", Decimal("1.50")),
        ("0.5", Decimal("0.5")),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\"\\n\\t\\\\"', 'say "hi"\n\t\\'),
        ("'Привет'", "Привет"),
        ("''", ""),
        ("TRUE", True),
        ("false", False),
        ("Null", None),
    ],
)
def test_parse_literals_keep_their_type(text: str, value: object) -> None:
    node = parse(text)
    assert isinstance(node, Literal)
    assert node.value == value
    assert type(node.value) is type(value)


def test_nodes_are_frozen_and_record_positions() -> None:
    node = parse("qty *  price")
    assert isinstance(node, BinaryOp)
    assert (node.pos, node.left.pos, node.right.pos) == (4, 0, 7)
    with pytest.raises(AttributeError):
        node.op = "+"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("qty * )", 6, "unexpected ')' at column 7; expected a number"),
        ("qty *", 5, "unexpected end of formula at column 6"),
        ("(qty + 1", 8, "expected an operator or ')'"),
        ("'abc", 0, "unterminated text starting at column 1"),
        ('"abc\\"', 0, "expected a closing '\"'"),
        ("qty # 2", 4, "unexpected character '#' at column 5"),
        ("a && b", 2, "use 'and'"),
        ("qty price", 4, "unexpected 'price' at column 5; expected an operator or the end"),
        ("round(1,)", 8, "unexpected ')' at column 9"),
        ("round(1 2)", 8, "expected an operator, ',' or ')'"),
        ("client.", 7, "expected a field name after '.'"),
        ("client.and", 7, "expected a field name after '.'"),
        ("client.round(1)", 12, "a function name cannot contain '.'"),
        ("1.", 2, "expected a digit after '.' at column 3"),
        ("1.5.3", 3, "unexpected '.' at column 4"),
        (".5", 0, "unexpected '.' at column 1"),
        ("a < b < c", 6, "comparisons cannot be chained at column 7"),
        ("'a\\q'", 2, "unknown escape '\\q' at column 3"),
        ("", 0, "formula is empty"),
        ("   ", 0, "formula is empty"),
        ("a not b", 2, "unexpected 'not' at column 3"),
        ("a = = b", 4, "unexpected '=' at column 5"),
        ("()", 1, "unexpected ')' at column 2"),
        ("a)", 1, "unexpected ')' at column 2; expected an operator or the end"),
        ("x = 'Ёлка' +", 12, "unexpected end of formula at column 13"),
    ],
)
def test_syntax_errors_name_position_and_expectation(
    text: str, position: int, fragment: str
) -> None:
    with pytest.raises(FormulaSyntaxError) as info:
        parse(text)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, UchetError)


# ------------------------------------------------------------------------- limits


def test_length_limit() -> None:
    longest = "a" + " " * (MAX_LENGTH - 1)
    assert parse(longest) == f("a")
    with pytest.raises(FormulaSyntaxError, match="too long: 2001 characters") as info:
        parse(longest + " ")
    assert info.value.position == MAX_LENGTH


def test_long_but_shallow_formula_is_fine() -> None:
    text = "concat(" + ", ".join(["name"] * 300) + ")"
    expr = parse(text)
    assert isinstance(expr, Call) and len(expr.args) == 300


@pytest.mark.parametrize(
    "build",
    [
        lambda n: "(" * n + "1" + ")" * n,
        lambda n: "-" * n + "1",
        lambda n: "not " * n + "a",
        lambda n: "1" + " + 1" * n,
        lambda n: "a" + " * a" * n,
        lambda n: "abs(" * n + "1" + ")" * n,
        lambda n: "if(a, 1, " * n + "1" + ")" * n,
    ],
)
def test_depth_limit(build: Any) -> None:
    parse(build(MAX_DEPTH - 1))  # 50 levels counting the innermost atom
    with pytest.raises(FormulaSyntaxError, match="nests deeper than 50 levels"):
        parse(build(MAX_DEPTH))


@pytest.mark.parametrize("text", ["(" * 1999, "-" * 1999 + "1", "1+" * 999 + "1", "abs(" * 499])
def test_hostile_formulas_fail_cleanly(text: str) -> None:
    with pytest.raises(FormulaSyntaxError):
        parse(text)


def test_hand_built_deep_tree_is_rejected() -> None:
    expr: Expr = lit(1)
    for _ in range(MAX_DEPTH - 1):
        expr = UnaryOp("-", expr)
    assert check(expr) is expr
    expr = UnaryOp("-", expr)
    with pytest.raises(FormulaError, match="nests deeper"):
        check(expr)
    with pytest.raises(FormulaError, match="nests deeper"):
        compile_expr(expr, lambda path: sa.column(path[0]), "sqlite")
    # A shared subtree is checked along every path: 2**60 paths, rejected quickly.
    shared: Expr = f("a")
    for _ in range(60):
        shared = BinaryOp("+", shared, shared)
    with pytest.raises(FormulaError, match="nests deeper"):
        check(shared)


# ---------------------------------------------------------------------- functions


def test_unknown_function() -> None:
    with pytest.raises(FormulaError) as info:
        parse("1 + foo(2)")
    message = str(info.value)
    assert message.startswith("unknown function 'foo' at column 5; known: abs, coalesce, concat")
    assert info.value.position == 4
    assert not isinstance(info.value, FormulaSyntaxError)
    assert isinstance(info.value, ValueError)
    # Syntax alone does not know the registry; compiling checks it again.
    expr = parse_syntax("foo(2)")
    with pytest.raises(FormulaError, match="unknown function 'foo'"):
        compile_expr(expr, lambda path: sa.column(path[0]), "sqlite")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("round()", "round() at column 1 takes 1 to 2 argument(s), got 0"),
        ("round(1, 2, 3)", "takes 1 to 2 argument(s), got 3"),
        ("if(a, 1)", "if() at column 1 takes 3 argument(s), got 2"),
        ("today(1)", "takes 0 argument(s), got 1"),
        ("coalesce(a)", "takes at least 2 argument(s), got 1"),
        ("min(a)", "takes at least 2 argument(s), got 1"),
        ("concat()", "takes at least 1 argument(s), got 0"),
        ("1 + days(a)", "days() at column 5 takes 2 argument(s), got 1"),
    ],
)
def test_wrong_argument_count(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert message in str(info.value)


def test_function_registry_lists_the_language() -> None:
    assert set(FUNCTIONS) == {
        "today", "now", "if", "coalesce", "round", "abs", "min", "max",
        "lower", "upper", "length", "concat", "number", "days", "year", "month",
    }  # fmt: skip
    for name, spec in FUNCTIONS.items():
        assert isinstance(spec, FunctionSpec)
        assert spec.doc.startswith(name + "(")
        assert spec.max_args is None or spec.max_args >= spec.min_args


def test_a_registered_function_is_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    def twice(args: Sequence[sa.ColumnElement[Any]], dialect: str) -> sa.ColumnElement[Any]:
        return sa.type_coerce(args[0] * 2, args[0].type)

    monkeypatch.setitem(FUNCTIONS, "twice", FunctionSpec(1, 1, twice, "twice(x)"))
    engine = sa.create_engine("sqlite://")
    column = compile_expr(parse("twice(2) + 1"), lambda path: sa.column(path[0]), "sqlite")
    with engine.connect() as conn:
        assert conn.execute(sa.select(column)).scalar_one() == 5


# --------------------------------------------------------------------- references


def test_references() -> None:
    expr = parse("if(client.city = 'x', qty * price, coalesce(discount, qty)) + order.client.id")
    assert references(expr) == {
        ("client", "city"),
        ("qty",),
        ("price",),
        ("discount",),
        ("order", "client", "id"),
    }
    assert references(parse("today() + 1")) == set()
    assert references(parse("'qty'")) == set()


# ------------------------------------------------------------------ writing back


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("a+b*c", "a + b * c"),
        ("(a+b)*c", "(a + b) * c"),
        ("a-(b-c)", "a - (b - c)"),
        ("(a-b)-c", "a - b - c"),
        ("-(a+b)", "-(a + b)"),
        ("not (a or b) and c", "not (a or b) and c"),
        ("(a < b) = c", "(a < b) = c"),
        ("a <> 'it\\'s'", "a != 'it\\'s'"),
        ("IF(x, 1.50, NULL)", "if(x, 1.50, null)"),
    ],
)
def test_to_source(text: str, source: str) -> None:
    assert to_source(parse(text)) == source
    assert parse(source) == parse(text)


_KEYWORDS = {"and", "or", "not", "true", "false", "null"}
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: name.lower() not in _KEYWORDS
)
_leaves = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(Literal),
    st.decimals(min_value=0, max_value=10**6, places=2).map(Literal),
    st.text(max_size=6).map(Literal),
    st.sampled_from([True, False, None]).map(Literal),
    st.lists(_names, min_size=1, max_size=3).map(lambda path: FieldRef(tuple(path))),
    _names.map(Param),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(UnaryOp, st.sampled_from(["-", "not"]), children),
        st.builds(BinaryOp, st.sampled_from(sorted(BINARY_OPERATORS)), children, children),
        st.builds(
            Call, st.sampled_from(sorted(FUNCTIONS)), st.lists(children, max_size=3).map(tuple)
        ),
    )


def _depth(expr: Expr) -> int:
    return 1 + max((_depth(child) for child in children(expr)), default=0)


@settings(max_examples=300)
@given(st.recursive(_leaves, _extend, max_leaves=12))
def test_to_source_round_trips(expr: Expr) -> None:
    assume(_depth(expr) <= 20)
    assert parse_syntax(to_source(expr)) == expr


@settings(max_examples=500)
@given(
    st.text(alphabet=st.sampled_from(list("ab1.()'\"\\,+-*/%<>=!& _")), max_size=40)
    | st.text(max_size=40)
)
def test_parser_only_raises_formula_syntax_errors(text: str) -> None:
    try:
        expr = parse_syntax(text)
    except FormulaSyntaxError as exc:
        assert 0 <= exc.position <= len(text)
        assert f"column {exc.position + 1}" in str(exc)
    else:
        assert parse_syntax(to_source(expr)) == expr
        assert all(isinstance(node, Expr) for node in iter_nodes(expr))


# -------------------------------------------------------------------------- types

FIELD_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "qty": sa.Integer(),
    "price": sa.Numeric(12, 2),
    "started": sa.Date(),
    "created": sa.DateTime(),
    "name": sa.String(),
    "paid": sa.Numeric(),
    "total": sa.Numeric(),
    "discount": sa.Numeric(),
    "flag": sa.Boolean(),
}


def field_type(path: tuple[str, ...]) -> sa.types.TypeEngine[Any]:
    return FIELD_TYPES[path[-1]]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("qty * price", "numeric"),
        ("qty * qty - 1", "integer"),
        ("-qty", "integer"),
        ("qty / qty", "numeric"),
        ("qty % 2", "integer"),
        ("today()", "date"),
        ("now()", "datetime"),
        ("today() - started", "integer"),
        ("started + 1", "date"),
        ("1 + started", "date"),
        ("started - qty", "date"),
        ("created + 1", "datetime"),
        ("created - started", "integer"),
        ("days(created, started)", "integer"),
        ("paid >= total", "boolean"),
        ("not flag", "boolean"),
        ("flag and qty > 1", "boolean"),
        ("concat(name, qty)", "string"),
        ("lower(name)", "string"),
        ("length(name)", "integer"),
        ("if(flag, 1, 2.5)", "numeric"),
        ("if(flag, 'a', null)", "string"),
        ("coalesce(discount, 0)", "numeric"),
        ("round(qty)", "integer"),
        ("round(price, 1)", "numeric"),
        ("abs(qty)", "integer"),
        ("min(started, created)", "datetime"),
        ("max(qty, 2)", "integer"),
        ("year(started)", "integer"),
        ("month(created)", "integer"),
        ("client.name", "string"),
        ("null", "unknown"),
    ],
)
def test_infer_type(text: str, kind: str) -> None:
    assert kind_of(infer_type(parse(text), field_type)) == kind
    assert kind_of(infer_type(parse(text), field_type, "postgresql")) == kind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name + 'x'", "'+' cannot take text at column 6; join text with concat(a, b)"),
        ("qty - name", "'-' cannot take text at column 5"),
        ("-name", "'-' cannot take text at column 1"),
        ("flag * 2", "'*' cannot take true/false"),
        ("started * 2", "'*' cannot take a date"),
        ("started + started", "'+' cannot take a date at column 9; subtract dates"),
        ("1 - started", "'-' cannot take a date"),
        (
            "started >= 'yesterday'",
            "'yesterday' is not a date; write dates as 'YYYY-MM-DD' at column 9",
        ),
        ("year(qty)", "year() at column 1: argument 1 must be a date, not a number"),
        ("round(name)", "round() at column 1: argument 1 must be a number, not text"),
        ("days('soon', started)", "days() at column 1: 'soon' is not a date"),
        ("nope + 1", "unknown field 'nope' at column 1"),
    ],
)
def test_type_errors(text: str, message: str) -> None:
    for dialect in ("sqlite", "postgresql"):
        with pytest.raises(FormulaError) as info:
            infer_type(parse(text), field_type, dialect)
        assert message in str(info.value)
        assert info.value.position is not None


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="unsupported dialect 'mysql'"):
        compile_expr(parse("1"), lambda path: sa.column(path[0]), "mysql")


@pytest.mark.parametrize(
    "dialect", [sqlite.dialect(), postgresql.psycopg.dialect()], ids=["sqlite", "postgresql"]
)
def test_constants_are_bound_parameters(dialect: sa.engine.Dialect) -> None:
    hostile = "x'); drop table t; --"
    formula = f"concat(name, {to_source(lit(hostile))}) = 'a' or qty > 12345"
    column = compile_expr(parse(formula), lambda path: sa.column(path[0]), dialect.name)
    compiled = column.compile(dialect=dialect)
    assert "drop table" not in str(compiled)
    assert "12345" not in str(compiled)
    assert hostile in compiled.params.values()
    assert 12345 in compiled.params.values()


# ----------------------------------------------------------------- evaluation

TODAY = dt.date.today()
ROWS: list[dict[str, Any]] = [
    {
        "id": 1, "qty": 3, "price": Decimal("12.50"), "started": TODAY - dt.timedelta(days=10),
        "created": dt.datetime(2024, 3, 15, 18, 30), "name": "Widget", "paid": Decimal(50),
        "total": Decimal(100), "discount": None, "last_name": "Ivanov", "first_name": "Ivan",
        "client_id": 1,
    },
    {
        "id": 2, "qty": 0, "price": Decimal("0.00"), "started": dt.date(2024, 2, 29),
        "created": dt.datetime(2024, 12, 31, 23, 59, 59), "name": "gadget", "paid": Decimal(100),
        "total": Decimal(100), "discount": Decimal(5), "last_name": "Petrova", "first_name": None,
        "client_id": None,
    },
    {
        "id": 3, "qty": 7, "price": Decimal("1.99"), "started": dt.date(2023, 12, 31),
        "created": None, "name": "Box", "paid": Decimal(0), "total": Decimal(80),
        "discount": Decimal("2.5"), "last_name": None, "first_name": "Anna", "client_id": 2,
    },
]  # fmt: skip


@dataclass
class Db:
    """A database with the test rows, and how to read a formula from it."""

    engine: sa.Engine
    rows: sa.Table
    clients: sa.Table

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def resolve(self, path: tuple[str, ...]) -> sa.ColumnElement[Any]:
        if path == ("client", "city"):
            query = sa.select(self.clients.c.city).where(self.clients.c.id == self.rows.c.client_id)
            return query.scalar_subquery()
        if len(path) == 1 and path[0] in self.rows.c:
            return self.rows.c[path[0]]
        raise KeyError(path)

    def compile(self, text: str) -> sa.ColumnElement[Any]:
        return compile_expr(parse(text), self.resolve, self.dialect)

    def value(self, text: str, row_id: int = 1) -> Any:
        query = sa.select(self.compile(text)).where(self.rows.c.id == row_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db(request: pytest.FixtureRequest) -> Iterator[Db]:
    if request.param == "sqlite":
        engine = sa.create_engine("sqlite://")
    else:
        engine = sa.create_engine(request.getfixturevalue("postgresql_url"))
    metadata = sa.MetaData()
    clients = sa.Table(
        "formula_test_clients",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("city", sa.String(50)),
    )
    rows = sa.Table(
        "formula_test_rows",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("qty", sa.Integer, nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("started", sa.Date, nullable=False),
        sa.Column("created", sa.DateTime),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("paid", sa.Numeric, nullable=False),
        sa.Column("total", sa.Numeric, nullable=False),
        sa.Column("discount", sa.Numeric, nullable=True),
        sa.Column("last_name", sa.String(50)),
        sa.Column("first_name", sa.String(50)),
        sa.Column("client_id", sa.ForeignKey("formula_test_clients.id")),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(clients), [{"id": 1, "city": "Moscow"}, {"id": 2, "city": "Kazan"}])
        conn.execute(sa.insert(rows), ROWS)
    try:
        yield Db(engine, rows, clients)
    finally:
        metadata.drop_all(engine)
        engine.dispose()


CASES: list[tuple[str, int, Any]] = [
    # arithmetic
    ("qty * price", 1, Decimal("37.50")),
    ("total - paid", 1, Decimal(50)),
    ("-qty + 1", 1, -2),
    ("qty * 1.5 + 1", 1, Decimal("5.5")),
    ("10000000000 + qty", 1, 10_000_000_003),
    ("coalesce(discount, paid, 0) * 2", 1, Decimal(100)),
    # division is numeric, and by zero it is null
    ("qty / 2", 1, Decimal("1.5")),
    ("7 / 2", 1, Decimal("3.5")),
    ("paid / total", 1, Decimal("0.5")),
    ("qty / 0", 1, None),
    ("total / qty", 2, None),
    ("qty % 2", 1, 1),
    ("qty % 0", 1, None),
    # dates
    ("today() - started", 1, 10),
    ("days(today(), started)", 1, 10),
    ("started + 7", 2, dt.date(2024, 3, 7)),
    ("7 + started", 2, dt.date(2024, 3, 7)),
    ("started - 1", 2, dt.date(2024, 2, 28)),
    ("started + qty", 3, dt.date(2024, 1, 7)),
    ("started - qty", 3, dt.date(2023, 12, 24)),
    ("started + 1.9", 3, dt.date(2024, 1, 1)),
    ("created + 1", 1, dt.datetime(2024, 3, 16, 18, 30)),
    ("created - 2", 1, dt.datetime(2024, 3, 13, 18, 30)),
    ("created - started", 2, (dt.date(2024, 12, 31) - dt.date(2024, 2, 29)).days),
    ("days(started, created)", 2, (dt.date(2024, 2, 29) - dt.date(2024, 12, 31)).days),
    ("days('2024-03-01', '2024-02-01')", 1, 29),
    ("days(created, '2024-03-01')", 1, 14),
    ("started - '2024-01-01'", 2, 59),
    ("year(started)", 2, 2024),
    ("month(started)", 2, 2),
    ("year(created)", 2, 2024),
    ("month(created)", 2, 12),
    ("year('2021-06-01')", 1, 2021),
    ("year(today())", 1, TODAY.year),
    ("started >= '2024-01-01'", 2, True),
    ("started >= '2024-01-01'", 3, False),
    ("created < '2024-03-15 19:00'", 1, True),
    ("created < '2024-03-15 18:00'", 1, False),
    # conditions
    ("if(paid >= total, 'paid', if(paid > 0, 'partly', 'unpaid'))", 1, "partly"),
    ("if(paid >= total, 'paid', if(paid > 0, 'partly', 'unpaid'))", 2, "paid"),
    ("if(paid >= total, 'paid', if(paid > 0, 'partly', 'unpaid'))", 3, "unpaid"),
    ("if(true, 'y', 'n')", 1, "y"),
    ("if(qty > 5, 1, 2.5)", 3, 1),
    ("paid >= total", 1, False),
    ("paid >= total", 2, True),
    ("discount = null", 1, True),
    ("discount != null", 1, False),
    ("null = discount", 2, False),
    ("not (qty > 1) or name = 'Widget'", 1, True),
    ("not (qty > 1) or name = 'Widget'", 3, False),
    ("qty > 1 and paid < total", 3, True),
    # functions
    ("coalesce(discount, 0)", 1, 0),
    ("coalesce(discount, 0)", 3, Decimal("2.5")),
    ("round(price * 1.2, 2)", 1, Decimal("15.00")),
    ("round(price / 3, 2)", 1, Decimal("4.17")),
    ("round(price)", 3, 2),
    ("round(qty)", 1, 3),
    ("round(price, qty - 2)", 3, Decimal("1.99")),
    ("abs(paid - total)", 1, Decimal(50)),
    ("abs(-qty)", 1, 3),
    ("min(paid, total)", 1, Decimal(50)),
    ("max(qty, 10, 2)", 1, 10),
    ("min(discount, 3)", 1, 3),
    ("max(discount, 3)", 2, 5),
    ("min(discount, null)", 1, None),
    ("max(started, '2024-01-01')", 3, dt.date(2024, 1, 1)),
    ("lower(name)", 1, "widget"),
    ("upper(name)", 2, "GADGET"),
    ("length(name)", 1, 6),
    ("length(qty * 10)", 1, 2),
    ("concat(last_name, ' ', first_name)", 1, "Ivanov Ivan"),
    ("concat(last_name, ' ', first_name)", 2, "Petrova "),
    ("concat(last_name, ' ', first_name)", 3, " Anna"),
    ("concat(name, ': ', qty)", 1, "Widget: 3"),
    ('concat(\'it\\\'s\', " \\"ok\\"")', 1, 'it\'s "ok"'),
    ("concat('Привет, ', first_name)", 1, "Привет, Ivan"),
    # number(): text that spells a number (a choice such as a VAT rate "22"), else null
    ("number('22')", 1, 22),
    ("number(' -1.5 ')", 1, Decimal("-1.5")),
    ("number('none')", 1, None),
    ("number('')", 1, None),
    ("number('1.2.3')", 1, None),
    ("number('1-2')", 1, None),
    ("number(null)", 1, None),
    ("number(qty)", 1, 3),
    (
        "round(100 * coalesce(number('22'), 0) / (100 + coalesce(number('22'), 0)), 2)",
        1,
        Decimal("18.03"),
    ),
    ("coalesce(number(name), 0)", 1, 0),
    # dotted paths through a correlated subquery
    ("client.city", 1, "Moscow"),
    ("client.city", 2, None),
    ("concat(client.city, '/', name)", 3, "Kazan/Box"),
]


@pytest.mark.parametrize(("text", "row_id", "expected"), CASES)
def test_evaluate(db: Db, text: str, row_id: int, expected: Any) -> None:
    value = db.value(text, row_id)
    assert value == expected
    if expected is not None:
        assert type(value) is type(expected) or {type(value), type(expected)} <= {int, Decimal}


def test_today_and_now_are_local(db: Db) -> None:
    assert db.value("today()") == dt.date.today()
    now = db.value("now()")
    assert type(now) is dt.datetime
    assert abs(now - dt.datetime.now()) < dt.timedelta(minutes=1)


def test_formula_in_where_and_order_by(db: Db) -> None:
    rows = db.rows
    query = (
        sa.select(rows.c.id)
        .where(db.compile("paid < total or discount = null"))
        .order_by(db.compile("total - paid").desc())
    )
    with db.engine.connect() as conn:
        assert conn.execute(query).scalars().all() == [3, 1]


# -- $parameters (report conditions) --------------------------------------------------------
def test_parameters_parse_and_write_back() -> None:
    expr = parse("due_at < $date_to + 1 and $user = assignee")
    assert parameters(expr) == {"date_to", "user"}
    assert references(expr) == {("due_at",), ("assignee",)}
    assert to_source(expr) == "due_at < $date_to + 1 and $user = assignee"
    with pytest.raises(FormulaSyntaxError, match=r"'\$' at column 3 must be followed by a"):
        parse("a $1")
    with pytest.raises(FormulaSyntaxError, match=r"unexpected '\$b' at column 3"):
        parse("a $b")


def _due(path: tuple[str, ...]) -> Any:
    return sa.column(path[0], sa.DateTime())


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_parameters_compile_to_bound_values_only_where_given(dialect: str) -> None:
    expr = parse("due_at < $date_to + 1")
    with pytest.raises(FormulaError, match=r"'\$date_to' at column 10: parameters can only"):
        compile_expr(expr, _due, dialect)  # a formula field: no parameters
    with pytest.raises(FormulaError, match=r"unknown parameter '\$date_to' .*known: \$day"):
        compile_expr(expr, _due, dialect, {"day": param_value(None, sa.Date(), dialect)})
    hostile = "2025-01-01'); drop table x; --"
    compiled = compile_expr(
        expr, _due, dialect, {"date_to": param_value(hostile, sa.Date(), dialect)}
    )
    engine_dialect = sqlite.dialect() if dialect == "sqlite" else postgresql.dialect()
    sql = str(compiled.compile(dialect=engine_dialect))
    assert "drop table" not in sql  # the value is a bound parameter, never SQL text
    assert hostile in compiled.compile(dialect=engine_dialect).params.values()


def test_parameters_take_part_in_date_arithmetic() -> None:
    engine = sa.create_engine("sqlite://")
    expr = parse("$day + 2 = '2025-01-03' and $n * 2 = 6 and $empty = null")
    params = {
        "day": param_value(dt.date(2025, 1, 1), sa.Date(), "sqlite"),
        "n": param_value(3, sa.Integer(), "sqlite"),
        "empty": param_value(None, sa.Date(), "sqlite"),
    }
    compiled = compile_expr(expr, _due, "sqlite", params)
    with engine.connect() as conn:
        assert conn.execute(sa.select(compiled)).scalar() == 1
