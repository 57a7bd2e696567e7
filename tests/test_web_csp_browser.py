"""The Content-Security-Policy in a real browser (issue 13, point 7): the product's main
pages, as the administrator and as a manager, log no CSP violation (no inline script, event
handler or style attribute is left), and they still work under it: a header filter menu
opens, a card tab switches, a report draws its chart, the user menu opens. Desktop and
phone sizes; Russian. Screenshots land in artifacts/screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web_support import ARTIFACTS, browser_login

from uchet import SYSTEM

#: Collects violations before any page script runs, also those of later navigations.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def _seed(server: Any) -> dict[str, Any]:
    p = server.platform
    anna = p.test_users["anna"]
    clients = p.records("clients", user=SYSTEM)
    mine = clients.create({"name": "Иванов ИП", "city": "Москва", "manager": anna.id})
    clients.create({"name": "Петров ООО", "city": "Тула", "manager": anna.id})
    p.records("contacts", user=SYSTEM).create({"client": mine["id"], "name": "Иван Петров"})
    return mine


class Watch:
    """Every CSP violation of a page: the DOM events and the console's reports."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)

    def _console(self, msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.console.append(msg.text)

    def check(self, where: str) -> None:
        self.page.wait_for_load_state("load")
        events = self.page.evaluate("window.__csp || []")
        assert not events and not self.console, f"{where}: {events} {self.console}"


def _visit(page: Any, server: Any, watch: Watch, path: str) -> None:
    response = page.goto(server.url + path)
    assert response is not None and response.status == 200, path
    assert "content-security-policy" in {k.lower() for k in response.headers}, path
    watch.check(path)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_main_pages_log_no_csp_violation_as_admin_and_as_manager(
    page: Any, live_server: Any, size: str
) -> None:
    if size == "phone":
        page.set_viewport_size({"width": 390, "height": 844})
    mine = _seed(live_server)
    watch = Watch(page)
    for login in ("admin", "anna"):
        page.context.clear_cookies()
        page.goto(live_server.url + "/login")
        watch.check("/login")
        browser_login(page, live_server, login)
        watch.check("/ (home)")
        pages = [
            "/",
            "/clients/",
            f"/clients/edit/?id={mine['id']}",
            "/reports/",
            "/reports/report_clients_by_city/",
            "/print-forms/",
            "/-/find/?q=Иванов",
        ]
        if login == "admin":
            pages += [
                "/-/users/",
                f"/-/users/edit/?id={live_server.platform.test_users['anna'].id}",
                "/-/roles/",
            ]
        for path in pages:
            _visit(page, live_server, watch, path)
        # The pages work under the policy. A header filter menu opens...
        _visit(page, live_server, watch, "/clients/")
        if size == "phone":
            page.locator("th[data-field=city] .uchet-filter-btn").scroll_into_view_if_needed()
        page.click("th[data-field=city] .uchet-filter-btn")
        page.locator("#uchet-filter-menu .uchet-filter-value", has_text="Тула").wait_for()
        watch.check("filter menu")
        # ...a card tab switches...
        _visit(page, live_server, watch, f"/clients/edit/?id={mine['id']}")
        page.click("a[data-tab=tab_contacts]")
        page.locator("#tab-tab_contacts tr.uchet-child-row", has_text="Иван Петров").wait_for()
        watch.check("card tab")
        # ...and the report draws its chart.
        _visit(page, live_server, watch, "/reports/report_clients_by_city/")
        page.wait_for_function(
            "() => { const c = document.getElementById('uchet-report-canvas');"
            " return c && c.width > 0 && window.Chart && Chart.getChart(c); }"
        )
        watch.check("report chart")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"csp_{login}_{size}.png"), full_page=True)


def test_an_injected_inline_script_is_blocked(page: Any, live_server: Any) -> None:
    """The policy is enforced, not just sent: a script added inline does not run, and the
    browser reports it."""
    watch = Watch(page)
    browser_login(page, live_server, "anna")
    page.goto(live_server.url + "/clients/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }"
    )
    assert page.evaluate("window.__ran") is None
    events = page.evaluate("window.__csp")
    assert any(e.startswith("script-src") for e in events), events
    watch.console.clear()
