"""The CRM's workflow in a real browser (Playwright + Debian's Chromium), issue 4's proof:
a manager logs in and sees today's tasks on the dashboard, opens a client, gives a colleague
a task in the client card's work tab and marks her own task done; the notification jobs run
(as ``uchet worker`` runs them); the colleague and the task's author log in and find their
notifications under the bell, and the author confirms the task.

Screenshots of the dashboard, a client card and the bell are saved in artifacts/screenshots
(the ones in docs/img come from these runs).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.test_web_card_browser import pick
from tests.web_support import ARTIFACTS, browser_login

from uchet import SYSTEM


def seed(server: Any) -> dict[str, Any]:
    """A client of Anna's with a task the administrator gave her for today."""
    p = server.platform
    users = p.test_users
    client = p.records("clients", user=SYSTEM).create(
        {"name": "ООО «Ромашка»", "city": "Тверь", "phone": "+7 4822 55-01-02",
         "manager": users["anna"].id}
    )  # fmt: skip
    today = dt.date.today()
    task = p.records("work", user=users["admin"]).create(
        {
            "client": client["id"],
            "title": "Подготовить договор",
            "assignee": users["anna"].id,
            "due_at": dt.datetime.combine(today, dt.time(23, 30)).isoformat(),
            "percent": 60,
        }
    )
    p.records("work", user=users["admin"]).create(
        {"client": client["id"], "title": "Позвонить бухгалтеру", "assignee": users["anna"].id,
         "due_at": dt.datetime.combine(today - dt.timedelta(days=2), dt.time(10)).isoformat()}
    )  # fmt: skip
    # An invoice of 3 × 4 000 paid 5 000 today: 7 000 owed, 5 000 sold this month.
    product = p.records("products", user=SYSTEM).create({"name": "Аудит сайта", "price": "4000"})
    invoice = p.records("invoices", user=SYSTEM).create({"client": client["id"], "date": today})
    p.records("invoice_lines", user=SYSTEM).create(
        {"invoice": invoice["id"], "product": product["id"], "quantity": 3}
    )
    p.records("payments", user=SYSTEM).create(
        {"invoice": invoice["id"], "date": today, "amount": "5000"}
    )
    return {"client": client, "task": task}


def bell_count(page: Any) -> str:
    badge = page.locator("#uchet-bell .uchet-bell-count")
    return "" if badge.get_attribute("hidden") is not None else badge.inner_text()


def open_bell(page: Any) -> list[str]:
    """Open the bell's dropdown; the titles it lists."""
    page.click("#uchet-bell .uchet-bell-toggle")
    page.wait_for_selector("#uchet-bell .uchet-bell-items")
    return page.locator("#uchet-bell .uchet-bell-title").all_inner_texts()


def test_manager_workflow_with_dashboard_and_notifications(
    browser: Any, page: Any, live_server: Any
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data = seed(live_server)
    p = live_server.platform
    users = p.test_users
    client_id, task_id = data["client"]["id"], data["task"]["id"]

    # 1. Anna logs in: the dashboard is her home page, with today's task on it.
    browser_login(page, live_server, "anna")
    today = page.locator("[data-widget='dash.today_tasks']")
    today.locator("text=Подготовить договор").wait_for()
    assert page.inner_text("[data-widget='dash.today_count'] .uchet-figure-value") == "1"
    late = dt.datetime.now().time() >= dt.time(23, 30)  # today's task is overdue by now
    overdue = page.inner_text("[data-widget='dash.overdue_count'] .uchet-figure-value")
    assert overdue == ("2" if late else "1")
    assert page.inner_text("[data-widget='dash.receivables'] .uchet-figure-value") == (
        "7\u00a0000,00\u00a0₽"
    )
    assert page.inner_text("[data-widget='dash.sales_month'] .uchet-figure-value") == (
        "5\u00a0000,00\u00a0₽"
    )
    assert "ООО «Ромашка»" in page.inner_text("[data-widget='dash.debtors']")
    assert bell_count(page) == "2"  # the two tasks the administrator gave her
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # 2. She opens the client from the list and, in the card's Work tab, gives Boris a task.
    page.click("a.uchet-figure[data-widget='dash.today_count']")
    page.wait_for_url(re.compile(r".*/work/\?.*f\.assignee="))
    assert page.locator("tr.uchet-row").count() == 1  # the list the figure counted
    page.goto(f"{live_server.url}/clients/")
    page.click("tr.uchet-row a >> text=ООО «Ромашка»")
    page.wait_for_url(re.compile(rf".*/clients/edit/\?id={client_id}"))
    page.screenshot(path=str(ARTIFACTS / "client_card.png"), full_page=True)
    page.click("a[data-tab=tab_work]")
    page.screenshot(path=str(ARTIFACTS / "client_card_work.png"), full_page=True)
    page.click("#tab-tab_work .uchet-child-add")
    page.wait_for_selector("#uchet-modal form.uchet-modal-form #title")
    page.fill("#uchet-modal #title", "Отправить коммерческое предложение")
    pick(page, "assignee", "Bor", "Boris")
    remind = dt.datetime.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
    page.fill("#uchet-modal #remind_at", remind.strftime("%Y-%m-%dT%H:%M"))
    page.click("#uchet-modal .uchet-modal-save")
    page.wait_for_selector("#tab-tab_work tr.uchet-child-row >> text=Отправить коммерческое")
    page.wait_for_selector("#uchet-modal", state="hidden")

    # 3. She marks her own task done, in the same tab.
    row = page.locator("#tab-tab_work tr.uchet-child-row", has_text="Подготовить договор")
    row.locator("a.uchet-child-open").click()
    page.wait_for_selector("#uchet-modal #done")
    page.check("#uchet-modal #done")
    page.click("#uchet-modal .uchet-modal-save")
    page.wait_for_selector("#uchet-modal", state="hidden")
    assert p.records("work", user=SYSTEM).get(task_id)["done"] is True
    new_task = p.records("work", user=SYSTEM).query(search="коммерческое").rows[0]
    assert new_task["author"] == users["anna"].id and new_task["assignee"] == users["boris"].id

    # 4. The notification jobs run, as `uchet worker` runs them: Boris's reminder is due.
    assert p.run_jobs() >= 1

    # 5. Boris sees his new task and its reminder under the bell, and only those.
    boris = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    try:
        bp = boris.new_page()
        browser_login(bp, live_server, "boris")
        assert bell_count(bp) == "2"
        titles = open_bell(bp)
        assert sorted(titles) == [
            "Напоминание: Отправить коммерческое предложение",
            "Новая задача: Отправить коммерческое предложение",
        ]
        bp.screenshot(path=str(ARTIFACTS / "bell.png"))
        bp.click("#uchet-bell button.dropdown-item >> text=Новая задача")
        bp.wait_for_url(re.compile(rf".*/work/edit/\?id={new_task['id']}"))
        assert bell_count(bp) == "1"  # opening it marked it read
    finally:
        boris.close()

    # 6. The author (the administrator) is told Anna is done, opens the task and confirms.
    author = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    try:
        ap = author.new_page()
        browser_login(ap, live_server, "admin")
        assert bell_count(ap) == "1"
        assert open_bell(ap) == ["Выполнено: Подготовить договор"]
        ap.click("#uchet-bell button.dropdown-item >> text=Выполнено")
        ap.wait_for_url(re.compile(rf".*/work/edit/\?id={task_id}"))
        ap.check("#confirmed")
        ap.click("#uchet-save")
        ap.wait_for_url(re.compile(r".*/work/$"))
    finally:
        author.close()
    confirmed = p.records("work", user=SYSTEM).get(task_id)
    assert confirmed["confirmed"] and confirmed["confirmed_by"] == users["admin"].id

    # 7. Anna is told her task was confirmed; nobody else got anything.
    page.goto(live_server.url + "/")
    assert bell_count(page) == "3"
    assert open_bell(page)[0] == "Выполнение подтверждено: Подготовить договор"
    assert [n.title for n in p.notifications(users["vera"]).list()] == []


def test_dashboard_and_bell_on_a_phone(browser: Any, live_server: Any) -> None:
    """375x700: widgets stacked in one column, no sideways scrolling, the bell in the bar
    without opening the menu, its dropdown inside the screen (S18)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seed(live_server)
    context = browser.new_context(
        viewport={"width": 375, "height": 700}, locale="ru-RU", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        browser_login(page, live_server, "anna")
        figures = [
            page.locator(f"[data-widget='{w}']").bounding_box()
            for w in ("dash.today_count", "dash.overdue_count", "dash.receivables")
        ]
        assert figures[1]["y"] > figures[0]["y"] + figures[0]["height"] - 1  # stacked
        assert all(box["width"] > 320 for box in figures)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the dashboard scrolls sideways ({width}px)"
        toggle = page.locator("#uchet-bell .uchet-bell-toggle")
        assert toggle.is_visible()  # not hidden in the collapsed menu
        page.screenshot(path=str(ARTIFACTS / "dashboard_phone.png"), full_page=True)
        assert len(open_bell(page)) == 2
        menu = page.locator("#uchet-bell .uchet-bell-menu").bounding_box()
        assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 375
        page.screenshot(path=str(ARTIFACTS / "bell_phone.png"))
        page.click("#uchet-bell .uchet-bell-all")
        page.wait_for_url(re.compile(r".*/notifications/$"))
        page.click("#uchet-read-all")
        page.wait_for_selector(".uchet-notification:not(.uchet-unread)")
        assert bell_count(page) == ""
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
