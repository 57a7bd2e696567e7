"""Mass mailing throughput (issue 19): N e-mails through the outbox to a local SMTP server.

Starts aiosmtpd (its ``Sink`` handler) in a subprocess on 127.0.0.1, makes N people with
addresses, starts a mass mailing (planning: every recipient read through the record service
and the template) and sends it with :class:`~uchet.platform.messaging.sender.Sender` in
this process: claim with a lease, render, SMTP, write the result. Prints the time of each
phase, messages per second and this (worker) process's peak memory.

The e-mail channel here keeps one SMTP connection open (as a production channel should);
the template is a minimal one of this bench's own (rendering cost is the templates' side).

    PYTHONPATH=src python bench/bench_mailing.py --count 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from uchet import SYSTEM, Platform, hookimpl
from uchet.platform.messaging.contract import (
    ChannelRegistry,
    DeliveryResult,
    OutgoingMessage,
    Recipient,
)
from uchet.platform.messaging.mailings import Mailings
from uchet.platform.messaging.sender import Sender
from uchet.platform.records.service import RecordService


def bundle(root: Path) -> Path:
    (root / "tables").mkdir(parents=True)
    (root / "roles").mkdir()
    (root / "manifest.json").write_text(json.dumps({
        "name": "bench", "version": "1", "title": "Bench", "locales": ["ru"],
        "default_locale": "ru"}))  # fmt: skip
    fields = [("name", "string"), ("email", "email"), ("off", "boolean"), ("manager", "user")]
    table = {
        "id": "people",
        "name": "people",
        "label": {"ru": "Люди"},
        "fields": [
            {"id": f"people.{n}", "name": n, "type": t, "label": {"ru": n}} for n, t in fields
        ],
    }
    (root / "tables" / "people.json").write_text(json.dumps([table]))
    (root / "roles" / "roles.json").write_text(json.dumps([{
        "id": "sender", "name": "sender", "label": {"ru": "Отправитель"},
        "tables": {"people": {"read": True, "mail": True}}}]))  # fmt: skip
    return root


class Template:
    table = "people"

    def __init__(self, rt: Any, user: Any, name: str):
        self.rt, self.user, self.name, self.channel = rt, user, name, "email"
        self.records = RecordService(rt, "people", user)

    def recipient(self, record_id: int) -> Recipient:
        r = self.records.get(record_id)
        return Recipient(
            record_id=record_id,
            name=r["name"],
            address=r["email"],
            opted_out=bool(r["off"]),
            opt_out_target=("people", record_id, "off"),
        )

    def render(
        self, record_id: int, *, to: str | None = None, headers: Mapping[str, str] | None = None
    ) -> OutgoingMessage:
        r = self.records.get(record_id)
        return OutgoingMessage(
            channel="email",
            to=to or r["email"],
            subject=f"Новости для {r['name']}",
            body_text=f"Здравствуйте, {r['name']}!\n\nУ нас новости.",
            headers=dict(headers or {}),
        )


class KeptSmtp:
    """An e-mail channel over one kept SMTP connection (reconnects when it drops)."""

    name = "email"

    def __init__(self, port: int):
        self.port, self.smtp = port, None

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "crm@example.test", message.to, message.subject
        for k, v in message.headers.items():
            mail[k] = v
        mail.set_content(message.body_text)
        for _ in range(2):
            try:
                if self.smtp is None:
                    self.smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
                self.smtp.send_message(mail)
                return DeliveryResult(outcome="sent")
            except (smtplib.SMTPServerDisconnected, OSError):
                self.smtp = None
        return DeliveryResult(outcome="retry", reason="connection lost")


class Plugin:
    def __init__(self, port: int):
        self.channel = KeptSmtp(port)

    @hookimpl
    def uchet_prepare_message_template(self, runtime: Any, name: str, user: Any) -> Any:
        return Template(runtime, user, name)

    @hookimpl
    def uchet_register_message_channels(self, registry: ChannelRegistry) -> None:
        registry.register(self.channel)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_mailing_"))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        url = args.db or f"sqlite:///{tmp}/bench.db"
        p = Platform.open(bundle(tmp / "bundle"), database_url=url, plugins=[Plugin(port)])
        p.migrate()
        user = p.users.create("sender", "bench-pass-1", roles=["sender"])
        t0 = time.perf_counter()
        ids = p.records("people", user=SYSTEM).create_many(
            [{"name": f"Клиент {i}", "email": f"c{i}@example.test"} for i in range(args.count)]
        )
        t1 = time.perf_counter()
        mailing = Mailings(p.runtime).start("news", user, [int(i) for i in ids])
        t2 = time.perf_counter()
        report = Sender(p.runtime, batch=100).deliver(mailing_id=mailing)
        t3 = time.perf_counter()
        progress = Mailings(p.runtime).progress(mailing)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database: {p.engine.dialect.name}; messages: {args.count}")
        print(f"create {args.count} people: {t1 - t0:.1f} s")
        print(f"plan + enqueue the mailing: {t2 - t1:.1f} s ({args.count / (t2 - t1):.0f} rows/s)")
        print(
            f"send: {t3 - t2:.1f} s, {report.sent / (t3 - t2):.0f} messages/s "
            f"(sent {report.sent}, failed {report.failed}, retried {report.retried})"
        )
        print(f"outbox: {progress}")
        print(f"worker peak memory (RSS): {peak_mb:.0f} MB")
        p.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
