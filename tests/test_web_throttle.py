"""Login throttling by login and client address together (issue 13, point 4; S01, S46): a
growing delay instead of a locked account, so a stranger cannot lock anyone out, and every
slowing down and release is in the audit. Time is an injected clock: nothing sleeps. On
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from tests.web_support import PASSWORD, WebClient

from uchet.web import create_app

SECRET = "throttle-test-secret-" + "t" * 20
STRANGER, OWNER = "10.0.0.9", "10.0.0.1"


class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000_000.0

    def __call__(self) -> float:
        return self.now


def _app(web_platform: Any, clock: Clock, **settings: Any) -> Any:
    return create_app(web_platform, secret_key=SECRET, clock=clock, **settings)


def _login(client: WebClient, login: str, password: str, address: str) -> Any:
    return client.post("/login", {"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": address})  # fmt: skip


def _audit(web_platform: Any) -> list[tuple[str, str, str, int]]:
    audit = web_platform._system["uchet_audit"]
    with web_platform.engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit.c.action, audit.c.user_login, audit.c.changes)
            .where(audit.c.table_id == "uchet_users", audit.c.action.in_(["lock", "unlock"]))
            .order_by(audit.c.id)
        ).all()
    return [(r.action, r.user_login, r.changes["address"], r.changes["failures"]) for r in rows]


def test_stranger_cannot_lock_out_the_administrator(web_platform: Any) -> None:
    clock = Clock()
    app = _app(web_platform, clock, max_login_failures=5)
    stranger, owner = WebClient(app), WebClient(app)
    statuses = []
    for attempt in range(5):
        clock.now += 60
        statuses.append(_login(stranger, "admin", f"guess-{attempt}", STRANGER).status_code)
    assert statuses == [401] * 5
    slowed = _login(stranger, "admin", PASSWORD, STRANGER)  # even the right password waits
    assert slowed.status_code == 429 and slowed.headers["Retry-After"].isdigit()
    assert "Слишком много неудачных попыток. Повторите через" in slowed.text
    # The owner, from their own address, logs in at once while the stranger is slowed.
    assert _login(owner, "admin", PASSWORD, OWNER).status_code == 302
    assert owner.get("/clients/").status_code == 200


def test_the_delay_doubles_and_nothing_sleeps(web_platform: Any) -> None:
    clock = Clock()
    app = _app(web_platform, clock, max_login_failures=3, throttle_minutes=15)
    stranger = WebClient(app)
    waits = []
    for attempt in range(8):
        r = _login(stranger, "boris", f"wrong-{attempt}", STRANGER)
        if attempt < 3:
            assert r.status_code == 401
            continue
        assert r.status_code == 429  # right after a failure: wait
        wait = int(r.headers["Retry-After"])
        waits.append(wait)
        clock.now += wait - 1
        assert _login(stranger, "boris", "x-wrong", STRANGER).status_code == 429  # not yet
        clock.now += 1
        assert _login(stranger, "boris", f"wrong-{attempt}", STRANGER).status_code == 401
    assert waits == [1, 2, 4, 8, 16]
    # Capped at the window, and the failures age out of it.
    clock.now += 15 * 60 + 1
    assert _login(stranger, "boris", PASSWORD, STRANGER).status_code == 302


def test_lock_and_unlock_are_audited(web_platform: Any) -> None:
    clock = Clock()
    app = _app(web_platform, clock, max_login_failures=2)
    client = WebClient(app)
    _login(client, "anna", "wrong-1", STRANGER)
    assert _audit(web_platform) == []  # one failure is no slowing down
    _login(client, "anna", "wrong-2", STRANGER)
    assert _audit(web_platform) == [("lock", "anna", STRANGER, 2)]
    clock.now += 2
    assert _login(client, "anna", PASSWORD, STRANGER).status_code == 302
    assert _audit(web_platform) == [("lock", "anna", STRANGER, 2), ("unlock", "anna", STRANGER, 2)]
    # A login that does not exist is audited too (record id 0), so probing shows up.
    _login(WebClient(app), "nobody", "a", OWNER)
    _login(WebClient(app), "nobody", "b", OWNER)
    assert _audit(web_platform)[-1] == ("lock", "nobody", OWNER, 2)


def test_one_address_trying_many_logins_is_slowed_for_all(web_platform: Any) -> None:
    clock = Clock()
    app = _app(web_platform, clock, max_login_failures=1)  # address limit: 10 failures
    client = WebClient(app)
    for i in range(10):
        clock.now += 5
        assert _login(client, f"user{i}", "guess", STRANGER).status_code == 401
    r = _login(client, "vera", PASSWORD, STRANGER)
    assert r.status_code == 429
    assert _login(WebClient(app), "vera", PASSWORD, OWNER).status_code == 302
