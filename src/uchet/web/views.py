"""The generated Flask-Admin view of one table (no per-table Python).

:class:`TableView` is a Flask-Admin ``BaseModelView`` whose backend is the record service:
lists, cards, lookups, filter values and downloads all read and write through it, so table,
field and row permissions hold on every path (ARCHITECTURE rule 5). A record the user may not
see is "not found" (404), never "forbidden": its existence is not revealed. The card screens
(create, edit, delete, child tabs, lookups, downloads) come from
:class:`~uchet.web.cardviews.CardRoutes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, g, redirect, request, url_for
from flask_admin.model import BaseModelView
from flask_babel import LazyString
from flask_login import current_user

from uchet.platform.model.config import Field, Table
from uchet.platform.model.errors import NotFound
from uchet.web import forms as cards
from uchet.web.bulkroutes import BulkRoutes
from uchet.web.cardviews import CardRoutes
from uchet.web.context import WebContext, here
from uchet.web.deriveviews import DeriveRoutes
from uchet.web.display import display_html, display_text
from uchet.web.docgrid import DocumentGrids
from uchet.web.duplicates import DuplicateRoutes
from uchet.web.finding import LookupPanel
from uchet.web.formbase import SecureForm
from uchet.web.importviews import ImportRoutes
from uchet.web.listcells import FormatterCache, RowRenderer, UrlTemplate
from uchet.web.listroutes import ListRoutes
from uchet.web.screen import TranslatedRender
from uchet.web.security import ClosedScaffolding
from uchet.web.widgets import WidgetContext


class TableView(ListRoutes, BulkRoutes, ImportRoutes, TranslatedRender, CardRoutes, DuplicateRoutes,
                LookupPanel, DeriveRoutes, DocumentGrids,
                ClosedScaffolding, BaseModelView):  # fmt: skip
    """Screens of one configuration table: list, card (create/edit), delete, lookups."""

    list_template = "uchet/list.html"
    create_template = "uchet/card.html"
    edit_template = "uchet/card.html"
    can_view_details = False
    form_base_class = SecureForm

    def __init__(self, c: WebContext, table: Table, category: str | None = None):
        self.c, self.table = c, table
        self.types = c.runtime.types
        # Cell formatters of the list, per column and locale: this app serves one
        # configuration version, so they live as long as it does (issue 12).
        self.cells = FormatterCache()
        name = LazyString(lambda: c.table_label(table))
        super().__init__(table, name=name, category=category,
                         endpoint=f"t_{table.name}", url=f"/{table.name}")  # fmt: skip

    # -- Flask-Admin's scaffolding: the record service is the backend ----------------------
    def get_pk_value(self, model: Any) -> Any:
        return model["id"]

    def scaffold_list_columns(self) -> list[str]:
        return [f.name for f in self.table.fields]

    def scaffold_sortable_columns(self) -> dict[str, str]:
        return {f.name: f.name for f in self.table.fields}

    def init_search(self) -> bool:
        return bool(self.table.search_fields)

    def scaffold_filters(self, name: str) -> None:
        return None

    def scaffold_form(self) -> Any:
        # Flask-Admin wants a form class at start-up; cards build their own per user.
        fields = cards.editable_fields(self.table, self.types, None)
        return cards.form_class(self.table, fields, self.types, WidgetContext("en", str, 0))

    def get_list(self, page: Any, sort_field: Any, sort_desc: Any, search: Any, filters: Any,
                 execute: bool = True, page_size: Any = None) -> tuple[int, list[Any]]:  # fmt: skip
        sort = [("-" if sort_desc else "") + sort_field] if sort_field else []
        result = self.records().query(
            sort=sort, search=search or None, limit=page_size or self.table.page_size,
            offset=(page or 0) * (page_size or self.table.page_size),
        )  # fmt: skip
        return result.total or 0, result.rows

    def get_one(self, id: Any) -> Any:
        try:
            return self.records().get(int(id))
        except (NotFound, ValueError):
            return None

    # -- access ------------------------------------------------------------------------------
    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated) and self.access().can("read")

    def is_visible(self) -> bool:
        return not self.table.hidden

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=here()))
        abort(403)

    def access(self) -> Any:
        return self.c.access(self.table.id)

    def records(self, table_id: str | None = None) -> Any:
        return self.c.records(table_id or self.table.id)

    def can(self, action: str) -> bool:
        return self.access().can(action)

    # -- helpers for templates --------------------------------------------------------------
    def file_url(self, record_id: Any, field: str) -> str:
        return url_for(".download", record_id=record_id, field=field)

    def cell(self, field: Field, row: dict[str, Any]) -> Any:
        return display_html(field, row, self.types, self.c.locale(), self.file_url,
                            self._yes_no(), self._no_access())  # fmt: skip

    def row_renderer(self, columns: Sequence[Field], sized: Sequence[bool]) -> RowRenderer:
        """The list rows' renderer: this request's columns with the cached formatters."""
        locale, yes_no, root = self.c.locale(), self._yes_no(), request.script_root
        hidden = self._no_access()
        formatters = [self.cells.get(self.table.id, f, self.types, locale, yes_no,
                                     self.file_url, root, hidden) for f in columns]  # fmt: skip
        card = UrlTemplate(lambda record_id: self.get_url(".edit_view", id=record_id))
        return RowRenderer(columns, formatters, sized, card)

    def text(self, field: Field, row: dict[str, Any]) -> str:
        return display_text(field, row, self.types, self.c.locale(), self._yes_no(),
                            self._no_access())  # fmt: skip

    def _yes_no(self) -> tuple[str, str]:
        # Asked for every cell of a list page: translate once per request.
        found = g.get("uchet_yes_no")
        if found is None:
            found = g.uchet_yes_no = (self.c.gettext("Yes"), self.c.gettext("No"))
        return found

    def _no_access(self) -> str:
        # What a reference the user may not read shows instead of its id (issue 21).
        return self.c.gettext("no access")

    def label(self, field: Field) -> str:
        return self.c.label(field.label, field.name)

    # -- list: index_view, values, prefs, saved views, export are in ListRoutes ------------
