"""PostgreSQL's own tools, run as programs: ``pg_dump`` (custom format), ``pg_restore`` and
``psql`` (issue 20).

They are looked up on ``PATH``, then in ``UCHET_PG_BIN``, then under Debian's
``/usr/lib/postgresql/<version>/bin`` (newest first: a newer pg_dump reads older servers).
A missing tool is a :class:`~.archive.BackupError` naming it and where it was looked for.

The password never appears on a command line (other users can read those): the tools get
the URL without it and the password in ``PGPASSWORD``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL

from uchet.platform.features.backup.archive import BackupError

#: An extra folder to look in for the PostgreSQL client programs.
BIN_VARIABLE = "UCHET_PG_BIN"


def find_tool(name: str) -> str:
    """The path of the PostgreSQL program ``name``; BackupError when it is nowhere."""
    found = shutil.which(name)
    if found:
        return found
    extra = os.environ.get(BIN_VARIABLE, "").strip()
    folders = [extra] if extra else []
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    debian.sort(key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    for folder in [*folders, *reversed(debian)]:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        f"{name} was not found on PATH, in {BIN_VARIABLE} or under /usr/lib/postgresql/*/bin: "
        f"install the PostgreSQL client programs (Debian/Ubuntu: apt install postgresql-client)"
    )


def _conninfo(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str, **kwargs: object) -> None:
    result = subprocess.run(args, env=env, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        err = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BackupError(f"{what} failed (exit {result.returncode}): {' '.join(err[-3:])}")


def dump(url: URL, target: Path, snapshot: str | None = None) -> None:
    """``pg_dump --format=custom`` of the database ``url`` into ``target``; with ``snapshot``
    (from ``pg_export_snapshot()``), exactly the data that snapshot sees."""
    conninfo, env = _conninfo(url)
    args = [find_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
            f"--file={target}", f"--dbname={conninfo}"]  # fmt: skip
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run(args, env, "pg_dump")


def restore(url: URL, dump_file: Path, *, replace: bool) -> None:
    """Load ``dump_file`` into the database ``url`` in ONE transaction (``psql -1`` with
    ``ON_ERROR_STOP``): either all of it is there afterwards, or nothing changed.

    With ``replace``, the same transaction first drops the schema ``public`` with everything
    in it, so tables the dump does not have do not linger next to the restored ones.
    """
    pg_restore, psql = find_tool("pg_restore"), find_tool("psql")
    conninfo, env = _conninfo(url)
    script = subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump_file)],
        env=env, capture_output=True,
    )  # fmt: skip
    if script.returncode != 0:
        err = script.stderr.decode("utf-8", "replace").strip()
        raise BackupError(f"pg_restore could not read the dump: {err}")
    prefix = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n" if replace else b""
    _run(
        [psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
         f"--dbname={conninfo}"],
        env, "psql (restoring the dump)", input=prefix + script.stdout,
    )  # fmt: skip
