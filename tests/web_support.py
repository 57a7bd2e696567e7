"""Fixtures for the web layer: a logged-in Flask test client, and a live server with a real
Chromium driven by Playwright (skipped on a laptop without Chromium, a failure in CI).

Users of the sample CRM created by :func:`seed_users`: ``admin`` (main), ``anna`` and
``boris`` (managers), ``vera`` (viewer); every password is ``PASSWORD``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs a missing tool, or fail it under CI (``CI=true``)."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


PASSWORD = "secret-pass-1"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
USERS = {"admin": ["main"], "anna": ["manager"], "boris": ["manager"], "vera": ["viewer"]}


def seed_users(platform: Any) -> dict[str, Any]:
    """Create the test users; returns them by login."""
    return {
        login: platform.users.create(login, PASSWORD, name=login.title(), roles=roles)
        for login, roles in USERS.items()
    }


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class WebClient:
    """A Flask test client that can log in and submit forms with their CSRF token."""

    def __init__(self, app: Any):
        self.app = app
        self.client = app.test_client()

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, token: bool = True,
             **kw: Any) -> Any:  # fmt: skip
        """POST ``data``, adding this session's CSRF token unless ``token`` is False."""
        data = dict(data or {})
        if token and "csrf_token" not in data:
            data["csrf_token"] = self.token()
        return self.client.post(url, data=data, **kw)

    def token(self) -> str:
        """A CSRF token of this client's session (the login page always has a form)."""
        return csrf(self.client.get("/login").text)

    def login(self, login: str, password: str = PASSWORD) -> Any:
        return self.post("/login", {"login": login, "password": password})


@pytest.fixture
def web_platform(platform: Any) -> Any:
    """The migrated sample CRM (SQLite and PostgreSQL) with the test users."""
    platform.test_users = seed_users(platform)
    return platform


@pytest.fixture
def web_app(web_platform: Any) -> Any:
    from uchet.web import create_app

    return create_app(web_platform, secret_key="test-secret-" + "x" * 20)


@pytest.fixture
def client(web_app: Any) -> WebClient:
    """A test client of the sample CRM app, not logged in."""
    return WebClient(web_app)


# -- real browser ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's), shared by the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    # Chromium formats native date and time inputs in its own interface language, which it
    # takes from LANGUAGE (the page's locale does not change it); with Debian's
    # chromium-l10n installed (.ci/run), the test users' Russian gives 07.03.2025, as their
    # own browsers would show.
    # Only LANGUAGE: LANG must name a C locale the system has (ru_RU.UTF-8 is usually not
    # generated, and Chromium then takes file names for ASCII and calls every download
    # "download"); C.UTF-8 always exists.
    env = {**os.environ, "LANGUAGE": USER_LANGUAGE, "LANG": "C.UTF-8"}
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"], env=env
        )
        yield b
        b.close()


class LiveServer:
    """The sample CRM served over HTTP on a free loopback port, in a thread."""

    def __init__(self, platform: Any, **settings: Any):
        from werkzeug.serving import make_server

        from uchet.web import create_app

        self.platform = platform
        self.app = create_app(platform, secret_key="live-secret-" + "y" * 20, **settings)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_crm_template: Path) -> Iterator[LiveServer]:
    """A live server over a fresh SQLite file with the sample CRM and the test users."""
    from tests.conftest import copy_sqlite

    from uchet import Platform

    copy_sqlite(sqlite_crm_template, tmp_path / "live.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/live.db")
    platform.migrate()
    platform.test_users = seed_users(platform)
    server = LiveServer(platform)
    yield server
    server.stop()
    platform.close()


#: The language of the test users (they have none of their own, so the CRM's default).
USER_LANGUAGE = "ru"
#: A language's usual region, for the browser's locale ("ru" -> "ru-RU").
REGIONS = {"ru": "RU", "en": "US", "uk": "UA"}


def browser_locale(language: str) -> str:
    """The browser locale of a user who works in ``language`` ("ru" -> "ru-RU")."""
    return language if "-" in language else f"{language}-{REGIONS.get(language, language.upper())}"


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; a screenshot of it is saved under artifacts/screenshots.

    The browser speaks the language of the user the test logs in as (its Accept-Language,
    ``navigator.language`` and date formats of scripts): Russian for the test users, or
    what ``@pytest.mark.user_language("en")`` says."""
    marker = request.node.get_closest_marker("user_language")
    language = marker.args[0] if marker else USER_LANGUAGE
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale=browser_locale(language)
    )
    pg = context.new_page()
    # Generous: the machines are shared, and a page waits for every static file. Waits end
    # as soon as the condition holds, so a healthy run is not slower for it.
    pg.set_default_timeout(30_000)
    pg.set_default_navigation_timeout(60_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


def browser_login(page: Any, server: LiveServer, login: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto(server.url + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def open_menu_link(page: Any, href: str) -> None:
    """Click the top bar's menu entry leading to ``href``, wherever the bar put it: in the
    bar, in its category's dropdown, or in "More" when it did not fit one row
    (static/uchet/menu.js). On a phone the collapsed menu must be opened first."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if page.locator(".navbar-toggler").is_visible():
        # A phone: the caller opened the collapsed menu. Wait until Bootstrap's collapse has
        # finished opening it (a click during the animation could land on what the growing
        # menu did not cover yet: a CI failure), or open it here.
        menu = "#admin-navbar-collapse"
        if not page.locator(f"{menu}.show, {menu}.collapsing").count():
            page.click(".navbar-toggler")
        page.wait_for_function(_MENU_OPEN)
    link = page.locator(f"#uchet-menu a[href='{href}']")
    if not link.is_visible():
        if page.locator(f"#uchet-more a[href='{href}']").count():
            opener = page.locator("#uchet-more-toggle")  # a moved category is a heading there
        else:
            opener = link.locator("xpath=ancestor::li[contains(@class, 'dropdown')][1]/a")
        opener.click()
        try:
            link.wait_for(state="visible", timeout=5000)
        except PlaywrightTimeout:  # the click did not open it: click again, as a person would
            opener.click()
    link.click()


#: Bootstrap's collapse has opened the phone's menu (``show``, no longer ``collapsing``).
_MENU_OPEN = """() => {
  const c = document.getElementById("admin-navbar-collapse");
  return !!c && c.classList.contains("show") && !c.classList.contains("collapsing");
}"""
