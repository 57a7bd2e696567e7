"""The dashboard on the home page and the notification bell, through the Flask test client
on SQLite and PostgreSQL: figures equal the sums computed by hand, a manager sees only her
rows, each widget links to a list of the same rows, the bell counts and lists only one's own
notifications, and marking read needs the CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from tests.test_dashboards import CLOCK, seed
from tests.web_support import WebClient

from uchet.platform.features.dashboards import Clock


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dashboards are computed for 2025-03-14 12:00, the day the dataset is written for."""
    monkeypatch.setattr(Clock, "current", classmethod(lambda cls: CLOCK))


def figures(html: str) -> dict[str, str]:
    """The figure widgets' values by widget id."""
    return dict(
        re.findall(r'data-widget="([^"]+)"[^>]*>\s*<div class="card-body">\s*'
                   r'<div class="uchet-figure-label">[^<]*</div>\s*'
                   r'<div class="uchet-figure-value">([^<]*)</div>', html)
    )  # fmt: skip


def widget_link(html: str, widget: str) -> str:
    found = re.search(rf'data-widget="{re.escape(widget)}" href="([^"]+)"', html)
    if found is None:  # a list widget: the link is its title
        found = re.search(
            rf'data-widget="{re.escape(widget)}">\s*<div class="card-header[^>]*>\s*'
            r'<a class="uchet-widget-title" href="([^"]+)"',
            html,
        )
    assert found, f"no link on the widget {widget}"
    return found.group(1).replace("&amp;", "&")


def list_rows(html: str) -> int:
    return len(re.findall(r'<tr class="uchet-row"', html))


def nbsp(text: str) -> str:
    return text.replace(" ", "\u00a0")


def test_home_shows_the_figures_computed_by_hand(client: WebClient, web_platform: Any) -> None:
    seed(web_platform, web_platform.test_users)
    client.login("admin")
    shown = figures(client.get("/").text)
    assert shown == {
        "dash.today_count": "0",
        "dash.overdue_count": "4",
        "dash.receivables": nbsp("2 800,50 ₽"),
        "dash.sales_month": nbsp("1 400,00 ₽"),
    }


def test_a_managers_dashboard_excludes_other_managers_rows(
    client: WebClient, web_platform: Any
) -> None:
    seed(web_platform, web_platform.test_users)
    client.login("anna")
    html = client.get("/").text
    assert figures(html) == {
        "dash.today_count": "2",
        "dash.overdue_count": "2",
        "dash.receivables": nbsp("2 250,50 ₽"),
        "dash.sales_month": nbsp("1 300,00 ₽"),
    }
    assert "a_today_1" in html and "a_overdue" in html and "Ромашка" in html
    assert "b_overdue" not in html and "b_today" not in html and "Василёк" not in html
    boris = WebClient(client.app)
    boris.login("boris")
    html = boris.get("/").text
    assert figures(html)["dash.receivables"] == nbsp("550,00 ₽")
    assert "b_today" in html and "Василёк" in html
    assert "a_overdue" not in html and "Ромашка" not in html


@pytest.mark.parametrize(
    ("widget", "path", "rows"),
    [
        ("dash.today_count", "/work/", 2),
        ("dash.overdue_count", "/work/", 2),
        ("dash.today_tasks", "/work/", 2),
        ("dash.receivables", "/invoices/", 2),
        ("dash.sales_month", "/payments/", 2),
    ],
)
def test_each_widget_links_to_a_list_of_the_same_rows(
    client: WebClient, web_platform: Any, widget: str, path: str, rows: int
) -> None:
    seed(web_platform, web_platform.test_users)
    client.login("anna")
    link = widget_link(client.get("/").text, widget)
    assert link.startswith(path + "?")
    page = client.get(link)
    assert page.status_code == 200
    assert list_rows(page.text) == rows, link


def test_list_rows_open_their_cards_and_the_report_widget_shows_debtors(
    client: WebClient, web_platform: Any
) -> None:
    ids = seed(web_platform, web_platform.test_users)
    client.login("anna")
    html = client.get("/").text
    assert f'href="/work/edit/?id={ids["a_today_1"]}"' in html
    debtors = html[html.index('data-widget="dash.debtors"') :]
    assert re.findall(r"<td>([^<]*)</td>", debtors)[:2] == ["Ромашка", nbsp("3 000,00 ₽")]


def test_dashboard_in_english(client: WebClient, web_platform: Any) -> None:
    seed(web_platform, web_platform.test_users)
    client.login("anna")
    client.post("/locale", {"locale": "en"})
    html = client.get("/").text
    assert '<h4 class="mb-0 mr-3">Dashboard</h4>' in html
    assert "Receivables" in html and "Today&#39;s tasks" in html and "Sections" in html
    assert figures(html)["dash.receivables"] == nbsp("2,250.50 ₽")


def test_an_unknown_dashboard_is_not_found(client: WebClient) -> None:
    client.login("anna")
    assert client.get("/?dashboard=nope").status_code == 404
    assert client.get("/?dashboard=main").status_code == 200


# -- the bell ------------------------------------------------------------------------------------
def _tasks(platform: Any, assignee: str, titles: list[str]) -> None:
    users = platform.test_users
    client = platform.records("clients", user=users["admin"]).create(
        {"name": f"Клиент {assignee}", "manager": users[assignee].id}
    )
    work = platform.records("work", user=users["admin"])
    for title in titles:
        work.create({"client": client["id"], "title": title, "assignee": users[assignee].id})


def _note_ids(platform: Any, login: str) -> list[int]:
    return [n.id for n in platform.notifications(platform.test_users[login]).list()]


def bell(html: str) -> str | None:
    found = re.search(r'<span class="badge badge-pill badge-danger uchet-bell-count"( hidden)?>'
                      r"([^<]*)</span>", html)  # fmt: skip
    assert found, "no bell on the page"
    return None if found.group(1) else found.group(2)


def test_bell_counts_and_lists_only_ones_own(client: WebClient, web_platform: Any) -> None:
    _tasks(web_platform, "anna", ["Позвонить", "Написать", "Встретиться"])
    _tasks(web_platform, "boris", ["Задача Бориса"])
    client.login("anna")
    assert bell(client.get("/").text) == "3"
    assert bell(client.get("/clients/").text) == "3"  # on every page
    listing = client.get("/notifications/").text
    assert listing.count('class="list-group-item uchet-notification uchet-unread"') == 3
    assert "Новая задача: Позвонить" in listing and "Бориса" not in listing
    menu = client.get("/notifications/menu/").text
    assert menu.count('class="uchet-bell-item"') == 3 and "Бориса" not in menu
    boris = WebClient(client.app)
    boris.login("boris")
    assert bell(boris.get("/").text) == "1"
    client.login("vera")
    assert bell(client.get("/").text) is None  # none: the badge is hidden


def test_mark_read_needs_csrf_and_touches_only_ones_own(
    client: WebClient, web_platform: Any
) -> None:
    _tasks(web_platform, "anna", ["Позвонить", "Написать"])
    _tasks(web_platform, "boris", ["Задача Бориса"])
    anna_ids, [boris_id] = _note_ids(web_platform, "anna"), _note_ids(web_platform, "boris")
    inbox = web_platform.notifications
    client.login("anna")
    refused = client.post("/notifications/read/", {"all": "1"}, token=False)
    assert refused.status_code == 400
    refused = client.post("/notifications/read/", {"id": str(anna_ids[0])}, token=False)
    assert refused.status_code == 400
    assert client.post(f"/notifications/{anna_ids[0]}/open/", token=False).status_code == 400
    assert inbox(web_platform.test_users["anna"]).unread_count() == 2
    # Another user's notification: not found to open, nothing to mark.
    assert client.post(f"/notifications/{boris_id}/open/").status_code == 404
    answer = client.post("/notifications/read/", {"id": str(boris_id)},
                         headers={"X-Requested-With": "fetch"})  # fmt: skip
    assert answer.get_json() == {"marked": 0, "unread": 2}
    assert inbox(web_platform.test_users["boris"]).unread_count() == 1
    # One's own: one by id, then all.
    answer = client.post("/notifications/read/", {"id": str(anna_ids[0])},
                         headers={"X-Requested-With": "fetch"})  # fmt: skip
    assert answer.get_json() == {"marked": 1, "unread": 1}
    done = client.post("/notifications/read/", {"all": "1", "next": "/clients/"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/clients/")
    assert inbox(web_platform.test_users["anna"]).unread_count() == 0
    assert inbox(web_platform.test_users["boris"]).unread_count() == 1
    assert bell(client.get("/").text) is None
    bad = client.post("/notifications/read/", {"id": "x"})
    assert bad.status_code == 400
    off_site = client.post("/notifications/read/", {"all": "1", "next": "https://evil.example/"})
    assert not off_site.headers["Location"].startswith("https://evil")


def test_opening_a_notification_marks_it_read_and_opens_the_record(
    client: WebClient, web_platform: Any
) -> None:
    _tasks(web_platform, "anna", ["Позвонить"])
    [note] = web_platform.notifications(web_platform.test_users["anna"]).list()
    client.login("anna")
    opened = client.post(f"/notifications/{note.id}/open/")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/work/edit/?id={note.record_id}")
    assert client.get(opened.headers["Location"]).status_code == 200
    assert web_platform.notifications(web_platform.test_users["anna"]).unread_count() == 0


def test_bell_is_capped_and_the_list_pages(client: WebClient, web_platform: Any) -> None:
    anna = web_platform.test_users["anna"]
    table = web_platform._system["uchet_notifications"]
    now = dt.datetime(2025, 3, 14, 12, 0)
    with web_platform.engine.begin() as conn:
        conn.execute(
            sa.insert(table),
            [{"user_id": anna.id, "title": f"Уведомление {i:03d}", "created_at": now}
             for i in range(120)],
        )  # fmt: skip
    client.login("anna")
    assert bell(client.get("/").text) == "99+"
    first = client.get("/notifications/").text
    assert first.count('class="list-group-item uchet-notification') == 50
    assert "Уведомление 119" in first and "Уведомление 069" not in first
    older = re.search(r'href="(/notifications/\?before=\d+)"', first)
    assert older, "no link to older notifications"
    second = client.get(older.group(1)).text
    assert "Уведомление 069" in second and "Уведомление 070" not in second


def test_notifications_need_a_login(client: WebClient) -> None:
    answer = client.get("/notifications/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_without_dashboards_the_home_page_lists_the_sections(db_url: str) -> None:
    from tests.web_support import seed_users

    from uchet import Platform
    from uchet.configurations.overlay import Overlay
    from uchet.web import create_app

    overlay = Overlay("o.json", {"overlay": "no dashboard", "remove": ["dashboard_main"]})
    p = Platform.open("sample_crm", database_url=db_url, overlays=[overlay])
    try:
        p.migrate()
        assert p.runtime.config.dashboards == ()
        seed_users(p)
        client = WebClient(create_app(p, secret_key="test-secret-" + "x" * 20))
        client.login("anna")
        html = client.get("/").text
        assert 'id="uchet-dashboard"' not in html and "uchet-sections" in html
        assert 'href="/clients/"' in html
    finally:
        p.close()
