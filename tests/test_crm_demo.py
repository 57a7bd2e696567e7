"""Demo data: `uchet init --demo` loads a realistic CRM, the same for the same seed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from uchet import SYSTEM, Platform
from uchet.cli import main


def _init(url: str, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["init", "-d", url, "--admin-password", "admin-pass-1", "--demo", *args]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _names(url: str) -> list[str]:
    p = Platform.open("sample_crm", database_url=url)
    try:
        return [
            r["name"] for r in p.records("clients", user=SYSTEM).query(limit=1000, sort=["id"]).rows
        ]
    finally:
        p.close()


def test_demo_data_is_realistic_and_deterministic(tmp_path: Path) -> None:
    a, b, c = (f"sqlite:///{tmp_path / n}.db" for n in "abc")
    output = _init(a, "--clients", "150", "--seed", "7")
    assert "clients                      150 rows" in output
    assert "manager1" in output and "demo-pass-1" in output
    _init(b, "--clients", "150", "--seed", "7")
    _init(c, "--clients", "150", "--seed", "8")
    assert _names(a) == _names(b) != _names(c)
    p = Platform.open("sample_crm", database_url=a)
    try:
        statuses = {r["status"] for r in p.records("invoices", user=SYSTEM).query(limit=1000).rows}
        assert statuses == {"unpaid", "partly_paid", "paid"}
        kinds = {r["kind"] for r in p.records("clients", user=SYSTEM).query(limit=1000).rows}
        assert kinds == {"company", "person"}
        roles = {r for u in p.users.all() for r in u.roles}
        assert roles == {"main", "manager", "accountant", "viewer"}
        manager = p.users.find("manager1")
        mine = p.records("clients", user=manager).query(count=True).total
        assert 0 < mine < 150
        assert p.report("report_receivables", SYSTEM).rows
        assert p.notifications(manager).list()  # tasks assigned to them
    finally:
        p.close()
    # Again on the same file (the README's first command run twice): nothing is loaded, the
    # data stays as it was, and the command succeeds so that ``&& uchet serve`` goes on.
    before = _counts(a)
    again = CliRunner().invoke(main, ["init", "-d", a, "--demo"])
    assert again.exit_code == 0, again.output
    assert "Demo data not loaded: the database already has clients" in again.output
    assert _counts(a) == before


def _counts(url: str) -> dict[str, int]:
    """Rows per CRM table of the database at ``url``."""
    p = Platform.open("sample_crm", database_url=url)
    try:
        return {
            ct.table.id: p.records(ct.table.id, user=SYSTEM).query(count=True, limit=1).total
            for ct in p.runtime.model
        }
    finally:
        p.close()
