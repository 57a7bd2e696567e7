"""Pytest plugin: a throwaway PostgreSQL server for the test session.

Register it in ``tests/conftest.py`` with ``pytest_plugins = ["tests.pg_server"]``
(or on the command line with ``-p tests.pg_server``). It provides two fixtures:

``postgresql_url`` (session scope)
    Starts a private server (``initdb`` into a temporary directory, trust
    authentication, fsync off, listening on 127.0.0.1 and a free port) and yields a
    SQLAlchemy URL string ``postgresql+psycopg://postgres@127.0.0.1:PORT/uchet_test``.
    The server is stopped and its directory removed at the end of the session.

``pg_fresh_url`` (function scope)
    Creates a new, uniquely named, empty database on that server, yields its URL and
    drops it afterwards (``WITH (FORCE)``, so open connections do not block it).

When PostgreSQL cannot be found or started, the tests that use these fixtures are
skipped, or fail when the environment variable ``CI`` is ``true``.
As root, the server runs as the ``postgres`` OS user through ``runuser``; this module
never creates OS users.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from psycopg import sql

SUPERUSER = "postgres"
SESSION_DB = "uchet_test"
START_TIMEOUT_S = 30


def _unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when running under CI (``CI=true``)."""
    message = f"PostgreSQL not available: {reason}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _find_bindir() -> Path:
    """Return the directory holding ``pg_ctl`` and ``initdb``: PATH first, then Debian's."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(os.path.realpath(on_path)).parent] if on_path else []
    debian = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]
    debian.sort(key=lambda bindir: int(bindir.parent.name) if bindir.parent.name.isdigit() else 0)
    for bindir in [*candidates, *reversed(debian)]:
        if (bindir / "initdb").exists():
            return bindir
    _unavailable("pg_ctl/initdb not found on PATH or under /usr/lib/postgresql/*/bin")


def _run_as_prefix() -> tuple[list[str], pwd.struct_passwd | None]:
    """Return the command prefix that drops root privileges, and the user it runs as."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        _unavailable(
            "running as root, and PostgreSQL refuses to run as root; "
            "no 'postgres' OS user exists to run it as (install the postgresql package)"
        )
    runuser = shutil.which("runuser")
    if runuser is None:
        _unavailable("running as root and 'runuser' was not found")
    return [runuser, "-u", user.pw_name, "--"], user


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin_execute(port: int, statement: sql.Composed) -> None:
    """Run one statement in the ``postgres`` database with autocommit."""
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(statement)


def _url(port: int, dbname: str) -> str:
    return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{dbname}"


class _Cluster:
    """A data directory in a private temporary directory, and the server running on it."""

    def __init__(self, bindir: Path, prefix: list[str], user: pwd.struct_passwd | None) -> None:
        self.bindir, self.prefix = bindir, prefix
        # Not under pytest's tmp_path: that tree is mode 0700 and owned by the
        # invoking user, so the 'postgres' user could not reach it.
        self.base = Path(tempfile.mkdtemp(prefix="uchet-pg-"))
        self.datadir, self.sockdir = self.base / "data", self.base / "sock"
        self.logfile = self.base / "server.log"
        self.sockdir.mkdir()
        if user is not None:
            for path in (self.base, self.sockdir):
                os.chown(path, user.pw_uid, user.pw_gid)

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [*self.prefix, str(self.bindir / tool), *args]
        timeout = START_TIMEOUT_S + 30
        return subprocess.run(cmd, cwd=self.base, capture_output=True, text=True, timeout=timeout)

    def log_tail(self) -> str:
        return self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""

    def initdb(self) -> None:
        result = self.run(
            "initdb", "-D", str(self.datadir), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        if result.returncode != 0:
            _unavailable(f"initdb failed (exit {result.returncode}): {result.stderr.strip()}")

    def start(self) -> int:
        """Start the server on a free port and return the port; retry if it was taken."""
        for _attempt in range(3):
            port = _free_port()
            options = (
                f"-F -h 127.0.0.1 -p {port} -k {shlex.quote(str(self.sockdir))} "
                "-c synchronous_commit=off -c full_page_writes=off "
                "-c wal_level=minimal -c max_wal_senders=0"
            )
            result = self.run(
                "pg_ctl", "start", "-D", str(self.datadir), "-w", "-t", str(START_TIMEOUT_S),
                "-l", str(self.logfile), "-o", options,
            )  # fmt: skip
            if result.returncode == 0:
                return port
            if "could not bind" not in self.log_tail():
                break
        _unavailable(f"pg_ctl start failed: {result.stderr.strip()}\n{self.log_tail()}")

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "immediate", "-w")

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgresql_server_port() -> Iterator[int]:
    """Start a throwaway PostgreSQL server and yield its TCP port on 127.0.0.1."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        _unavailable(f"psycopg is not installed ({exc})")
    bindir = _find_bindir()
    prefix, user = _run_as_prefix()
    cluster = _Cluster(bindir, prefix, user)
    try:
        cluster.initdb()
        port = cluster.start()
        try:
            yield port
        finally:
            cluster.stop()
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def postgresql_url(postgresql_server_port: int) -> str:
    """SQLAlchemy URL of a database on the throwaway server, shared by the session."""
    from psycopg import sql

    _admin_execute(
        postgresql_server_port, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SESSION_DB))
    )
    return _url(postgresql_server_port, SESSION_DB)


@contextmanager
def pg_database(port: int, template: str | None = None) -> Iterator[str]:
    """A new database (empty, or a copy of ``template``), dropped on exit."""
    from psycopg import sql

    dbname = f"uchet_t_{uuid.uuid4().hex[:16]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    _admin_execute(port, statement)
    try:
        yield _url(port, dbname)
    finally:
        _admin_execute(
            port, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


@pytest.fixture
def pg_fresh_url(postgresql_server_port: int) -> Iterator[str]:
    """SQLAlchemy URL of a new empty database, dropped after the test."""
    with pg_database(postgresql_server_port) as url:
        yield url


def pg_clone_into(port: int, url: str, template: str) -> None:
    """Replace the (empty) database of ``url`` by a copy of ``template``.

    ``CREATE DATABASE … TEMPLATE`` copies files, which is far cheaper than migrating the
    twenty CRM tables again in every test."""
    from psycopg import sql

    dbname = url.rsplit("/", 1)[1]
    _admin_execute(port, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))
    _admin_execute(
        port,
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(dbname), sql.Identifier(template)
        ),
    )


@pytest.fixture(scope="session")
def pg_crm_template(postgresql_server_port: int) -> str:
    """Name of a database holding the migrated sample CRM, to clone per test."""
    from psycopg import sql

    from uchet import Platform

    name = "uchet_template_crm"
    _admin_execute(
        postgresql_server_port, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    )
    p = Platform.open("sample_crm", database_url=_url(postgresql_server_port, name))
    p.migrate()
    p.close()
    return name
