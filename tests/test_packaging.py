"""The Python side of a deployment, built as docs/deploy.md and the Dockerfile build it
(issue 20 point 4): the project builds into a wheel, which installs into a
fresh virtual environment, and the installed ``uchet`` command works there — its help, and
``uchet init`` of a new database, which needs the package's data files (the sample CRM's
JSON, templates, static files) to be inside the wheel.

The venv sees the machine's site-packages for the dependencies (nothing is downloaded), but
uchet itself must come from the wheel: the test checks where it was imported from.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "UCHET_PLUGINS")}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, **kw)
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_wheel_installs_into_a_fresh_venv_and_the_command_works(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # As `pip install .` in the Dockerfile: an isolated build with the build backend that
    # pyproject.toml asks for (fetched from the package index like any build does).
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(ROOT)],
         cwd=tmp_path)  # fmt: skip
    [wheel] = dist.glob("uchet-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "uchet/sample_crm/manifest.json",
        "uchet/web/templates/uchet/master.html",
        "uchet/web/templates/uchet/locked.html",
        "uchet/web/static/uchet/screenlock.js",
        "uchet/py.typed",
    ):
        assert needed in names, f"{needed} is not in the wheel"
    assert not [n for n in names if n.startswith("tests/")]

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)])
    where = _run([str(python), "-c", "import uchet; print(uchet.__file__)"], cwd=tmp_path)
    assert where.stdout.strip().startswith(str(env_dir)), where.stdout

    helped = _run([str(env_dir / "bin" / "uchet"), "--help"], cwd=tmp_path)
    assert "worker" in helped.stdout and "migrate" in helped.stdout
    made = _run([str(env_dir / "bin" / "uchet"), "init", "--database",
                 f"sqlite:///{tmp_path}/fresh.db", "--admin-password", "pass-word-1"],
                cwd=tmp_path)  # fmt: skip
    assert "admin" in made.stdout
    assert (tmp_path / "fresh.db").stat().st_size > 0
