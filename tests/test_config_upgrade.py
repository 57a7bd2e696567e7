"""``uchet config upgrade`` end to end: sample_crm 0.1 with a customer's file overlay and
database overlay, moved to the vendor's "sample_crm v0.2" (issue 16, on SQLite and PostgreSQL).

The report must match tests/fixtures/sample_crm_v02/expected_report.txt line by line; nothing
changes while a conflict is open or while a destructive step lacks consent; after resolution
and migration every customer record is there with its values, and the customer's settings
survived the vendor's changes (a renamed field keeps its column, its data and its help).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner, Result
from tests.upgrade_support import FIXTURE, fixture_json, write_v02

from uchet import SYSTEM, Platform
from uchet.cli import main
from uchet.configurations import stored
from uchet.configurations.objects import flatten
from uchet.platform.model.config import thaw

CLIENTS = [
    {"name": "ООО Ромашка", "kind": "company", "email": "info@romashka.ru",
     "website": "https://romashka.ru", "vip_level": 3, "messengers": "@romashka"},
    {"name": "Иван Петров", "kind": "person", "status": "vip", "vip_level": 1},
    {"name": "ИП Сидоров", "kind": "person", "email": "sid@example.com", "status": "inactive"},
]  # fmt: skip


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, catch_exceptions=False)


def prepare(db_url: str, tmp_path: Path) -> tuple[Path, list[int]]:
    """The customer's system on 0.1: file overlay, database overlay, three clients."""
    customer = tmp_path / "customer.json"
    shutil.copy(FIXTURE / "customer.json", customer)
    platform = Platform.open("sample_crm", database_url=db_url, overlays=[customer])
    try:
        platform.migrate()
        platform.overlay.save(fixture_json("database.json"), base_revision=None,
                              comment="the customer's own changes")  # fmt: skip
        svc = platform.records("clients", user=SYSTEM)
        ids = [svc.create(dict(values))["id"] for values in CLIENTS]
    finally:
        platform.close()
    return customer, ids


def versions(db_url: str) -> list[int]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("select version from uchet_config order by 1"))
                        .scalars())  # fmt: skip
    finally:
        engine.dispose()


def test_upgrade_to_v02_keeps_every_customer_record(db_url: str, tmp_path: Path) -> None:
    customer, ids = prepare(db_url, tmp_path)
    original = customer.read_bytes()
    v02 = write_v02(tmp_path / "sample_crm_v02")
    resolutions = tmp_path / "resolutions.json"
    report = tmp_path / "report.txt"
    args = ["config", "upgrade", "--base", str(v02), "--database", db_url,
            "--overlay", str(customer)]  # fmt: skip
    before = versions(db_url)

    # A dry run reports, and writes nothing at all.
    result = run([*args, "--dry-run", "--write-resolutions", str(resolutions)])
    assert result.exit_code == 1, result.output
    assert "2 conflict(s) open. Dry run: nothing written." in result.output
    assert not resolutions.exists()

    # Every conflict of both layers at once, the report line by line, nothing changed.
    result = run([*args, "--write-resolutions", str(resolutions), "--report", str(report)])
    assert result.exit_code == 1, result.output
    expected = (FIXTURE / "expected_report.txt").read_text(encoding="utf-8").splitlines()
    assert report.read_text(encoding="utf-8").splitlines() == expected
    assert versions(db_url) == before and customer.read_bytes() == original
    filled: dict[str, Any] = json.loads(resolutions.read_text(encoding="utf-8"))
    assert set(filled["conflicts"]) == {
        "customer.json:clients.email:label.ru",
        "database:clients.status:default",
    }
    assert filled["conflicts"]["database:clients.status:default"] == {
        "base": "active",
        "vendor": "lead",
        "customer": "inactive",
        "choose": None,
    }
    filled["conflicts"]["customer.json:clients.email:label.ru"]["choose"] = "customer"
    filled["conflicts"]["database:clients.status:default"]["choose"] = "vendor"
    resolutions.write_text(json.dumps(filled, ensure_ascii=False), encoding="utf-8")

    # Resolved, but the vendor removed a field with data: refused without consent.
    result = run([*args, "--resolutions", str(resolutions)])
    assert result.exit_code == 3, result.output
    assert "DESTRUCTIVE" in result.output and "messengers" in result.output
    assert versions(db_url) == before and customer.read_bytes() == original

    result = run([*args, "--resolutions", str(resolutions), "--allow-destructive"])
    assert result.exit_code == 0, result.output
    assert "Upgraded to version" in result.output
    assert "Rewrote overlay files" in result.output
    new_version = versions(db_url)[-1]
    assert new_version > before[-1]

    # The orphan is gone from the file (it was reported), the rest of the customer's stays.
    merged = json.loads(customer.read_text(encoding="utf-8"))
    assert "hide" not in merged
    assert merged["set"]["clients.email"] == {"label": {"ru": "Почта"}}
    assert merged["fields"]["clients"][0]["id"] == "clients.vip_level"

    engine = sa.create_engine(db_url)
    try:
        saved = stored.upgrade_report(engine, new_version)
        assert saved is not None and saved["text"].splitlines()[0] == expected[0]
        assert [c["choice"] for c in saved["conflicts"]] == ["customer", "vendor"]
        assert saved["orphans"][0]["contents"] == "clients.messengers"
        base = stored.applied_base(engine)
        assert base is not None and base[1] is not None
        assert base[1]["manifest"]["version"] == "0.2.0"  # the next upgrade's old base
    finally:
        engine.dispose()

    platform = Platform.open(str(v02), database_url=db_url, overlays=[customer])
    try:
        assert platform.plan().is_empty
        latest = platform.overlay.latest()
        assert latest is not None and latest.action == "upgrade"
        # Shown on the (Russian) structure history page.
        assert latest.comment == (
            "Обновление конфигурации поставщика: sample_crm 0.1.0 → sample_crm 0.2.0"
        )
        config = platform.config
        clients = config.table("clients")
        assert clients.field_by_id("clients.email").label["ru"] == "Почта"
        assert dict(clients.field_by_id("clients.name").label) == {
            "ru": "Название",
            "en": "Client name",
        }
        site = clients.field_by_id("clients.website")
        assert site.name == "site" and site.help["ru"] == "Адрес сайта"
        status = clients.field_by_id("clients.status")
        assert status.default == "lead"
        assert [c.value for c in status.choices] == ["lead", "active", "inactive", "paused",
                                                     "vip"]  # fmt: skip
        # The customer's hidden tab and the vendor's new row, in one form.
        objects = flatten(thaw(config.tree))
        assert objects["tab_work"].props["hidden"] is True
        assert objects["sec_main"].props["rows"][-1] == ["clients.segment"]
        assert "clients.messengers" not in objects and "client_tags" in objects
        svc = platform.records("clients", user=SYSTEM)
        assert svc.aggregate("count") == len(CLIENTS)
        for rid, values in zip(ids, CLIENTS, strict=True):
            row = svc.get(rid)
            assert row["name"] == values["name"]
            assert row.get("vip_level") == values.get("vip_level")
            assert row.get("email") == values.get("email")
            assert row.get("site") == values.get("website")
            assert row["status"] == values.get("status", "inactive")  # the customer's default then
    finally:
        platform.close()
