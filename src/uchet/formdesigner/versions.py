"""The configuration versions page (issue 16, point 7), under «Настройка»: every version
applied to the database (date, who, source, what changed) and the report of the last
upgrade when its version has one.

It reads ``uchet_config`` through :func:`~uchet.configurations.history.applied_versions`,
for the same people as the structure editor (superusers and ``configure`` roles); anyone
else gets 403. The upgrade report's shape belongs to the upgrade (issue 16, point 4): a dict
with a ``text`` is shown as that text, anything else as indented JSON, always escaped.
"""

from __future__ import annotations

import json
from typing import Any

from flask_admin import Admin, expose
from flask_babel import LazyString

from uchet.configurations.history import AppliedVersion, applied_versions
from uchet.formdesigner.views import ConfigureOnly
from uchet.web.context import WebContext

#: How many versions the page lists (the CLI's ``config history`` shows them all).
SHOWN = 200


def report_text(report: Any) -> str:
    """An upgrade report as preformatted text: its ``text`` when it has one, else JSON."""
    if isinstance(report, dict) and isinstance(report.get("text"), str):
        return str(report["text"])
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def last_upgrade(versions: list[AppliedVersion]) -> AppliedVersion | None:
    """The newest version that carries an upgrade report."""
    return next((v for v in versions if v.upgrade_report), None)


class VersionsView(ConfigureOnly):
    """The applied configuration versions, newest first."""

    @expose("/")
    def index(self) -> Any:
        locale = self.c.locale()
        versions = applied_versions(self.c.platform.engine, SHOWN)
        rows = [(v, v.source_text(locale), v.summary_text(locale)) for v in versions]
        upgrade = last_upgrade(versions)
        report = report_text(upgrade.upgrade_report) if upgrade else None
        return self.render("uchet/config_versions.html", rows=rows, upgrade=upgrade,
                           report=report)  # fmt: skip


def add_views(admin: Admin, c: WebContext) -> None:
    """Add «Версии конфигурации» to the «Настройка» menu (after the structure editor's)."""
    t = c.gettext
    admin.add_view(VersionsView(c, LazyString(lambda: t("Configuration versions")),
                                "uchet_config_versions", "/-/config-versions"))  # fmt: skip
