"""The top bar's menu is rendered once per roles, locale and page, and stays right (issue 12)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from uchet import Platform
from uchet.web import create_app
from uchet.web.menucache import MenuCache

MENU = re.compile(r'<ul class="[^"]*uchet-menu" id="uchet-menu">.*?id="uchet-more"', re.S)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    path = tmp_path_factory.mktemp("menu") / "crm.db"
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{path}")
    platform.migrate()
    platform.users.create("boss", "secret-pass-1", name="Босс", roles=["main"])
    platform.users.create("anna", "secret-pass-2", name="Анна", roles=["manager"])
    platform.users.create("anton", "secret-pass-3", name="Антон", roles=["manager"], locale="en")
    return create_app(platform, secret_key="k" * 32, idle_minutes=0)


def login(app: Flask, name: str, password: str) -> FlaskClient:
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text)
    assert token is not None
    r = client.post("/login", data={"login": name, "password": password, "csrf_token": token[1]})
    assert r.status_code == 302
    return client


def menu(client: FlaskClient, url: str) -> str:
    found = MENU.search(client.get(url).text)
    assert found is not None, url
    return found[0]


def cache_of(app: Flask) -> Any:
    return app.extensions["uchet"].hotswap.current().extensions["uchet_menus"]


def test_menus_follow_roles_locale_and_the_active_page(app: Flask) -> None:
    boss, anna = login(app, "boss", "secret-pass-1"), login(app, "anna", "secret-pass-2")
    anton = login(app, "anton", "secret-pass-3")
    boss_menu, anna_menu = menu(boss, "/clients/"), menu(anna, "/clients/")
    assert "Настройка" in boss_menu and "Настройка" not in anna_menu
    assert "Clients" in menu(anton, "/clients/") and "Клиенты" not in menu(anton, "/clients/")
    # The active entry is the page's own.
    active = re.compile(r'class="[^"]*active[^"]*"[^>]*href="([^"]+)"')
    assert "/clients/" in active.findall(menu(anna, "/clients/"))
    assert "/contacts/" in active.findall(menu(anna, "/contacts/"))
    assert "/clients/" not in active.findall(menu(anna, "/contacts/"))


def test_a_cached_menu_is_reused_and_equals_a_fresh_render(app: Flask) -> None:
    anna = login(app, "anna", "secret-pass-2")
    first = menu(anna, "/work/")
    cache = cache_of(app)
    size = len(cache)
    assert menu(anna, "/work/") == first
    assert len(cache) == size  # no new entry for the same roles, locale and page
    # A user with the same roles shares the entry; the HTML is what a fresh cache renders.
    cache._items.clear()
    assert menu(login(app, "anna", "secret-pass-2"), "/work/") == first
    assert len(cache) == 1


def test_the_cache_is_bounded() -> None:
    cache = MenuCache(max_entries=3)
    for i in range(10):
        cache.get(MenuCache.key(["r"], "ru", "", f"e{i}"), lambda i=i: f"<ul>{i}</ul>")
    assert len(cache) <= 3
    assert cache.get(MenuCache.key(["r"], "ru", "", "e9"), lambda: "new") == "<ul>9</ul>"
