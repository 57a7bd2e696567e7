"""Bundles as zip files (issue 16, point 5): ``uchet config pack`` / ``unpack`` round trip,
the version in the default file name, a zip wherever a directory works, and archives that
would write outside their folder (zip slip) or unpack too big refused with a clear error."""

from __future__ import annotations

import json
import shutil
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from uchet import Platform
from uchet.cli import main
from uchet.configurations import bundle as bundle_module
from uchet.configurations.bundle import read_bundle, safe_member_name
from uchet.configurations.loader import load
from uchet.platform.model.errors import ConfigError

SAMPLE = Path(str(resources.files("uchet") / "sample_crm"))


def cli(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def crm(tmp_path: Path) -> Path:
    target = tmp_path / "crm"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["version"] = "2.3.1"
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")  # not the bundle's
    return target


def test_pack_unpack_round_trip(crm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    r = cli("config", "pack", str(crm))
    assert r.exit_code == 0, r.output
    archive = out / "sample_crm-2.3.1.zip"
    assert r.output.startswith("Packed sample_crm 2.3.1 (") and str(archive.name) in r.output
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
    assert "manifest.json" in names and "tables/clients.json" in names
    assert not any(n.startswith(".git") for n in names)
    r = cli("config", "unpack", str(archive), str(tmp_path / "back"))
    assert r.exit_code == 0, r.output
    original = {p.relative_to(crm).as_posix(): p.read_bytes() for p in crm.rglob("*")
                if p.is_file() and ".git" not in p.parts}  # fmt: skip
    unpacked = {p.relative_to(tmp_path / "back").as_posix(): p.read_bytes()
                for p in (tmp_path / "back").rglob("*") if p.is_file()}  # fmt: skip
    assert unpacked == original
    # Unpacking over a directory with files in it needs --force.
    again = cli("config", "unpack", str(archive), str(tmp_path / "back"))
    assert again.exit_code == 1 and "not an empty directory" in again.output
    # -o naming a file, and a folder.
    assert cli("config", "pack", str(crm), "-o", str(tmp_path / "x.zip")).exit_code == 0
    assert (tmp_path / "x.zip").exists()


def test_zip_works_wherever_a_directory_does(crm: Path, tmp_path: Path) -> None:
    archive = tmp_path / "crm.zip"
    assert cli("config", "pack", str(crm), "-o", str(archive)).exit_code == 0
    r = cli("config", "check", str(archive))
    assert r.exit_code == 0 and r.output.startswith("OK sample_crm 2.3.1: 22 tables")
    r = cli("config", "check", env={"UCHET_CONFIG": str(archive)})
    assert r.exit_code == 0 and "OK sample_crm 2.3.1" in r.output
    url = f"sqlite:///{tmp_path}/z.db"
    r = cli("migrate", "--config", str(archive), "-d", url)
    assert r.exit_code == 0 and "Migrated to version 1" in r.output
    p = Platform.open(str(archive), database_url=url)
    try:
        assert p.config.manifest.version == "2.3.1" and p.plan().is_empty
    finally:
        p.close()


def test_pack_refuses_a_broken_bundle(crm: Path, tmp_path: Path) -> None:
    (crm / "tables" / "clients.json").write_text("{", encoding="utf-8")
    r = cli("config", "pack", str(crm), "-o", str(tmp_path / "x.zip"))
    assert r.exit_code == 1 and "tables/clients.json:/: invalid JSON" in r.output
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize(
    "name",
    [
        "../evil.json",
        "tables/../../evil.json",
        "/etc/evil",
        "C:/evil.json",
        "tables\\..\\evil.json",
        "a//b.json",
    ],
)
def test_zip_slip_is_refused(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in SAMPLE.rglob("*.json"):
            zf.write(p, p.relative_to(SAMPLE).as_posix())
        zf.writestr(name, b"{}")
    assert not safe_member_name(name)
    r = cli("config", "unpack", str(archive), str(tmp_path / "target"))
    assert r.exit_code == 1
    assert f"{archive}!{name}:/: the path of this file leaves the bundle (zip slip)" in r.output
    assert not (tmp_path / "target").exists() and not (tmp_path / "evil.json").exists()
    with pytest.raises(ConfigError, match="zip slip"):
        load(archive)  # as --config, UCHET_CONFIG and Platform.open see it


def test_oversized_and_broken_archives_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", b"{}")
        zf.writestr("templates/zeros.bin", b"\0" * 200_000)  # compresses to almost nothing
    monkeypatch.setattr(bundle_module, "MAX_UNPACKED", 100_000)
    with pytest.raises(ConfigError, match="unpacks to 200002 bytes; at most 100000"):
        read_bundle(archive)
    r = cli("config", "check", str(archive))
    assert r.exit_code == 1 and "unpacks to 200002 bytes" in r.output
    monkeypatch.setattr(bundle_module, "MAX_MEMBERS", 1)
    with pytest.raises(ConfigError, match="holds 2 files; at most 1"):
        read_bundle(archive)
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    r = cli("config", "check", str(junk))
    assert r.exit_code == 1 and "not a bundle directory or a zip archive" in r.output
