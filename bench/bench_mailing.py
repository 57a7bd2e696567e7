"""Mass mailing throughput (issue 19): N e-mails through the outbox to a local SMTP server.

Starts an SMTP server (aiosmtpd) on 127.0.0.1 in this process, with a handler that counts
every recipient it is given, makes N people with addresses, starts a mass mailing (planning:
every recipient read through the record service and the template) and sends it with
``--workers`` sender processes at once (:class:`~uchet.platform.messaging.sender.Sender`,
each its own process and platform): claim with a lease, render, SMTP, write the result.
Prints the time of each phase, messages per second, each worker's peak memory, and what
the SMTP server received: every recipient exactly once, or how many twice or never.

``--rate R`` sets the e-mail channel's rate limit (``message_rates``) to R a second. The
limit's bucket is in the database, shared by the workers, so N workers together stay
within R (a limiter per process would let N x R through).

The e-mail channel here keeps one SMTP connection open per worker (as a production channel
should); the template is a minimal one of this bench's own (rendering cost is the
templates' side).

    PYTHONPATH=src python bench/bench_mailing.py --count 10000
    PYTHONPATH=src python bench/bench_mailing.py --count 2000 --workers 4 --rate 50 \
        --db postgresql+psycopg://postgres@127.0.0.1:5433/bench
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import smtplib
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

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


def bundle(root: Path, rate: int | None = None) -> Path:
    (root / "tables").mkdir(parents=True)
    (root / "roles").mkdir()
    settings = {"message_rates": {"email": {"count": rate, "per": 1}}} if rate else {}
    (root / "manifest.json").write_text(json.dumps({
        "name": "bench", "version": "1", "title": "Bench", "locales": ["ru"],
        "default_locale": "ru", "settings": settings}))  # fmt: skip
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


class Counting:
    """An aiosmtpd handler that keeps how many times each address was sent to."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.times: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.update(envelope.rcpt_tos)
            self.times.append(time.perf_counter())
        return "250 OK"


def worker(url: str, root: str, port: int, mailing: int, out: Any) -> None:
    """One sender process: send the mailing's rows until none is left for anyone."""
    p = Platform.open(Path(root), database_url=url, plugins=[Plugin(port)])
    sender = Sender(p.runtime, batch=20)
    totals = {"sent": 0, "failed": 0, "retried": 0, "deferred": 0}
    while True:
        report = sender.deliver(mailing_id=mailing)
        for key in ("sent", "failed", "retried"):
            totals[key] += getattr(report, key)
        progress = Mailings(p.runtime).progress(mailing)
        if not progress.get("queued") and not progress.get("sending"):
            break
        if report.deferred_until is not None:  # the shared bucket is empty: wait for it
            totals["deferred"] += 1
            time.sleep(0.05)
        elif not report.sent:  # the rest is claimed by the other workers
            time.sleep(0.05)
    totals["rss_mb"] = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out.put(totals)
    p.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    parser.add_argument("--workers", type=int, default=1, help="sender processes at once")
    parser.add_argument("--rate", type=int, default=None, help="e-mails a second, shared")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_mailing_"))
    handler = Counting()
    server = Controller(handler, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        root = bundle(tmp / "bundle", args.rate)
        p = Platform.open(root, database_url=url, plugins=[Plugin(server.port)])
        p.migrate()
        user = p.users.create("sender", "bench-pass-1", roles=["sender"])
        t0 = time.perf_counter()
        ids = p.records("people", user=SYSTEM).create_many(
            [{"name": f"Клиент {i}", "email": f"c{i}@example.test"} for i in range(args.count)]
        )
        t1 = time.perf_counter()
        mailing = Mailings(p.runtime).start("news", user, [int(i) for i in ids])
        t2 = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        procs = [ctx.Process(target=worker, args=(url, str(root), server.port, mailing, out))
                 for _ in range(args.workers)]  # fmt: skip
        for proc in procs:
            proc.start()
        reports = [out.get(timeout=3600) for _ in procs]
        for proc in procs:
            proc.join()
        t3 = time.perf_counter()
        progress = Mailings(p.runtime).progress(mailing)
        sent = sum(r["sent"] for r in reports)
        twice = sum(1 for n in handler.received.values() if n > 1)
        never = args.count - len(handler.received)
        print(f"database: {p.engine.dialect.name}; messages: {args.count}; "
              f"workers: {args.workers}; rate limit: {args.rate or 'none'}/s")  # fmt: skip
        print(f"create {args.count} people: {t1 - t0:.1f} s")
        print(f"plan + enqueue the mailing: {t2 - t1:.1f} s ({args.count / (t2 - t1):.0f} rows/s)")
        print(
            f"send: {t3 - t2:.1f} s, {sent / (t3 - t2):.1f} messages/s (sent {sent}, failed "
            f"{sum(r['failed'] for r in reports)}, retried {sum(r['retried'] for r in reports)})"
        )
        print(
            f"per worker: sent {[r['sent'] for r in reports]}, passes deferred by the limit "
            f"{[r['deferred'] for r in reports]}, peak RSS {[r['rss_mb'] for r in reports]} MB"
        )
        print(
            f"SMTP server: {sum(handler.received.values())} messages to "
            f"{len(handler.received)} addresses; twice: {twice}; never: {never}"
        )
        if args.rate and len(handler.times) > 2 * args.rate:
            # After the full bucket's first burst, the rate the workers kept together.
            steady = handler.times[args.rate :]
            rate = (len(steady) - 1) / (steady[-1] - steady[0])
            print(f"after the first {args.rate} (the full bucket): {rate:.1f} messages/s "
                  f"against a limit of {args.rate}/s")  # fmt: skip
        print(f"outbox: {progress}")
        p.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
