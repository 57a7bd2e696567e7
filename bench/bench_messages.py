"""Message rendering and SMTP sending throughput (issue 19).

Run:  PYTHONPATH=src python bench/bench_messages.py [--clients 2000] [--db /tmp/msg.db]

On the sample CRM (SQLite) with ``--clients`` clients of one manager, it measures, as that
manager (row rules and field rights apply):

* ``prepare()`` of a template (compile once per mailing);
* ``recipient()`` + ``render()`` per record, for the text birthday e-mail, the HTML invoice
  e-mail without its attachment, and the SMS reminder;
* the invoice e-mail *with* its print form attached (a .docx rendered per message);
* sending over SMTP to a local aiosmtpd server, one connection per message (as the channel
  does), in messages per second.

A benchmark, not a test: the numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import statistics
import time
from pathlib import Path
from typing import Any

from uchet import SYSTEM, Platform
from uchet.platform.features.mailer import SmtpSettings
from uchet.platform.messaging.channels_email import EmailChannel
from uchet.printeditor.messages import prepare


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(label: str, ids: list[int], fn: Any) -> None:
    times = []
    start = time.perf_counter()
    for rid in ids:
        t = time.perf_counter()
        fn(rid)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    p50 = statistics.median(times) * 1000
    print(f"{label:<48} {len(ids):>6} msgs  {len(ids) / total:8.0f}/s  p50 {p50:6.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--db", default="/tmp/uchet-bench-messages.db")
    args = ap.parse_args()
    Path(args.db).unlink(missing_ok=True)
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{args.db}")
    platform.migrate()
    anna = platform.users.create("anna", "secret-pass-1", name="Анна", roles=["manager"])
    clients = platform.records("clients", user=SYSTEM)
    ids = clients.create_many(
        [{"name": f"Клиент {i}", "email": f"c{i}@example.test", "phone": f"+7999{i:07d}",
          "city": "Тверь", "manager": anna.id} for i in range(args.clients)]
    )  # fmt: skip
    invoices = platform.records("invoices", user=SYSTEM).create_many(
        [{"number": f"С-{i}", "date": dt.date(2026, 3, 5), "client": cid}
         for i, cid in enumerate(ids[:500])]
    )  # fmt: skip
    events = platform.records("events", user=SYSTEM).create_many(
        [{"client": cid, "subject": "Визит", "happened_at": dt.datetime(2026, 3, 6, 9, 0)}
         for cid in ids[:500]]
    )  # fmt: skip
    t = time.perf_counter()
    for _ in range(100):
        prepare(platform, "birthday", anna)
    print(f"prepare() of a template: {(time.perf_counter() - t) * 10:.2f} ms")

    birthday = prepare(platform, "birthday", anna)
    timed("birthday e-mail (text): recipient + render", ids,
          lambda r: (birthday.recipient(r), birthday.render(r)))  # fmt: skip
    invoice = prepare(platform, "invoice", anna)
    timed("invoice e-mail (HTML), no attachment", invoices,
          lambda r: invoice.render(r, attach=False))  # fmt: skip
    timed("invoice e-mail with the .docx attached", invoices[:100], invoice.render)
    sms = prepare(platform, "event_reminder", anna)
    timed("SMS reminder: recipient + render", events,
          lambda r: (sms.recipient(r), sms.render(r)))  # fmt: skip

    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    port = _free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = EmailChannel(lambda: SmtpSettings(host="127.0.0.1", port=port))
        messages = {r: birthday.render(r) for r in ids[:500]}
        timed("SMTP send to 127.0.0.1 (a connection each)", ids[:500],
              lambda r: channel.send(messages[r]))  # fmt: skip
    finally:
        controller.stop()
    platform.close()


if __name__ == "__main__":
    main()
