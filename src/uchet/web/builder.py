"""Build the inner Flask app of one configuration version.

Called by :class:`~uchet.web.hotswap.HotSwap` for the first request and again whenever the
applied configuration version changes. Everything version-specific (views, menu, forms) is
built here from the configuration; nothing is per-table Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel, LazyString
from flask_login import current_user
from jinja2 import BytecodeCache
from markupsafe import Markup

from uchet.formdesigner import designviews, fieldviews, tableviews
from uchet.formdesigner import listdesigner as listdesignerviews
from uchet.formdesigner import versions as versionviews
from uchet.formdesigner import views as structureviews
from uchet.platform.model.config import Table
from uchet.platform.model.errors import NotFound
from uchet.platform.records.runtime import Runtime
from uchet.printeditor.views import editor as printviews
from uchet.printeditor.views import messages as messageviews
from uchet.web import (
    adminviews,
    api,
    auth,
    backupviews,
    boardviews,
    channelviews,
    converters,
    dashboard,
    findview,
    mailingviews,
    notifications,
    reportschedules,
    reportviews,
    screenlock,
    security,
)
from uchet.web.context import CTX_KEY, WebContext, ctx
from uchet.web.lazyrules import LazyBuilderRule
from uchet.web.menucache import MenuCache
from uchet.web.screen import TranslatedRender
from uchet.web.settings import WebSettings
from uchet.web.urlcache import UchetFlask
from uchet.web.views import TableView

if TYPE_CHECKING:
    from uchet.core import Platform

HERE = Path(__file__).parent


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every app of the process: a new app per configuration
    version would otherwise compile every template again (about 170 ms on its first page)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Any) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Any) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


BYTECODE_CACHE = _MemoryBytecodeCache()


class HomeView(TranslatedRender, AdminIndexView):
    """The start page: the user's dashboard (S42), then the tables they may open, by
    section. ``?dashboard=<id>`` opens another dashboard they may see.

    It has no menu entry: the site's name at the left of the top bar opens it, and the
    bar's room is for the sections (a 1280 px screen fits one row of them)."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        try:
            shown = dashboard.home_dashboard(ctx(), request.args.get("dashboard") or None)
        except NotFound:
            abort(404)
        return self.render("uchet/home.html", **shown)


def menu_order(tables: Iterable[Table], section_ids: list[str]) -> list[Table]:
    """Tables in the order of their menu sections as the manifest lists them (a section's
    tables keep their configuration order); tables without a section come last."""
    position = {sid: i for i, sid in enumerate(section_ids)}
    return sorted(tables, key=lambda t: position.get(t.section or "", len(position)))


def build_app(platform: Platform, runtime: Runtime, settings: WebSettings) -> Flask:
    """A new Flask app serving configuration version ``runtime.version``."""
    app = UchetFlask(
        "uchet.web",
        root_path=str(HERE),
        static_folder="static",
        static_url_path="/_uchet",
        template_folder="templates",
    )
    # URL builders compiled when first used, not 700 of them per version (hot swap).
    app.url_rule_class = LazyBuilderRule
    converters.init_app(app)  # bounded <int:...> before any route is added
    app.config.update(
        **auth.session_config(settings),
        # Files are stored in the database: refuse bigger uploads before reading them.
        MAX_CONTENT_LENGTH=runtime.max_file_size + 1024 * 1024,
    )
    app.jinja_env.bytecode_cache = BYTECODE_CACHE
    c = WebContext(platform, runtime, settings)
    app.extensions[CTX_KEY] = c
    Babel(app, locale_selector=c.locale)
    auth.init_app(app, c)
    screenlock.init_app(app, c)  # the idle lock of the screen (S48)
    security.init_app(app)

    config = runtime.config
    admin = Admin(
        app,
        name=LazyString(lambda: c.label(config.manifest.title, config.manifest.name)),
        url="/",
        index_view=HomeView(name=LazyString(lambda: c.gettext("Home")), url="/"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
    )
    sections = {s.id: s for s in config.manifest.sections}
    for table in menu_order(config.tables, [s.id for s in config.manifest.sections]):
        admin.add_view(TableView(c, table, category=table.section))
        boardviews.add_views(admin, c, table)  # its calendar and kanban board (issue 21)
    printviews.init_app(app, admin, c)  # print menus, documents, the print-form editor
    notifications.init_app(app, admin, c)  # the bell and the list of notifications
    reportviews.init_app(admin, c)  # the "Reports" menu and pages
    findview.init_app(app, admin, c)  # the top bar's Find box and its page (S25, S36)
    mailingviews.init_app(app, admin, c)  # messages, mailings, unsubscribe (issue 19)
    # Menu categories were keyed by section id; show the section's label per locale.
    for item in admin.menu():
        section = sections.get(item.name) if isinstance(item.name, str) else None
        if section is not None:
            labels = section.data.get("label", {})
            item.name = LazyString(lambda labels=labels, sid=section.id: c.label(labels, sid))
    api.init_app(app, admin, c)  # the REST API under /api/v1, tokens, webhooks (issue 18)
    adminviews.add_views(admin, c)
    backupviews.add_views(admin, c)  # the administrator's backups (issue 20)
    reportschedules.add_views(admin, c)  # reports sent on a schedule (issue 20)
    structureviews.add_views(admin, c)  # the «Настройка» menu: structure editor (issue 14)
    tableviews.add_views(admin, c)  # its table screens: add, purge (issue 14)
    fieldviews.add_views(admin, c)  # its field page: rename, retype, choice lists
    versionviews.add_views(admin, c)  # ... and the configuration versions (issue 16)
    designviews.add_views(admin, c)  # the card designer, reached from cards (issue 15)
    listdesignerviews.add_views(admin, c)  # the list layout designer (issue 15)
    messageviews.add_views(admin, c)  # ... and the message templates (issue 19)
    channelviews.add_views(admin, c)  # the administrator's e-mail and SMS settings (issue 19)

    menus = MenuCache()
    app.extensions["uchet_menus"] = menus

    def cached_menu(admin_view: Any, render: Callable[[], str]) -> Markup:
        # The menu depends on the version (this app), roles, locale, mount point and the
        # active entry only: rendered once per such key (issue 12).
        endpoint = getattr(admin_view, "endpoint", None)
        if not current_user.is_authenticated or not isinstance(endpoint, str):
            return Markup(render())
        key = MenuCache.key(c.user().roles, c.locale(), request.script_root, endpoint)
        return menus.get(key, render)

    app.jinja_env.globals["uchet_cached_menu"] = cached_menu

    @app.context_processor
    def uchet_globals() -> dict[str, Any]:
        return {"uchet": ctx(), "_t": ctx().gettext, "designer_url": designer_url}

    def designer_url(table: Any) -> str | None:
        """The card designer of ``table`` for those who may configure (issue 15), else None."""
        if not structureviews.can_configure(c):
            return None
        return url_for("uchet_designer.designer", table_id=table.id)

    return app
