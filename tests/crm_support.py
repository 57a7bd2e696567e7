"""Helpers of the CRM tests: staff users and a fake SMTP server on 127.0.0.1."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@pytest.fixture
def staff(platform: Any) -> dict[str, Any]:
    """Two managers, an accountant, a viewer and an administrator."""
    users = platform.users
    return {
        "anna": users.create(
            "anna", "secret-pass-1", name="Анна", roles=["manager"], email="anna@example.test"
        ),
        "boris": users.create(
            "boris", "secret-pass-2", name="Борис", roles=["manager"], email="boris@example.test"
        ),
        "alla": users.create("alla", "secret-pass-3", name="Алла", roles=["accountant"]),
        "vera": users.create("vera", "secret-pass-4", name="Вера", roles=["viewer"]),
        "admin": users.create("admin", "secret-pass-5", name="Админ", roles=["main"]),
    }


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def _send(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._send("220 fake ESMTP")
        message: dict[str, Any] = {"to": []}
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            cmd = raw.decode(errors="replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._send("250 fake")
            elif verb == "MAIL":
                message = {"from": cmd[10:], "to": []}
                self._send("250 OK")
            elif verb == "RCPT":
                message["to"].append(cmd[8:])
                self._send("250 OK")
            elif verb == "DATA":
                self._send("354 go on")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line)
                message["data"] = b"".join(lines).decode("utf-8", errors="replace")
                self.server.messages.append(message)  # type: ignore[attr-defined]
                self._send("250 queued")
            elif verb == "QUIT":
                self._send("221 bye")
                return
            else:
                self._send("250 OK")


@contextmanager
def fake_smtp() -> Iterator[Any]:
    """A fake SMTP server on 127.0.0.1; yields it (``.messages``, ``.server_address``)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
