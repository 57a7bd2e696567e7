"""The message screens (issue 19) through the web client: a mailing to a filtered list with
its «will receive / skipped» preview and a test to oneself first, the mailing's page and
log, export with formulas neutralised, a record's messages, rights, the rules page and the
public unsubscribe page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.delivery_support import DeliveryTestPlugin, RecordingChannel, add_people, open_people
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.platform.messaging import optout
from uchet.platform.messaging.mailings import Mailings

RULES = [{"id": "ready", "label": {"ru": "Заказ готов"}, "table": "people", "template": "promo",
          "channel": "email", "when": {"changed": "stage", "to": "ready"}}]  # fmt: skip


@pytest.fixture
def site(tmp_path: Path):
    from uchet.web import create_app

    channel = RecordingChannel()
    p = open_people(f"sqlite:///{tmp_path}/web.db", tmp_path / "people",
                    DeliveryTestPlugin(channel), rules=RULES)  # fmt: skip
    users = {
        "anna": p.users.create("anna", "secret-pass-1", name="Анна", roles=["sender"],
                               email="anna@example.test"),
        "vera": p.users.create("vera", "secret-pass-2", name="Вера", roles=["reader"]),
        "admin": p.users.create("admin", "secret-pass-3", name="Админ", roles=["main"]),
    }  # fmt: skip
    app = create_app(p, secret_key="test-secret-" + "x" * 20)
    yield p, app, channel, users
    p.close()


def client_for(app, login: str, password: str) -> WebClient:
    client = WebClient(app)
    assert client.login(login, password).status_code == 302
    return client


def test_mailing_to_a_filtered_list(site):
    p, app, channel, users = site
    anna = users["anna"]
    vips = add_people(p, anna, [{"name": f"VIP {i}", "email": f"v{i}@example.test", "vip": True}
                                for i in range(3)])  # fmt: skip
    add_people(p, anna, [{"name": "VIP без почты", "vip": True},
                         {"name": "=HYPERLINK(\"x\")", "email": "f@example.test", "vip": True},
                         {"name": "Обычный", "email": "n@example.test"}])  # fmt: skip
    p.records("people", user=SYSTEM).update(vips[2], {"no_mailing_email": True})
    web = client_for(app, "anna", "secret-pass-1")
    listing = web.get("/people/?f.vip=1").text
    link = re.search(r'id="uchet-new-mailing" href="([^"]+)"', listing)
    assert link, "the list offers a mailing"
    url = link.group(1).replace("&amp;", "&")
    assert "f.vip=1" in url
    page = web.get(url).text
    assert 'Получат: <span id="uchet-plan-send">3</span>' in page
    assert "нет адреса: 1" in page and "отписались: 1" in page
    assert "Предпросмотр" in page and "Здравствуйте, VIP 0" in page
    # The test message first: to Anna herself, at once.
    sent = web.post(url, {"template": "promo", "action": "test"})
    assert sent.status_code == 302
    assert [m.to for m in channel.sent] == ["anna@example.test"]
    mailing_page = web.get(sent.headers["Location"]).text
    assert "Тестовое сообщение отправлено на anna@example.test" in mailing_page
    # Then the mailing: queued, sent by the worker.
    queued = web.post(url, {"template": "promo", "action": "send"})
    mailing_url = queued.headers["Location"]
    mailing_id = int(re.search(r"/-/mailings/(\d+)/", mailing_url).group(1))
    assert len(channel.sent) == 1
    p.worker(worker_id="w").run_once()
    assert sorted(m.to for m in channel.sent)[1:] == sorted(
        ["v0@example.test", "v1@example.test", "f@example.test"]
    )
    progress = web.get(f"/-/mailings/{mailing_id}/progress").get_json()
    assert progress["status"] == "done"
    assert (progress["counts"]["sent"], progress["counts"]["skipped"]) == (3, 2)
    page = web.get(mailing_url).text
    assert "отправлено" in page and "нет адреса" in page and "завершена" in page
    exported = web.get(f"/-/mailings/{mailing_id}/export.csv")
    text = exported.data.decode("utf-8-sig")
    assert "Получатель" in text and "'=HYPERLINK" in text  # a formula is made text
    assert web.get(f"/-/mailings/{mailing_id}/export.xlsx").status_code == 200
    # The client's card links to its messages, which show the mailing.
    card = web.get(f"/people/edit/?id={vips[0]}").text
    assert 'id="uchet-send-message"' in card and 'id="uchet-messages-log"' in card
    log = web.get(f"/-/mailings/record/people/{vips[0]}/").text
    assert "v0@example.test" in log and "Рассылка" in log


def test_rights_on_the_message_screens(site):
    p, app, _, users = site
    [rec] = add_people(p, users["anna"], [{"name": "К", "email": "k@example.test"}])
    mailing = Mailings(p.runtime).start("promo", users["anna"], [rec])
    vera = client_for(app, "vera", "secret-pass-2")
    assert vera.get(f"/-/mailings/new?table=people&ids={rec}").status_code == 403
    assert vera.get(f"/-/mailings/{mailing}/").status_code == 404  # not her mailing
    card = vera.get(f"/people/edit/?id={rec}").text
    assert 'id="uchet-send-message"' not in card
    assert vera.post(f"/-/mailings/{mailing}/cancel").status_code == 404
    anna = client_for(app, "anna", "secret-pass-1")
    assert anna.post(f"/-/mailings/{mailing}/cancel").status_code == 302
    assert Mailings(p.runtime).get(mailing).status == "cancelled"
    assert anna.get("/-/message-rules/").status_code == 403


def test_rules_page_switches_a_rule(site):
    p, app, _, _ = site
    admin = client_for(app, "admin", "secret-pass-3")
    page = admin.get("/-/message-rules/").text
    assert "Заказ готов" in page and "когда «stage» становится «ready»" in page
    assert "включено" in page
    assert admin.post("/-/message-rules/", {"rule": "ready", "enabled": "0"}).status_code == 302
    assert "выключено" in admin.get("/-/message-rules/").text
    [rec] = add_people(p, SYSTEM, [{"name": "З", "email": "z@example.test", "stage": "new"}])
    p.records("people", user=SYSTEM).update(rec, {"stage": "ready"})
    assert Mailings(p.runtime).log(table="people", record_id=rec) == []  # switched off


def test_unsubscribe_page_needs_no_login(site):
    p, app, _, users = site
    [rec] = add_people(p, users["anna"], [{"name": "И", "email": "i@example.test"}])
    secret = optout.site_secret(p.engine, p.runtime.model.system["uchet_state"])
    token = optout.Unsubscribe(secret).token(("people", rec, "no_mailing_email"))
    web = WebClient(app)  # not logged in
    ask = web.get(f"/unsubscribe/{token}")
    assert ask.status_code == 200 and "Больше не получать наши рассылки?" in ask.text
    assert not p.records("people", user=SYSTEM).get(rec)["no_mailing_email"]  # asking sets nothing
    # The mail program's one-click POST (RFC 8058) carries no CSRF token.
    done = web.post(f"/unsubscribe/{token}", {"List-Unsubscribe": "One-Click"}, token=False)
    assert done.status_code == 200 and "Вы отписались" in done.text
    assert p.records("people", user=SYSTEM).get(rec)["no_mailing_email"] is True
    assert web.get(f"/unsubscribe/{token[:-3]}abc").status_code == 404


def test_mailing_from_a_saved_view_and_from_picked_rows(site):
    from uchet.platform.features.saved_views import SavedViews

    p, app, _, users = site
    anna = users["anna"]
    vips = add_people(p, anna, [{"name": f"V{i}", "email": f"s{i}@example.test", "vip": True}
                                for i in range(2)])  # fmt: skip
    others = add_people(p, anna, [{"name": "N", "email": "n@example.test"}])
    views = SavedViews(p.engine, p.runtime.model.system["uchet_saved_views"],
                       [r.id for r in p.config.roles])  # fmt: skip
    view = views.save("people", anna, "VIP", [("f.vip", "1")])
    web = client_for(app, "anna", "secret-pass-1")
    page = web.get(f"/-/mailings/new?table=people&view={view.id}").text
    assert 'id="uchet-plan-send">2<' in page
    picked = web.get(f"/-/mailings/new?table=people&ids={vips[0]},{others[0]}").text
    assert 'id="uchet-plan-send">2<' in picked and "из 2" in picked
    assert web.get("/-/mailings/new?table=people&ids=1,x").status_code == 400
    assert web.get("/-/mailings/new?table=nope").status_code == 404


def test_the_test_message_goes_where_the_sender_types(site):
    """«Отправить тест себе» is offered to everyone: a sender without an e-mail types one
    (or a phone for SMS); a wrong address is refused in Russian and nothing is sent."""
    p, app, channel, users = site
    add_people(p, users["anna"], [{"name": "VIP 1", "email": "v1@example.test", "vip": True}])
    web = client_for(app, "anna", "secret-pass-1")
    link = re.search(r'id="uchet-new-mailing" href="([^"]+)"', web.get("/people/?f.vip=1").text)
    url = link.group(1).replace("&amp;", "&")
    page = web.get(url).text
    assert 'id="uchet-mailing-test-to"' in page and 'value="anna@example.test"' in page
    assert re.search(r'id="uchet-mailing-test"(?![^>]*disabled)', page)
    refused = web.post(url, {"template": "promo", "action": "test", "test_to": "куда-то"})
    assert refused.status_code == 302 and channel.sent == []
    shown = web.get(refused.headers["Location"]).text
    assert "«куда-то» — не адрес почты и не номер телефона" in shown
    sent = web.post(url, {"template": "promo", "action": "test", "test_to": "me@home.test"})
    assert [m.to for m in channel.sent] == ["me@home.test"]
    assert "Тестовое сообщение отправлено на me@home.test" in web.get(sent.headers["Location"]).text
