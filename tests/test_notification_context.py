"""Notifications with context (issue 21, point 7), on SQLite and PostgreSQL: what, which record
(a link with its title, or «нет доступа»), who made the change, when, grouped by day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import lxml.html
import sqlalchemy as sa
from tests.web_support import WebClient

from uchet import SYSTEM


def login(app: Any, who: str) -> WebClient:
    c = WebClient(app)
    assert c.login(who).status_code == 302
    return c


def test_a_notification_says_which_record_and_who(web_platform: Any, web_app: Any) -> None:
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    client = web_platform.records("clients", user=SYSTEM).create(
        {"name": "ООО «Ромашка»", "manager": anna.id}
    )
    task = web_platform.records("work", user=anna).create(
        {"client": client["id"], "title": "Позвонить", "assignee": boris.id}
    )
    note = web_platform.notifications(boris).list()[0]
    assert note.actor_id == anna.id  # stored with the notification, in its transaction
    page = lxml.html.fromstring(login(web_app, "boris").get("/notifications/").text)
    item = page.xpath(f"//li[@data-id='{note.id}']")[0]
    link = item.xpath(".//a[contains(@class,'uchet-notification-record')]")[0]
    assert link.text_content() == "Позвонить"
    assert link.get("href") == f"/work/edit/?id={task['id']}"
    assert "Anna" in item.xpath(".//*[contains(@class,'uchet-notification-who')]")[0].text_content()
    assert [h.text_content() for h in page.xpath("//h6[contains(@class,'day')]")] == ["Сегодня"]


def test_older_notifications_are_grouped_by_day_and_a_hidden_record_is_not_named(
    web_platform: Any, web_app: Any
) -> None:
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    secret = web_platform.records("clients", user=SYSTEM).create(
        {"name": "Тайный клиент", "manager": boris.id}
    )
    task = web_platform.records("work", user=boris).create(
        {"client": secret["id"], "title": "Для Анны", "assignee": anna.id}
    )
    note = web_platform.notifications(anna).list()[0]
    # The task is moved out of Anna's sight, and the notification is from two days ago.
    web_platform.records("work", user=SYSTEM).update(task["id"], {"assignee": boris.id})
    notes = web_platform._system["uchet_notifications"]
    with web_platform.engine.begin() as conn:
        conn.execute(
            sa.update(notes).where(notes.c.id == note.id)
            .values(created_at=dt.datetime.now() - dt.timedelta(days=2))
        )  # fmt: skip
    html = login(web_app, "anna").get("/notifications/").text
    page = lxml.html.fromstring(html)
    item = page.xpath(f"//li[@data-id='{note.id}']")[0]
    record = item.xpath(".//*[contains(@class,'uchet-notification-record')]")[0]
    assert record.text_content() == "нет доступа" and record.tag == "span"
    assert not item.xpath(".//a[contains(@href,'/work/edit/')]")  # no link to a 404 card
    days = [h.text_content() for h in page.xpath("//h6[contains(@class,'day')]")]
    assert days == [(dt.date.today() - dt.timedelta(days=2)).strftime("%d.%m.%Y")]
