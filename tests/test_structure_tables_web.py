"""The structure editor's table screens through the web app (issue 14), on SQLite and
PostgreSQL: only configurers reach them; a new table's mistakes are shown next to the
controls and nothing is saved; purging a table needs its typed name and names what is lost;
orphan database-overlay entries are listed on the history page."""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa
from tests.test_web_structure import client  # noqa: F401
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.configurations.overlay_edit import set_hidden, set_properties


def hidden_fields(page: str) -> dict[str, str]:
    form = page[page.index('id="uchet-structure-confirm"') :]
    form = form[: form.index("</form>")]
    pairs = re.findall(r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)"', form)
    return {name: html.unescape(value) for name, value in pairs if name != "csrf_token"}


def test_add_and_purge_a_table(client: WebClient, web_platform: Any) -> None:  # noqa: F811
    other = WebClient(client.app)
    other.login("anna")
    assert other.get("/-/structure-tables/new").status_code == 403
    client.login("admin")
    # Mistakes: a taken name, no label. Next to the controls; nothing saved.
    r = client.post("/-/structure-tables/new", {"name": "clients", "kind": "directory"})
    assert "Таблица с таким именем уже есть." in r.text and "Нужно название." in r.text
    assert web_platform.overlay.revisions() == []
    r = client.post(
        "/-/structure-tables/new",
        {
            "name": "cars",
            "label_ru": "Автомобили",
            "kind": "directory",
            "section": "sec_directories",
            "target": "clients",
            "roles": ["manager"],
        },
    )
    assert "добавлена таблица «Автомобили»" in r.text
    r = client.post("/-/structure/apply", hidden_fields(r.text))
    assert r.status_code == 302 and web_platform.overlay.latest().number == 1
    owner = web_platform.records("clients", user=SYSTEM).create(
        {"name": "ООО А", "kind": "company"}
    )
    web_platform.records("cars", user=SYSTEM).create({"name": "Лада", "clients": owner["id"]})
    card = f"/clients/edit/?id={owner['id']}"
    assert 'href="#tab-tab_cars_clients"' in client.get(card).text
    # Archived: no menu entry, no tab on the client card; its row is kept. Then restored.
    doc = set_hidden(web_platform.overlay.document(), "cars", True)
    web_platform.overlay.save(doc, base_revision=1)
    assert 'href="#tab-tab_cars_clients"' not in client.get(card).text
    assert 'href="/cars/"' not in client.get("/").text
    web_platform.overlay.save(set_hidden(doc, "cars", False), base_revision=2)
    assert 'href="#tab-tab_cars_clients"' in client.get(card).text
    assert web_platform.records("cars", user=SYSTEM).query().total == 1
    # Purge: the typed name must match; then the plan names the rows lost and the backup.
    r = client.post("/-/structure-tables/purge/cars", {"typed_name": "Автомобили"})
    assert r.status_code == 302 and "cars" in tables(web_platform)
    r = client.post("/-/structure-tables/purge/cars", {"typed_name": "cars"})
    assert "Будут удалены записи таблицы cars: 1." in r.text
    assert "Резервная копия" in r.text
    r = client.post("/-/structure-tables/apply-purge", hidden_fields(r.text))
    assert r.status_code == 302
    assert "cars" not in tables(web_platform)
    assert any(t.startswith("uchet_bak_") and t.endswith("_cars") for t in tables(web_platform))
    # A table of the configuration files cannot be purged.
    assert (
        client.post("/-/structure-tables/purge/clients", {"typed_name": "clients"}).status_code
        == 404
    )


def test_orphan_entries_on_the_history_page(client: WebClient, web_platform: Any) -> None:  # noqa: F811
    doc = set_properties(EMPTY_DOCUMENT, "clients.city", {"label": {"ru": "Город клиента"}})
    web_platform.overlay.save(doc, base_revision=None)
    web_platform.overlay.files_ids.discard("clients.city")  # as after an upgrade
    client.login("admin")
    page = client.get("/-/structure-history/").text
    assert 'id="uchet-structure-orphans"' in page and "/set/clients.city" in page
    assert "не применяются" in page


def tables(platform: Any) -> set[str]:
    return set(sa.inspect(platform.engine).get_table_names())
