"""The simulated users of the multi-worker test and bench: eight demo users, each a thread
with its own HTTP session, working through the real card forms (CSRF token, the version the
card was opened at) until a deadline.

* managers (``manager1``..``manager5``) create clients, invoices with lines, and edit their
  clients' and invoices' notes;
* ``director`` edits the notes of the managers' busiest clients — the same rows the managers
  edit, so stale saves happen;
* ``accountant`` records payments and edits the notes of recent invoices (again shared rows);
* ``viewer`` reads the lists.

Every save is kept as a :class:`Save`: which record, the version the card was opened at, and
the answer (302 saved, 409 refused as stale). The test then checks that no two accepted saves
of one record started from the same version — that would be a lost update.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from tests.multiworker import Session, record_id

USERS = ["director", "manager1", "manager2", "manager3", "manager4", "manager5", "accountant",
         "viewer"]  # fmt: skip


@dataclass(frozen=True)
class Save:
    table: str
    record: int
    base_version: int
    status: int
    #: The notes text this save wrote (unique per save).
    text: str


@dataclass
class Shared:
    """What the users know of each other's work (ids of what they created), and results."""

    products: list[int]
    clients: dict[str, list[int]] = field(default_factory=dict)
    invoices: dict[str, list[int]] = field(default_factory=dict)
    saves: list[Save] = field(default_factory=list)
    creates: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, login: str, rid: int) -> None:
        with self.lock:
            getattr(self, kind).setdefault(login, []).append(rid)
            self.creates[kind] = self.creates.get(kind, 0) + 1

    def hot(self, kind: str, rnd: random.Random, login: str | None = None) -> int | None:
        """One of the first two records of ``login`` (or of anyone): the busy rows."""
        with self.lock:
            pools = [getattr(self, kind).get(login, [])] if login else getattr(self, kind).values()
            ids = [i for pool in pools for i in pool[:2]]
        return rnd.choice(ids) if ids else None


class SimUser(threading.Thread):
    """One user working until ``deadline`` (``time.monotonic()``) or until ``stop`` is set."""

    def __init__(self, base: str, login: str, shared: Shared, deadline: float, seed: int,
                 stop: threading.Event | None = None):  # fmt: skip
        super().__init__(name=f"user-{login}", daemon=True)
        self.login, self.shared, self.deadline = login, shared, deadline
        self.session = Session(base)
        self.rnd = random.Random(seed)
        self.stop_event = stop or threading.Event()
        self.error: BaseException | None = None
        self.steps = 0
        #: ``time.perf_counter()`` when this user stopped working.
        self.finished = 0.0

    def run(self) -> None:
        try:
            if not any(c.name == "uchet_session" for c in self.session.jar):
                self.session.login(self.login)
            while time.monotonic() < self.deadline and not self.stop_event.is_set():
                self.step()
                self.steps += 1
        except BaseException as e:  # reported by the test, never swallowed
            self.error = e
        finally:
            self.finished = time.perf_counter()

    # -- what each role does ---------------------------------------------------------------
    def step(self) -> None:
        roll = self.rnd.random()
        if self.login.startswith("manager"):
            if roll < 0.2 or not self.shared.clients.get(self.login):
                self.create_client()
            elif roll < 0.45:
                self.create_invoice()
            elif roll < 0.75:
                self.edit("clients", self.shared.hot("clients", self.rnd, self.login))
            else:
                self.edit("invoices", self.shared.hot("invoices", self.rnd, self.login))
        elif self.login == "director":
            self.edit("clients", self.shared.hot("clients", self.rnd))
        elif self.login == "accountant":
            if roll < 0.5:
                self.pay(self.shared.hot("invoices", self.rnd))
            else:
                self.edit("invoices", self.shared.hot("invoices", self.rnd))
        else:
            page = self.rnd.choice(["/clients/", "/invoices/", "/payments/", "/work/"])
            self.session.request(page)

    def unique(self) -> str:
        return f"{self.login}-{self.steps}-{self.rnd.randrange(10**9)}"

    def create_client(self) -> None:
        form = self.session.open_card("/clients/new/")
        assert form is not None, "the new client card did not open"
        form |= {"kind": "company", "name": f"ООО Нагрузка {self.unique()}",
                 "_continue_editing": "1"}  # fmt: skip
        answer = self.session.request("/clients/new/", form)
        assert answer.status == 302, f"{self.login}: new client answered {answer.status}"
        self.shared.add("clients", self.login, record_id(answer.headers["Location"]))

    def create_invoice(self) -> None:
        client = self.shared.hot("clients", self.rnd, self.login)
        form = self.session.open_card("/invoices/new/")
        assert form is not None and client is not None
        form |= {"client": str(client), "notes": "", "_continue_editing": "1"}
        answer = self.session.request("/invoices/new/", form)
        assert answer.status == 302, f"{self.login}: new invoice answered {answer.status}"
        invoice = record_id(answer.headers["Location"])
        for _ in range(self.rnd.randint(1, 3)):
            line = self.session.open_card(f"/invoice_lines/new/?invoice={invoice}")
            assert line is not None
            line |= {
                "invoice": str(invoice),
                "product": str(self.rnd.choice(self.shared.products)),
                "quantity": str(self.rnd.randint(1, 5)),
                "unit_price": str(Decimal(self.rnd.randint(100, 99999)) / 100),
            }
            saved = self.session.request("/invoice_lines/new/", line)
            assert saved.status == 302, f"{self.login}: invoice line answered {saved.status}"
        self.shared.add("invoices", self.login, invoice)

    def pay(self, invoice: int | None) -> None:
        if invoice is None:
            return self.idle()
        form = self.session.open_card(f"/payments/new/?invoice={invoice}")
        assert form is not None
        form |= {"invoice": str(invoice), "amount": str(self.rnd.randint(1, 500)),
                 "method": form.get("method") or "bank"}  # fmt: skip
        answer = self.session.request("/payments/new/", form)
        assert answer.status == 302, f"{self.login}: new payment answered {answer.status}"

    def idle(self) -> None:
        """Nothing to work on yet: look at a list instead (never a busy loop)."""
        self.session.request("/clients/")

    def edit(self, table: str, rid: int | None) -> None:
        """Open the card, think a little, write unique notes and save: 302 or a 409."""
        if rid is None:
            return self.idle()
        path = f"/{table}/edit/?id={rid}"
        form = self.session.open_card(path)
        assert form is not None, f"{self.login} could not open {path}"
        time.sleep(self.rnd.uniform(0.0, 0.15))  # the user types; others may save meanwhile
        text = f"правка {self.unique()}"
        answer = self.session.request(path, form | {"notes": text})
        assert answer.status in (302, 409), f"{self.login}: saving {path} -> {answer.status}"
        with self.shared.lock:
            self.shared.saves.append(
                Save(table, rid, int(form["uchet_version"]), answer.status, text)
            )
