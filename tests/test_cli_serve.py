"""Serving uchet: ``uchet serve`` for development, gunicorn for production (docs/deploy.md).

The servers run as real subprocesses on a free loopback port and are spoken to over HTTP.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web_support import PASSWORD, csrf, skip_or_fail

import uchet
from uchet import Platform
from uchet.web import create_app

SRC = Path(uchet.__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this checkout's code, unbuffered output."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("UCHET_")}
    out["PYTHONPATH"] = os.pathsep.join([str(SRC), out.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out["PYTHONUNBUFFERED"] = "1"
    out.update(extra)
    return out


class Server:
    """A child process serving HTTP; its output is collected line by line."""

    def __init__(self, args: list[str], cwd: Path, environ: dict[str, str], port: int):
        self.port = port
        self.proc = subprocess.Popen(args, cwd=cwd, env=environ, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for_line(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.output.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        pytest.fail(f"no line matching {pattern!r}; output:\n{''.join(self.output)}")

    def wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            assert self.proc.poll() is None, f"the server exited: {''.join(self.output)}"
            time.sleep(0.1)
        pytest.fail("the server did not start listening")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class Browser:
    """Just enough of a browser over ``http.client``: one cookie jar, no redirects followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            from urllib.parse import urlencode

            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = response_of(conn.getresponse())
        conn.close()
        for cookie in response["set_cookie"]:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response

    def login(self, login: str, password: str) -> Any:
        token = csrf(self.request("GET", "/login")["text"])
        return self.request("POST", "/login", {"login": login, "password": password,
                                                "csrf_token": token})  # fmt: skip


def response_of(r: http.client.HTTPResponse) -> dict[str, Any]:
    return {
        "status": r.status,
        "location": r.getheader("Location"),
        "set_cookie": r.headers.get_all("Set-Cookie") or [],
        "text": r.read().decode("utf-8", "replace"),
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()


def test_uchet_serve_initialises_a_new_database_and_prints_url_and_login(
    tmp_path: Path, served: list[Server]
) -> None:
    port = free_port()
    server = Server([sys.executable, "-m", "uchet.cli", "serve", "--port", str(port)],
                    tmp_path, env(), port)  # fmt: skip
    served.append(server)
    url = server.wait_for_line(r"running at (http://\S+)").group(1)
    assert url == f"http://127.0.0.1:{port}/"
    printed = "".join(server.output)
    assert "Initialised the database at version 1" in printed
    assert (tmp_path / "uchet.db").exists()  # the default database, in the current directory
    login, password = server.wait_for_line(r"Log in as: (\S+)\s+password: (\S+)").groups()
    server.wait_listening()
    browser = Browser(port)
    r = browser.request("GET", "/")
    assert r["status"] == 302 and r["location"].endswith("/login")
    assert browser.login(login, "wrong")["status"] == 401
    r = browser.login(login, password)
    assert r["status"] == 302, r["text"][:500]
    home = browser.request("GET", "/")
    assert home["status"] == 200 and "/clients/" in home["text"]


def test_uchet_serve_on_an_initialised_database_prints_no_password(
    tmp_path: Path, served: list[Server]
) -> None:
    db = f"sqlite:///{tmp_path}/ready.db"
    platform = Platform.open("sample_crm", database_url=db)
    platform.migrate()
    platform.close()
    port = free_port()
    server = Server([sys.executable, "-m", "uchet.cli", "serve", "--port", str(port)],
                    tmp_path, env(UCHET_DATABASE_URL=db), port)  # fmt: skip
    served.append(server)
    server.wait_for_line(r"running at")
    server.wait_for_line(r"existing account")
    assert "password" not in "".join(server.output)


# -- create_app() configured by the environment -----------------------------------------------
def test_create_app_without_arguments_reads_the_environment(
    web_platform: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UCHET_DATABASE_URL", db_url)
    monkeypatch.setenv("UCHET_CONFIG", "sample_crm")
    monkeypatch.setenv("UCHET_SECRET_KEY", "from-the-environment-" + "e" * 16)
    monkeypatch.setenv("UCHET_SECURE_COOKIES", "1")
    monkeypatch.setenv("UCHET_IDLE_MINUTES", "7")
    monkeypatch.setenv("UCHET_PROXIES", "1")
    app = create_app()
    admin = app.extensions["uchet"]
    try:
        assert admin.platform.engine.url.render_as_string(hide_password=False) == db_url
        settings = admin.settings
        assert settings.secret_key == "from-the-environment-" + "e" * 16
        assert settings.secure_cookies and settings.idle_minutes == 7 and settings.proxies == 1
        client = app.test_client()
        r = client.get("/login")
        assert r.status_code == 200
        cookie = r.headers["Set-Cookie"]
        assert cookie.startswith("uchet_session=") and "Secure" in cookie
        # Behind one proxy, its X-Forwarded-* headers are trusted (ProxyFix).
        r = client.get("/clients/", headers={"X-Forwarded-Prefix": "/office",
                                             "X-Forwarded-Proto": "https"})  # fmt: skip
        assert r.status_code == 302 and r.location.startswith("/office/login?next=")
    finally:
        admin.platform.close()


def test_settings_from_arguments_override_the_environment(
    web_platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UCHET_SECURE_COOKIES", "1")
    monkeypatch.setenv("UCHET_IDLE_MINUTES", "not-a-number")
    with pytest.raises(ValueError, match="UCHET_IDLE_MINUTES"):
        create_app(web_platform)
    app = create_app(web_platform, secure_cookies=False, idle_minutes=5, secret_key="k" * 32)
    settings = app.extensions["uchet"].settings
    assert not settings.secure_cookies and settings.idle_minutes == 5
    # Without UCHET_PROXIES no forwarded header is believed.
    r = app.test_client().get("/clients/", headers={"X-Forwarded-Prefix": "/evil"})
    assert r.location.startswith("/login")


# -- gunicorn ----------------------------------------------------------------------------------
def test_gunicorn_workers_serve_and_all_pick_up_a_new_version(
    web_platform: Any, db_url: str, tmp_path: Path, served: list[Server]
) -> None:
    if shutil.which("gunicorn") is None and not _importable("gunicorn"):
        skip_or_fail("gunicorn is not installed (pip install -e '.[server]')")
    port = free_port()
    environ = env(
        UCHET_DATABASE_URL=db_url,
        UCHET_CONFIG="sample_crm",
        UCHET_SECRET_KEY="gunicorn-secret-" + "g" * 20,
        UCHET_SECURE_COOKIES="0",
    )
    args = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
            "uchet.web:create_app()"]  # fmt: skip
    server = Server(args, tmp_path, environ, port)
    served.append(server)
    server.wait_for_line(r"Booting worker")
    server.wait_listening()
    browser = Browser(port)
    assert browser.request("GET", "/")["status"] == 302
    assert browser.login("admin", PASSWORD)["status"] == 302
    url = "/clients/?cols=name,bonus"
    assert 'data-field="bonus"' not in browser.request("GET", url)["text"]

    # `uchet migrate` elsewhere: a configuration with one more field.
    bundle = tmp_path / "crm_bonus"
    shutil.copytree(SRC / "uchet" / "sample_crm", bundle)
    clients = bundle / "tables" / "clients.json"
    data = json.loads(clients.read_text(encoding="utf-8"))
    data["fields"].append({"id": "clients.bonus", "name": "bonus", "type": "integer",
                           "label": {"en": "Bonus"}})  # fmt: skip
    clients.write_text(json.dumps(data), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "uchet.cli", "migrate", "--config", str(bundle)],
        env=env(UCHET_DATABASE_URL=db_url), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr

    # Each request goes to whichever worker accepts it; all must show the field soon.
    # A generous bound so a broken reload fails instead of hanging; the time is not asserted.
    deadline, streak = time.monotonic() + 120, 0
    while streak < 8:
        if time.monotonic() > deadline:
            pytest.fail("the workers did not all pick up the new version")
        page = browser.request("GET", url)
        assert page["status"] == 200
        streak = streak + 1 if 'data-field="bonus"' in page["text"] else 0
        time.sleep(0.05)


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_every_environment_variable_is_documented() -> None:
    """Each ``UCHET_*`` variable the code reads is described in docs/deploy.md."""
    used = set()
    for path in (SRC / "uchet").rglob("*.py"):
        used |= set(re.findall(r"\bUCHET_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    deploy = (SRC.parent / "docs" / "deploy.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\| `(UCHET_[A-Z_]+)` \|", deploy))
    assert used, "no UCHET_ variables found in the code"
    # A family named by its prefix (``UCHET_SMS_*`` in a docstring) is documented by its members.
    used = {v for v in used if not v.endswith("_") or not any(d.startswith(v) for d in documented)}
    assert not used - documented, f"docs/deploy.md does not describe: {sorted(used - documented)}"
