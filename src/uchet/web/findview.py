"""The Find page: the results of the top bar's Find box (S25, S36); see
:mod:`uchet.web.finding` for what it finds and shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import LazyString
from flask_login import current_user

from uchet.platform.errors import PermissionDenied, ValidationError
from uchet.platform.model import Table
from uchet.web.context import WebContext, here
from uchet.web.finding import FIND_LIMIT, FoundItem, is_phone, lookup_tables, present
from uchet.web.views import TranslatedRender

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
        return redirect(url_for("auth.login", next=here()))

    @expose("/")
    def index(self) -> Any:
        text = request.args.get("q", "").strip()[:200]
        tables = lookup_tables(self.c)
        if not tables:
            abort(404)
        phone = is_phone(text)
        groups: list[tuple[Table, list[FoundItem]]] = []
        if text:
            for table in tables:
                service = self.c.records(table.id)
                try:
                    found = (
                        service.find_by_phone(text, limit=FIND_LIMIT)
                        if phone
                        else service.lookup(text, limit=FIND_LIMIT)
                    )
                except (PermissionDenied, ValidationError):
                    continue  # no search fields, or no right on it after all
                if found:
                    groups.append((table, present(self.c, table, found)))
        items = [i for _, found in groups for i in found]
        if phone and len(items) == 1 and items[0].url:
            return redirect(items[0].url)  # a caller's number opens the client's card
        return self.render(
            "uchet/find.html", text=text, phone=phone, groups=groups, tables=tables,
            total=len(items), hidden=sum(not i.visible for i in items),
        )  # fmt: skip


def init_app(app: Flask, admin: Admin, c: WebContext) -> None:
    """Add the Find page, and ``uchet_find_tables()`` for the top bar's box."""
    admin.add_view(FindView(c))
    app.jinja_env.globals["uchet_find_tables"] = lambda: (
        lookup_tables(c) if current_user.is_authenticated else []
    )
