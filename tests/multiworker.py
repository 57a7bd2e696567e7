"""Many processes on one PostgreSQL, driven over real HTTP (issue 20 point 3): the harness of
tests/test_multiworker_pg.py and bench/bench_multiworker.py.

:class:`Site` starts gunicorn with N sync workers (``tests/multiworker_app.py``: uchet's
``create_app()`` that also names the serving pid in ``X-Worker-Pid``) and any number of
``uchet worker`` processes, all on one database. :class:`Session` is one browser: a cookie jar,
the login form with its CSRF token, card forms read from their page and posted back as a
browser would (the version the card was opened at included, so a stale save is refused).
The simulated users themselves live in :mod:`tests.multiworker_users`.
"""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-pass-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_pids(parent: int) -> set[int]:
    """The processes whose parent is ``parent`` (gunicorn's workers), from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.add(int(entry.name))
    return found


@dataclass
class Site:
    """gunicorn (``web_workers`` sync workers) and ``job_workers`` ``uchet worker``
    processes on the database ``url``; logs go to ``folder``."""

    url: str
    folder: Path
    web_workers: int = 4
    job_workers: int = 2
    lease: float = 5.0
    port: int = field(default_factory=free_port)
    gunicorn: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        path = os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])
        return {
            **os.environ,
            "PYTHONPATH": path,
            "UCHET_DATABASE_URL": self.url,
            "UCHET_CONFIG": "sample_crm",
            "UCHET_SECRET_KEY": "multiworker-" + "k" * 32,
            "UCHET_PLUGINS": "tests.multiworker_plugin",
            # Eight users from one address: the API-style limits are per process anyway.
            "UCHET_API_RATE_LIMIT": "",
        }

    def start_web(self) -> None:
        log = open(self.folder / "gunicorn.log", "wb")  # noqa: SIM115 (lives with the process)
        self.gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(self.web_workers),
             "-b", f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "5",
             "tests.multiworker_app:app"],
            env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log("gunicorn.log"))
            try:
                status, _, _ = Session(self.base).get("/login")
                if status == 200 and len(self.web_pids()) == self.web_workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer:\n" + self.log("gunicorn.log"))

    def web_pids(self) -> set[int]:
        assert self.gunicorn is not None
        return child_pids(self.gunicorn.pid)

    def start_job_worker(self, interval: float = 0.2) -> subprocess.Popen[bytes]:
        index = len(self.workers)
        log = open(self.folder / f"worker{index}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "uchet.cli", "worker", "--interval", str(interval),
             "--lease", str(self.lease)],
            env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.workers.append(proc)
        return proc

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop every process this site started (TERM, then KILL after 10 s)."""
        procs = [p for p in [self.gunicorn, *self.workers] if p is not None]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 is an answer to look at, as the test client gives it


@dataclass
class Answer:
    status: int
    headers: Any
    text: str
    seconds: float


class Session:
    """One user's browser: cookies, forms with CSRF tokens, no automatic redirects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.answers: list[Answer] = []

    def request(self, path: str, data: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as r:
                status, headers, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, e.headers, e.read()
        answer = Answer(status, headers, raw.decode("utf-8", "replace"),
                        time.perf_counter() - started)  # fmt: skip
        self.answers.append(answer)
        return answer

    def get(self, path: str) -> tuple[int, Any, str]:
        a = self.request(path)
        return a.status, a.headers, a.text

    def login(self, login: str, password: str = DEMO_PASSWORD) -> None:
        page = self.request("/login")
        token = form_fields(page.text, "//form")["csrf_token"]
        answer = self.request("/login", {"login": login, "password": password,
                                         "csrf_token": token})  # fmt: skip
        if answer.status != 302:
            raise RuntimeError(f"login of {login} answered {answer.status}")

    def open_card(self, path: str) -> dict[str, str] | None:
        """The card form at ``path`` as a browser would post it, or None if not 200."""
        page = self.request(path)
        if page.status != 200:
            return None
        return form_fields(page.text, "//form[contains(@class,'uchet-card')]")


def form_fields(html: str, xpath: str) -> dict[str, str]:
    """What a browser posts from the first form matching ``xpath``, as it is shown."""
    form = lxml.html.fromstring(html).xpath(xpath)[0]
    data: dict[str, str] = {}
    for el in form.xpath(".//input|.//select|.//textarea"):
        name, kind = el.get("name"), el.get("type")
        if not name or kind == "file" or (kind == "checkbox" and el.get("checked") is None):
            continue
        if kind == "checkbox":
            data[name] = el.get("value") or "y"
        elif el.tag == "select":
            chosen = el.xpath(".//option[@selected]")
            data[name] = chosen[0].get("value") if chosen else ""
        elif el.tag == "textarea":
            data[name] = el.text or ""
        else:
            data[name] = el.get("value") or ""
    return data


def record_id(location: str) -> int:
    """The record id of a card's address (``/invoices/edit/?id=7``)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    return int(query["id"][0])


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0
