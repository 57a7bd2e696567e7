"""Scheduled work run by ``uchet worker`` (issue 20, S42, S46), with an injected clock:

* scheduled backups: each occasion once however many workers look, the newest N kept, the
  administrators (and nobody else) told when one is done or failed;
* scheduled reports: computed under each RECIPIENT's rights, delivered to a real SMTP server
  on 127.0.0.1 (aiosmtpd) with the xlsx attached, and as a notification whose file only its
  recipient can download.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from uchet.platform.features import report_schedules, schedules
from uchet.platform.features.backup import list_backups, verify
from uchet.platform.features.backup import scheduled as scheduled_backup
from uchet.platform.features.schedules import Recurrence, ScheduleError
from uchet.platform.model.errors import NotFound

T0 = dt.datetime(2031, 3, 3, 10, 0)  # a Monday


def _jobs(platform: Any, kind: str) -> list[dict]:
    table = platform.runtime.model.system["uchet_jobs"]
    with platform.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(table.select().where(table.c.kind == kind))]


def test_recurrence_next_occasions():
    daily = Recurrence("daily", "02:30")
    assert daily.next_after(T0) == dt.datetime(2031, 3, 4, 2, 30)
    assert daily.next_after(dt.datetime(2031, 3, 4, 2, 29)) == dt.datetime(2031, 3, 4, 2, 30)
    weekly = Recurrence("weekly", "08:00", weekday=4)
    assert weekly.next_after(T0) == dt.datetime(2031, 3, 7, 8, 0)
    monthly = Recurrence("monthly", "06:00", monthday=31)
    assert monthly.next_after(dt.datetime(2031, 4, 1)) == dt.datetime(2031, 4, 30, 6, 0)
    assert monthly.next_after(dt.datetime(2031, 4, 30, 7)) == dt.datetime(2031, 5, 31, 6, 0)
    for bad, where in [
        (Recurrence("hourly"), "frequency"),
        (Recurrence("daily", "25:00"), "time"),
        (Recurrence("weekly", "08:00"), "weekday"),
        (Recurrence("monthly", "08:00", monthday=0), "day of the month"),
    ]:
        with pytest.raises(ScheduleError, match=where):
            bad.check()


def test_scheduled_backup_runs_once_per_occasion_keeps_n_and_tells_admins(
    platform, staff, tmp_path
):
    rt = platform.runtime
    folder = tmp_path / "backups"
    store = scheduled_backup.backup_schedules(rt)
    scheduled_backup.save_settings(
        store, str(folder), 2, Recurrence("daily", "02:00"), user_id=staff["admin"].id, now=T0
    )
    first = dt.datetime(2031, 3, 4, 2, 0)
    assert scheduled_backup.settings(store).next_run_at == first
    a, b = platform.worker(worker_id="a"), platform.worker(worker_id="b")
    assert a.run_once(at=first - dt.timedelta(minutes=1)) == 0
    assert list_backups(folder) == []
    # Two workers on the same occasion: one backup.
    ran = a.run_once(at=first + dt.timedelta(seconds=5)) + b.run_once(
        at=first + dt.timedelta(seconds=5)
    )
    assert ran == 1
    assert [x.made_at for x in list_backups(folder)] == [first + dt.timedelta(seconds=5)]
    for day in (5, 6, 7):
        assert b.run_once(at=dt.datetime(2031, 3, day, 2, 0, 30)) == 1
    kept = list_backups(folder)
    assert [x.made_at.day for x in kept] == [7, 6]  # the newest two
    assert verify(kept[0].path).config_name == "sample_crm"
    [job] = [j for j in _jobs(platform, "schedule_backup") if j["due_at"].day == 4]
    assert job["status"] == "done" and job["attempts"] == 1
    notes = platform.notifications(staff["admin"]).list()
    assert len(notes) == 4 and all(n.title.startswith("Резервная копия готова") for n in notes)
    assert kept[0].name in notes[0].title and "Удалено старых копий: 1" in notes[0].body
    assert platform.notifications(staff["anna"]).list() == []  # not an administrator
    assert scheduled_backup.settings(store).last_status == "done"

    # A folder that cannot be written: the administrator hears why.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    scheduled_backup.save_settings(store, str(blocker), 2, Recurrence("daily", "02:00"), now=T0)
    assert a.run_once(at=dt.datetime(2031, 3, 4, 2, 1)) == 1
    failed = platform.notifications(staff["admin"]).list()[0]
    assert failed.title == "Резервная копия не сделана"
    assert str(blocker) in failed.body
    assert scheduled_backup.settings(store).last_status == "failed"


def test_an_occasion_is_enqueued_once(platform, staff, tmp_path):
    rt = platform.runtime
    store = scheduled_backup.backup_schedules(rt)
    scheduled_backup.save_settings(store, str(tmp_path), 3, Recurrence("daily", "02:00"), now=T0)
    table, jobs = rt.model.system["uchet_schedules"], rt.model.system["uchet_jobs"]
    at = dt.datetime(2031, 3, 4, 2, 0)
    assert schedules.enqueue_due(platform.engine, table, jobs, at) == 1
    assert schedules.enqueue_due(platform.engine, table, jobs, at) == 0
    # Missed occasions are not replayed one by one: the latest runs, once.
    assert schedules.enqueue_due(platform.engine, table, jobs, at + dt.timedelta(days=5)) == 1
    assert len(_jobs(platform, "schedule_backup")) == 2


# -- scheduled reports ---------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields the received envelopes."""
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 Message accepted"

    port = _free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("UCHET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("UCHET_SMTP_PORT", str(port))
    monkeypatch.setenv("UCHET_SMTP_FROM", "uchet@example.test")
    try:
        yield received
    finally:
        controller.stop()


def _rows_of(xlsx: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(xlsx)).active
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_scheduled_report_by_mail_under_the_recipients_rights(platform, staff, smtp_server):
    anna, boris, admin = staff["anna"], staff["boris"], staff["admin"]
    rt = platform.runtime
    for name, city, owner in [("А1", "Москва", anna), ("А2", "Москва", anna),
                              ("Б1", "Казань", boris)]:  # fmt: skip
        platform.records("clients", user=owner).create(
            {"name": name, "kind": "company", "city": city, "manager": owner.id}
        )
    weekly = Recurrence("weekly", "08:00", weekday=0)
    nobody = platform.users.create("nobody", "secret-pass-9", name="Никто", roles=[])
    # Who may set one up: a manager for herself only; the administrator for anyone.
    with pytest.raises(ScheduleError, match="only an administrator"):
        report_schedules.save(rt, anna, "clients_by_city", weekly, [anna.id, boris.id], now=T0)
    with pytest.raises(ScheduleError, match="may not run"):
        report_schedules.save(rt, nobody, "receivables", weekly, [nobody.id])
    with pytest.raises(NotFound, match="no report 'nothing'"):
        report_schedules.save(rt, admin, "nothing", weekly, [anna.id])
    own = report_schedules.save(rt, anna, "clients_by_city", weekly, [anna.id], now=T0)
    report_schedules.report_schedules(rt).delete(own)
    report_schedules.save(rt, admin, "clients_by_city", weekly, [anna.id, boris.id], now=T0)

    occasion = dt.datetime(2031, 3, 10, 8, 0)
    worker = platform.worker()
    assert worker.run_once(at=occasion - dt.timedelta(minutes=1)) == 0
    # The report job, then one e-mail job per recipient.
    assert worker.run_once(at=occasion + dt.timedelta(seconds=1)) == 3
    assert worker.run_once(at=occasion + dt.timedelta(minutes=5)) == 0  # once per occasion

    mails = {
        e.rcpt_tos[0]: email.message_from_bytes(e.content, policy=email.policy.default)
        for e in smtp_server
    }
    assert set(mails) == {"anna@example.test", "boris@example.test"}

    def attached(msg: Any) -> tuple[str, bytes]:
        [part] = [p for p in msg.walk() if p.get_filename()]
        return part.get_filename(), part.get_payload(decode=True)

    name, anna_xlsx = attached(mails["anna@example.test"])
    assert name == "Клиенты по городам 2031-03-10.xlsx"
    assert mails["anna@example.test"]["Subject"] == "Отчёт «Клиенты по городам» за 10.03.2031"
    _header, *anna_rows = _rows_of(anna_xlsx)
    assert anna_rows == [("Москва", 2)]  # her rows only, never the system's view
    _, boris_xlsx = attached(mails["boris@example.test"])
    assert _rows_of(boris_xlsx)[1:] == [("Казань", 1)]

    # The notification links to the file, which only its recipient may download.
    [note] = platform.notifications(anna).list()
    assert note.table_id == report_schedules.FILE_TABLE
    got = report_schedules.report_file(rt, note.record_id, anna)
    assert got is not None and got[1] == anna_xlsx
    assert report_schedules.report_file(rt, note.record_id, boris) is None
    assert platform.notifications(admin).list() == []


def test_a_recipient_who_lost_the_right_is_skipped(platform, staff):
    anna, admin = staff["anna"], staff["admin"]
    rt = platform.runtime
    sid = report_schedules.save(
        rt, admin, "clients_by_city", Recurrence("daily", "07:00"), [anna.id], now=T0
    )
    platform.users.set_active(anna.id, False)
    assert platform.worker().run_once(at=dt.datetime(2031, 3, 4, 7, 0)) == 1
    schedule = report_schedules.report_schedules(rt).get(sid)
    assert schedule.last_status == "failed" and "no such active user" in schedule.last_message
    files = rt.model.system["uchet_files"]
    with platform.engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).where(files.c.table_id == report_schedules.FILE_TABLE)
        ).scalar()
    assert count == 0


def test_backup_folder_names_cannot_escape(tmp_path: Path):
    from uchet.platform.features.backup import BackupError, resolve

    good = tmp_path / "uchet-crm-20310304-020000.uchet-backup"
    good.write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("no")
    assert resolve(tmp_path, good.name) == good.resolve()
    for bad in ["../secret.txt", "secret.txt", "/etc/passwd", "..", "uchet-crm-x/../../a",
                "uchet-crm-20310304-020001.uchet-backup"]:  # fmt: skip
        with pytest.raises(BackupError):
            resolve(tmp_path, bad)


def test_backup_outcome_is_e_mailed_to_administrators(platform, staff, tmp_path, smtp_server):
    platform.users.update(staff["admin"].id, email="admin@example.test")
    store = scheduled_backup.backup_schedules(platform.runtime)
    scheduled_backup.save_settings(store, str(tmp_path), 1, Recurrence("daily", "02:00"), now=T0)
    # The backup job, then the e-mail job it queued (sent after the transaction).
    assert platform.worker().run_once(at=dt.datetime(2031, 3, 4, 2, 0)) == 2
    [mail] = [email.message_from_bytes(e.content, policy=email.policy.default)
              for e in smtp_server]  # fmt: skip
    assert mail["To"] == "admin@example.test"
    assert mail["Subject"].startswith("Резервная копия готова: uchet-")
    assert "файлов из базы: 0" in mail.get_content()
