"""``uchet import`` / ``uchet undo-import`` and imports as background jobs (issue 17,
point 6), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from tests.import_support import csv_bytes, xlsx_bytes

from uchet import SYSTEM
from uchet.cli import main
from uchet.platform.features.importing import Mapping, Options
from uchet.platform.features.importing.jobs import enqueue_import, import_job_state

# A manager may only hold clients they manage: the rows name her.
ROWS = [
    ["Клиент", "Вид", "Лояльность", "Менеджер"],
    ["Альфа", "Организация", "5", "anna"],
    ["Бета", "Частное лицо", "много", "anna"],
    ["Гамма", "Организация", "7", "anna"],
]


def url(platform: Any) -> str:
    return platform.engine.url.render_as_string(hide_password=False)


def names(platform: Any) -> list[str]:
    rows = platform.records("clients", user=SYSTEM).query(sort=["name"], limit=100).rows
    return [r["name"] for r in rows]


def test_the_command(platform: Any, tmp_path: Path, staff: Any) -> None:
    before = names(platform)
    data = tmp_path / "old.csv"
    data.write_bytes(csv_bytes(ROWS, "cp1251"))
    mapping = tmp_path / "m.json"
    # "Клиент" is no field's label: the saved mapping names it.
    mapping.write_text(
        json.dumps(
            {"Клиент": "name", "Вид": "kind", "Лояльность": "loyalty", "Менеджер": "manager"}
        )
    )
    args = ["import", "clients", str(data), "-d", url(platform), "--mapping", str(mapping)]
    r = CliRunner().invoke(main, [*args, "--dry-run"])
    assert r.exit_code == 1, r.output
    assert "row 3, Лояльность «много»: Нужно целое число." in r.output
    assert "nothing was written" in r.output and names(platform) == before
    r = CliRunner().invoke(main, args)  # all or nothing
    assert r.exit_code == 1 and names(platform) == before
    r = CliRunner().invoke(main, [*args, "--good-rows", "--as", "anna"])
    assert r.exit_code == 0, r.output
    assert "2 created, 0 updated, 1 row(s) skipped" in r.output
    assert names(platform) == sorted([*before, "Альфа", "Гамма"])
    import_id = r.output.split("Import ")[1].split(":")[0]
    r = CliRunner().invoke(main, ["undo-import", import_id, "-d", url(platform), "--as", "boris"])
    assert r.exit_code == 1 and "нет права" in r.output  # not boris's clients
    r = CliRunner().invoke(main, ["undo-import", import_id, "-d", url(platform), "--as", "anna"])
    assert r.exit_code == 1 and "may not delete" in r.output  # managers delete no clients
    assert len(names(platform)) == len(before) + 2
    r = CliRunner().invoke(main, ["undo-import", import_id, "-d", url(platform), "--as", "admin"])
    assert r.exit_code == 0, r.output
    assert names(platform) == before
    r = CliRunner().invoke(main, ["import", "clients", str(data), "-d", url(platform),
                                  "--as", "vera"])  # fmt: skip
    assert r.exit_code == 1 and "нет права загружать" in r.output


def test_a_long_import_runs_as_a_job(platform: Any, staff: Any) -> None:
    before = names(platform)
    rows = [["Наименование", "Вид", "Менеджер"]]
    rows += [[f"Клиент {i:04d}", "Организация", "Анна"] for i in range(300)]
    mapping = Mapping.from_json({"Наименование": "name", "Вид": "kind", "Менеджер": "manager"})
    job = enqueue_import(platform.runtime, "clients", staff["anna"], xlsx_bytes(rows), "big.xlsx",
                         Options(mapping=mapping), "ru")  # fmt: skip
    assert import_job_state(platform.runtime, job) == {"status": "pending", "report": None}
    assert names(platform) == before
    assert platform.run_jobs() == 1
    state = import_job_state(platform.runtime, job)
    assert state["status"] == "done" and state["report"]["created"] == 300
    assert state["report"]["written"] and state["report"]["import_id"]
    assert platform.records("clients", user=SYSTEM).aggregate("count") == len(before) + 300
    files = platform.runtime.model.system["uchet_files"]
    import sqlalchemy as sa

    with platform.engine.connect() as conn:  # the upload is gone once imported
        assert conn.execute(sa.select(sa.func.count()).select_from(files)).scalar() == 0


def test_a_refused_job_reports_why(platform: Any, staff: Any) -> None:
    job = enqueue_import(platform.runtime, "clients", staff["vera"], csv_bytes(ROWS), "x.csv",
                         Options(), "ru")  # fmt: skip
    assert platform.run_jobs() == 1
    state = import_job_state(platform.runtime, job)
    assert state["status"] == "done" and "нет права" in str(state["report"]["error"])
