"""The administrator's backups page and the scheduled reports screen (issue 20, S42): only an
administrator sees backups and downloads one (a manager gets 403; a name that is not a
backup's in the folder gets 404, never another file); settings are saved with errors in
Russian; a manager schedules a report for herself and downloads only her own delivered file.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from tests.web_support import WebClient

from uchet.platform.features import report_schedules
from uchet.platform.features.backup import scheduled as scheduled_backup
from uchet.platform.features.backup import verify
from uchet.platform.features.schedules import Recurrence


def test_backups_page_admin_only_downloads_and_no_traversal(
    client: WebClient, web_platform: Any, tmp_path
) -> None:
    folder = tmp_path / "copies"
    (tmp_path / "secret.txt").write_text("top secret")
    client.login("admin")
    page = client.get("/-/backups/")
    assert page.status_code == 200 and "Резервные копии" in page.text
    assert "Копий пока нет." in page.text
    # Wrong settings: told in Russian, nothing saved.
    r = client.post(
        "/-/backups/settings/",
        {
            "folder": str(folder),
            "frequency": "daily",
            "at_time": "25:00",
            "keep": "3",
            "active": "1",
        },
    )
    assert r.status_code == 302
    page = client.get("/-/backups/").text
    assert "Не сохранено: Время — ЧЧ:ММ, от 00:00 до 23:59." in page
    assert (
        scheduled_backup.settings(scheduled_backup.backup_schedules(web_platform.runtime)) is None
    )
    r = client.post("/-/backups/settings/", {"folder": str(folder), "frequency": "weekly",
                                              "at_time": "03:30", "weekday": "6", "keep": "3",
                                              "active": "1"})  # fmt: skip
    page = client.get("/-/backups/").text
    assert "Расписание резервных копий сохранено." in page
    saved = scheduled_backup.settings(scheduled_backup.backup_schedules(web_platform.runtime))
    assert saved.recurrence == Recurrence("weekly", "03:30", 6, None)
    assert saved.payload == {"folder": str(folder), "keep": 3}
    # The worker makes one; the page lists it and the administrator downloads it.
    assert web_platform.worker().run_once(at=saved.next_run_at) == 1
    page = client.get("/-/backups/").text
    [name] = re.findall(r'/-/backups/download/([^"]+)"', page)
    got = client.get(f"/-/backups/download/{name}")
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].startswith("attachment")
    archive = tmp_path / "downloaded.uchet-backup"
    archive.write_bytes(got.data)
    assert verify(archive).config_name == "sample_crm"
    # Paths out of the folder: never served.
    for bad in ["..%2Fsecret.txt", "../secret.txt", "secret.txt", "%2Fetc%2Fpasswd",
                "uchet-x-20310101-000000.uchet-backup"]:  # fmt: skip
        assert client.get(f"/-/backups/download/{bad}").status_code == 404, bad
    # A manager: no page, no download, no settings.
    other = WebClient(client.app)
    other.login("anna")
    assert "/-/backups/" not in other.get("/").text
    assert other.get("/-/backups/").status_code == 403
    assert other.get(f"/-/backups/download/{name}").status_code == 403
    r = other.post("/-/backups/settings/", {"folder": "/tmp", "frequency": "daily",
                                             "at_time": "01:00", "keep": "1"})  # fmt: skip
    assert r.status_code == 403
    again = scheduled_backup.settings(scheduled_backup.backup_schedules(web_platform.runtime))
    assert again.payload["folder"] == str(folder)


def test_report_schedule_screen_and_own_files_only(client: WebClient, web_platform: Any) -> None:
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    client.login("anna")
    report = client.get("/reports/clients_by_city/").text
    assert "Отправлять по расписанию" in report
    form = client.get("/-/report-schedules/?report=report_clients_by_city").text
    assert "Отчёты по расписанию" in form
    assert f'id="uchet-recipient-{boris.id}"' not in form  # a manager sends to herself only
    assert f'id="uchet-recipient-{anna.id}"' in form
    # Trying anyway (a crafted form) is refused in Russian.
    client.post(
        "/-/report-schedules/",
        {
            "report": "report_clients_by_city",
            "frequency": "daily",
            "at_time": "07:00",
            "recipients": [str(anna.id), str(boris.id)],
        },
    )
    page = client.get("/-/report-schedules/").text
    assert "Не сохранено: Выберите получателей" in page
    client.post(
        "/-/report-schedules/",
        {
            "report": "report_clients_by_city",
            "frequency": "monthly",
            "at_time": "07:00",
            "monthday": "31",
            "recipients": str(anna.id),
        },
    )
    page = client.get("/-/report-schedules/").text
    assert "Отчёт будет отправляться по расписанию." in page
    assert page.count("uchet-schedule-row") == 1 and "Каждый месяц, 31, 07:00" in page
    [schedule] = report_schedules.report_schedules(web_platform.runtime).list()
    assert schedule.payload["recipients"] == [anna.id]
    web_platform.records("clients", user=anna).create(
        {"name": "А1", "kind": "company", "city": "Тула", "manager": anna.id}
    )
    assert web_platform.worker().run_once(at=schedule.next_run_at) == 1
    [note] = web_platform.notifications(anna).list()
    page = client.get("/notifications/").text
    assert "Скачать отчёт" in page
    got = client.post(f"/notifications/{note.id}/open/")
    assert got.status_code == 302 and f"/-/report-schedules/file/{note.record_id}" in got.location
    xlsx = client.get(f"/-/report-schedules/file/{note.record_id}")
    assert xlsx.status_code == 200 and zipfile.is_zipfile(io.BytesIO(xlsx.data))
    other = WebClient(client.app)
    other.login("boris")
    assert other.get(f"/-/report-schedules/file/{note.record_id}").status_code == 404
    # Boris neither sees nor deletes Anna's schedule.
    assert "uchet-schedule-row" not in other.get("/-/report-schedules/").text
    assert other.post(f"/-/report-schedules/{schedule.id}/delete/").status_code == 404
    assert client.post(f"/-/report-schedules/{schedule.id}/delete/").status_code == 302
    assert report_schedules.report_schedules(web_platform.runtime).list() == []
