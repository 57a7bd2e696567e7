"""The configuration versions page under «Настройка» (issue 16, point 7), on SQLite and
PostgreSQL: the administrator sees every applied version (date, who, source, what changed in
words) and the last upgrade's report; a manager gets 403 and no menu entry."""

from __future__ import annotations

import copy
import html
from typing import Any

import sqlalchemy as sa
from tests.web_support import WebClient

from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.formdesigner.versions import report_text
from uchet.platform.records.users import User

URL = "/-/config-versions/"
VISIT = {"id": "clients.visit_date", "name": "visit_date", "type": "date",
         "label": {"ru": "Дата визита", "en": "Visit date"}}  # fmt: skip


def test_admin_sees_versions_manager_gets_403(client: WebClient, web_platform: Any) -> None:
    doc = copy.deepcopy(EMPTY_DOCUMENT)
    doc["fields"] = {"clients": [VISIT]}
    web_platform.overlay.save(doc, base_revision=None,
                              user=User(id=None, login="admin", name="A"))  # fmt: skip
    client.login("admin")
    home = client.get("/").text
    assert URL in home and "Версии конфигурации" in home
    r = client.get(URL)
    assert r.status_code == 200
    page = r.text
    rows = page[page.index('id="uchet-config-versions"') :]
    # Newest first: the structure editor's save, then the first migrate.
    assert rows.index('data-version="2"') < rows.index('data-version="1"')
    assert 'data-source="overlay-save"' in rows and "редактор структуры" in rows
    assert "добавлено: 1 поле" in rows and "первая версия: 22 таблицы, 186 полей" in rows
    assert "sample_crm 0.1.0" in rows and ">admin<" in rows
    assert "uchet-upgrade-report" not in page  # no upgrade yet
    for english in ("Configuration versions", "Source", "What changed", "structure editor"):
        assert english not in page, english

    other = WebClient(client.app)
    other.login("anna")  # a manager
    assert URL not in other.get("/").text
    assert other.get(URL).status_code == 403
    anonymous = WebClient(client.app)
    assert anonymous.get(URL).status_code == 302  # to the login page


def test_last_upgrade_report_is_shown_escaped(client: WebClient, web_platform: Any) -> None:
    """The upgrade stores its report in uchet_config.upgrade_report (issue 16, point 4): the
    page shows the newest one, as its text when it has one, escaped."""
    engine = web_platform.engine
    columns = {c["name"] for c in sa.inspect(engine).get_columns("uchet_config")}
    if "upgrade_report" not in columns:  # the upgrade's own column, once it is merged
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "ALTER TABLE uchet_config ADD COLUMN upgrade_report "
                + ("JSONB" if engine.dialect.name == "postgresql" else "JSON")
            )
    table = sa.table("uchet_config", sa.column("version"), sa.column("upgrade_report", sa.JSON))
    report = {"text": "kept: 2\nconflicts: 1 <clients.city label>", "kept": 2}
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.version == 1).values(upgrade_report=report))
    client.login("admin")
    page = client.get(URL).text
    assert "Отчёт последнего обновления (версия 1)" in page
    shown = page[page.index('id="uchet-upgrade-report"') :]
    shown = shown[shown.index(">") + 1 : shown.index("</pre>")]
    assert "&lt;clients.city label&gt;" in shown and "<clients" not in shown
    assert html.unescape(shown) == report["text"]


def test_report_text_shapes() -> None:
    assert report_text({"text": "a\nb"}) == "a\nb"
    assert report_text({"conflicts": [1]}) == '{\n  "conflicts": [\n    1\n  ]\n}'
    assert report_text(["x"]) == '[\n  "x"\n]'
