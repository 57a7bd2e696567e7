"""No 500 on bad input (issue 13, point 5): every route of the app, fed hostile numbers, ids,
dates and junk in its path, its query and its forms, answers 4xx or the page with a form
error in the user's language, never a 500, and the database is left as it was.

The routes are walked from the inner app's URL map (as ``test_web_csrf`` does), so a route
added later is probed without touching this file. The app's safety-net handlers for
``OverflowError`` / ``decimal.InvalidOperation`` are switched off here
(``PROPAGATE_EXCEPTIONS``), so a route that only "works" thanks to the net still fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, url_for
from tests.test_web_csrf import inner_app, seed, snapshot
from tests.web_support import WebClient
from werkzeug.routing import IntegerConverter, Rule

from uchet import SYSTEM

BIG = "99999999999999999999999"
#: Values a careless parser trips on: past int64, past float, not-a-number, negative zero,
#: digits that ``str.isdigit`` accepts but ``int`` does not, impossible and far dates,
#: NUL, SQL, a very long number, a lone non-UTF-8 byte (sent raw in the query).
HOSTILE: tuple[str, ...] = (
    BIG,
    "-" + BIG,
    "9223372036854775808",
    "1e309",
    "-1e309",
    "nan",
    "-0",
    "-1",
    "0",
    "²",
    "9999-99-99",
    "99999-12-31",
    "31.12.99999",
    "\x00",
    "' OR 1=1 --",
    "9" * 400,
)
#: The values of the full walk (the card forms get all of HOSTILE): one of each kind that
#: crashed a parser before, so the walk of every route stays within minutes.
WALK = (BIG, "-" + BIG, "1e309", "nan", "²", "99999-12-31", "\x00", "9" * 400)
RAW_JUNK = b"%FF%FE%00"  # bytes that are not UTF-8, sent as an undecoded query value

#: Query parameters the list, card, print and inbox screens read (besides ``f.<field>``).
PARAMS = ("id", "record", "view", "before", "after", "page", "size", "version", "sort",
          "cols", "group", "q", "client", "dashboard", "fmt")  # fmt: skip
OPS = ("gt", "lt", "ge", "le", "eq", "between")
#: Tables probed with every parameter; the other tables' routes are the same code and get
#: the path and ``id`` probes only (a full walk of twenty tables would take minutes).
FULL_TABLES = ("clients", "work", "contracts")
ROUTE_ARGS: dict[str, Any] = {"field": "name", "export_type": "csv", "locale": "en",
                              "filename": "x", "fmt": "csv", "tab": "work"}  # fmt: skip


def _table_of(rule: Rule) -> str | None:
    head = rule.endpoint.split(".")[0]
    return head.removeprefix("t_") if head.startswith("t_") else None


def _field_names(platform: Any, table: str | None) -> list[str]:
    if table is None:
        return []
    return [f.name for f in platform.runtime.table(table).table.fields]


def _urls(app: Flask, platform: Any, ids: dict[str, int], forms: list[str]) -> Iterator[str]:
    """Every GET URL to probe: hostile path arguments, then hostile query parameters."""
    default_id = ids["clients"]
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            table = _table_of(rule)
            full = table is None or table in FULL_TABLES
            record = ids.get(table or "", default_id)
            good: dict[str, Any] = {}
            int_args = []
            for arg in rule.arguments:
                if isinstance(rule._converters.get(arg), IntegerConverter):
                    good[arg] = record
                    int_args.append(arg)
                elif arg == "form_id":
                    good[arg] = forms[0]
                elif arg == "field" and table:
                    good[arg] = _field_names(platform, table)[1]
                else:
                    good[arg] = ROUTE_ARGS.get(arg, "name")
            base = url_for(rule.endpoint, **good)
            fields = _field_names(platform, table)
            for value in WALK if full else WALK[:1]:
                for arg in int_args:
                    # Past the converter's own range: the rule must not match, or the
                    # view must refuse; never a crash.
                    path = rule.rule.replace(f"<int:{arg}>", value.replace("/", ""))
                    for other, sample in good.items():
                        path = path.replace(f"<{other}>", str(sample))
                        path = path.replace(f"<int:{other}>", str(sample))
                    yield path
                yield _with(base, {"id": value})
                if not full:
                    continue
                # The other parameters together (with a good id): each route reads its own.
                yield _with(base, {param: value for param in PARAMS if param != "id"})
                yield _with(base, {f"f.{name}": value for name in fields})
                yield _with(base, {f"f.{n}.{op}": value for n in fields for op in OPS})
            for param in ("id", "f.id", "view", "record"):
                yield base + ("&" if "?" in base else "?") + param + "=" + RAW_JUNK.decode()


def _with(base: str, params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return base + ("&" if "?" in base else "?") + urlencode(params)


def _stored_form(client: WebClient, table: str = "work") -> str:
    """A print form the manager made (so print routes get a real form id)."""
    r = client.post(
        "/print-forms/new", {"name": "probe", "label": "Проба", "table": table, "source": "starter"}
    )
    assert r.status_code in (302, 303), r.text[:300]
    return r.headers["Location"].rstrip("/").split("/")[-1]


@contextlib.contextmanager
def _no_safety_net(app: Flask) -> Iterator[None]:
    """Let a crash propagate, so the net of error handlers cannot hide it."""
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.testing = True
    try:
        yield
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
        app.testing = False


def _where(exc: BaseException) -> str:
    """The exception and the uchet frame that raised it, to group the findings."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/uchet/" in f.filename]
    at = f"{frames[-1].filename.split('/uchet/')[-1]}:{frames[-1].name}" if frames else "?"
    return f"{type(exc).__name__} in {at}: {str(exc)[:60]}"


def _summary(found: list[str]) -> str:
    """One example URL per distinct crash site, so the report stays readable."""
    by_site: dict[str, str] = {}
    for line in found:
        url, _, where = line.partition(": ")
        by_site.setdefault(where, url)
    return f"{len(found)} crashes at {len(by_site)} sites:\n" + "\n".join(
        f"{where}\n    e.g. {url}" for where, url in by_site.items()
    )


def crashes(client: WebClient, app: Flask, platform: Any, ids: dict[str, int],
            forms: list[str]) -> list[str]:  # fmt: skip
    """The probed URLs that answered 500 or raised."""
    problems: list[str] = []
    seen: set[str] = set()
    with _no_safety_net(app):
        for url in _urls(app, platform, ids, forms):
            if url in seen:
                continue
            seen.add(url)
            try:
                status = client.get(url).status_code
            except Exception as exc:
                problems.append(f"{url[:160]}: {_where(exc)}")
                continue
            if status >= 500:
                problems.append(f"{url}: {status}")
    return problems


@pytest.mark.parametrize("login", ["anna", "admin"])
def test_no_route_answers_500_to_hostile_values(
    client: WebClient, web_platform: Any, login: str
) -> None:
    ids = seed(web_platform)
    client.login(login)
    forms = [_stored_form(client)]
    app = inner_app(client.app)
    found = crashes(client, app, web_platform, ids, forms)
    assert found == [], _summary(found)


def test_the_walk_notices_a_crashing_route(client: WebClient, web_platform: Any) -> None:
    """The check can fail: a route that trusts ``int()`` is reported."""
    uchet = client.app.extensions["uchet"]
    app = uchet.build(web_platform.runtime)

    @app.get("/careless/")
    def careless() -> str:
        from flask import request

        return str(web_platform.users.get(int(request.args.get("id", "0"))))

    probe = WebClient(app)
    probe.login("admin")
    ids = seed(web_platform)
    found = crashes(probe, app, web_platform, ids, [_stored_form(probe)])
    assert any(p.startswith("/careless/?id=") for p in found), found


# -- forms ---------------------------------------------------------------------------------
#: Posted fields per card: references, numbers, decimals, dates (the sample CRM's).
CARD_FIELDS = {
    "clients": ("category", "source", "manager", "loyalty", "birthday", "created"),
    "work": ("client", "category", "assignee", "due_at", "percent"),
    "contracts": ("client", "date", "amount", "responsible"),
}


@pytest.mark.parametrize("login", ["anna", "admin"])
def test_hostile_values_in_a_card_form_are_form_errors(
    client: WebClient, web_platform: Any, login: str
) -> None:
    ids = seed(web_platform)
    client.login(login)
    app = inner_app(client.app)
    problems = []
    before = snapshot(web_platform)
    with _no_safety_net(app):
        for table, names in CARD_FIELDS.items():
            fields = set(_field_names(web_platform, table))
            record = web_platform.records(table, user=SYSTEM).get(ids[table])
            good = {k: "" if v is None else str(v) for k, v in record.items()
                    if k in fields and not isinstance(v, dict | list)}  # fmt: skip
            for name in (n for n in names if n in fields):
                for value in HOSTILE:
                    for url in (f"/{table}/new/", f"/{table}/edit/?id={ids[table]}"):
                        form = {**good, name: value}
                        try:
                            r = client.post(url, form)
                        except Exception as exc:
                            problems.append(f"POST {url} {name}={value[:30]!r}: {_where(exc)}")
                            continue
                        if r.status_code >= 500:
                            problems.append(f"POST {url} {name}={value[:30]!r}: {r.status_code}")
    assert problems == [], _summary(problems)
    # Hostile values never reached the database (a valid one may have: "0", "-1" are numbers).
    after = snapshot(web_platform)
    assert not any(BIG in repr(rows) for rows in after.values()), "a huge number was stored"
    assert before.keys() == after.keys()


def test_big_id_is_404_and_big_filter_is_a_russian_filter_error(
    client: WebClient, web_platform: Any
) -> None:
    seed(web_platform)
    client.login("anna")
    assert client.get(f"/clients/edit/?id={BIG}").status_code == 404
    assert client.get(f"/clients/file/{BIG}/photo").status_code == 404
    # The list's answer to a bad filter: back to the list, the error flashed in Russian.
    r = client.get(f"/clients/?f.loyalty.gt={BIG}", follow_redirects=True)
    assert r.status_code == 200
    assert "Число вне допустимого диапазона" in r.text


def test_posted_reference_out_of_range_is_a_form_error(
    client: WebClient, web_platform: Any
) -> None:
    seed(web_platform)
    client.login("anna")
    before = snapshot(web_platform)
    r = client.post("/clients/new/", {"name": "Проба", "kind": "company", "category": BIG})
    assert r.status_code == 200
    assert "Число вне допустимого диапазона" in r.text or "не найден" in r.text
    assert snapshot(web_platform) == before
