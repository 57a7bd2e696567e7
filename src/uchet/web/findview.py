"""The Find page and the Find box's suggestions: the results of the top bar's Find box
(S25, S36); see :mod:`uchet.web.finding` for what it finds and shows. The box's script is
``static/uchet/find.js``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Response, abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import LazyString
from flask_login import current_user

from uchet.platform.model.config import Table
from uchet.platform.model.numbers import as_count
from uchet.web.context import WebContext, here
from uchet.web.finding import (
    MAX_FIND_PAGE,
    SETTING,
    FoundGroup,
    FoundItem,
    find_all,
    find_groups,
    find_page,
    is_phone,
    lookup_tables,
)
from uchet.web.screen import TranslatedRender

#: The Find box asks for suggestions from this many characters on, and gets at most this many.
SUGGEST_MIN = 2
SUGGEST_LIMIT = 8

if TYPE_CHECKING:
    from flask import Flask
    from flask_admin import Admin


class FindView(TranslatedRender, BaseView):
    """The results of the top bar's Find box (no menu entry)."""

    def __init__(self, c: WebContext) -> None:
        self.c = c
        super().__init__(
            name=LazyString(lambda: c.gettext("Find")), endpoint="uchet_find", url="/-/find"
        )

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_visible(self) -> bool:
        return False

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if request.endpoint == f"{self.endpoint}.suggest":
            return _json({"error": "login required"}, 401)  # a script asked
        return redirect(url_for("auth.login", next=here()))

    @expose("/")
    def index(self) -> Any:
        """Results grouped by table, or (``table=<name>&page=N``) every result of one table
        in pages: «все результаты» (issue 21)."""
        text = request.args.get("q", "").strip()[:200]
        tables = lookup_tables(self.c)
        if not tables:
            abort(404)
        phone = is_phone(text)
        one = request.args.get("table")
        if one is not None:
            table = next((t for t in tables if t.name == one), None)
            if table is None:
                abort(404)  # not findable, or not for this user: as if it did not exist
            page = as_count(request.args.get("page", "1"), 1, MAX_FIND_PAGE)
            group = find_page(self.c, table, text, page) if text else FoundGroup(table, [])
            return self.render("uchet/find.html", text=text, phone=phone, groups=[group],
                               tables=tables, one=group, page=page)  # fmt: skip
        groups = find_all(self.c, text)
        callers = set(self.c.config.manifest.settings.get(SETTING, ()))
        items = [i for g in groups if g.table.id in callers for i in g.items]
        if phone and len(items) == 1 and items[0].url:
            return redirect(items[0].url)  # a caller's number opens the client's card
        return self.render("uchet/find.html", text=text, phone=phone, groups=groups,
                           tables=tables, one=None, page=1)  # fmt: skip

    @expose("/suggest")
    def suggest(self) -> Any:
        """The Find box's suggestions as one types: JSON of at most :data:`SUGGEST_LIMIT`
        records, found exactly as the Find page finds them (:func:`find_groups`, through the
        record service's lookups and the same :func:`~uchet.web.finding.present`), so they
        tell nothing the page would not. Less than :data:`SUGGEST_MIN` characters ask
        nothing of the database."""
        text = request.args.get("q", "").strip()[:200]
        if not lookup_tables(self.c):
            abort(404)
        items: list[dict[str, Any]] = []
        if len(text) >= SUGGEST_MIN:
            for table, found in find_groups(self.c, text, SUGGEST_LIMIT):
                for it in found:
                    items.append(_suggestion(self.c, table, it, text))
        every = {"url": url_for(".index", q=text), "text": self.c.gettext("Show all results")}
        return _json({"q": text, "items": items[:SUGGEST_LIMIT], "all": every})


def _suggestion(c: WebContext, table: Table, it: FoundItem, text: str) -> dict[str, Any]:
    """One suggestion: a record the user may open links to its card; one outside their rows
    to the Find page, which shows that it exists and who works with it (never its card)."""
    return {
        "table": c.table_label(table),
        "title": it.title,
        "fields": [f"{label}: {value}" for label, value in it.fields],
        "visible": it.visible,
        "url": it.url or url_for(".index", q=text),
        "note": None if it.visible else c.gettext("exists, owned by another user"),
    }


def _json(data: dict[str, Any], status: int = 200) -> Response:
    """A JSON answer (UTF-8, not \\u-escaped) that no cache keeps: it is one user's findings."""
    response = Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask, admin: Admin, c: WebContext) -> None:
    """Add the Find page, and ``uchet_find_tables()`` for the top bar's box."""
    admin.add_view(FindView(c))
    app.jinja_env.globals["uchet_find_tables"] = lambda: (
        lookup_tables(c) if current_user.is_authenticated else []
    )
