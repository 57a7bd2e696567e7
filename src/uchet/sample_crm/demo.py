"""Demo data for the sample CRM: realistic, deterministic Russian-language records.

``uchet init --demo [--clients N] [--seed S]`` calls the ``uchet_demo_data`` hook; this
plugin answers it for the ``sample_crm`` configuration only. Everything goes through the
record service (``create_many``), so validation, numbering, defaults from references,
search terms and notification rules apply to demo data as to real data. Clients are
streamed in batches, so a million of them never sit in memory as records; work, events and
documents grow with the staff and the months, not with the number of clients.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

from uchet.hookspecs import hookimpl
from uchet.platform.features.derive import derive
from uchet.platform.fieldtypes import FileValue
from uchet.platform.model.errors import DataPresent
from uchet.platform.records.users import SYSTEM

BATCH = 5000
DEMO_PASSWORD = "demo-pass-1"
MONTHS = 6


#: Word lists the data is made of (names, cities, products...), kept as data.
_WORDS = json.loads(
    (resources.files("uchet") / "sample_crm" / "demo_data" / "words.json").read_text("utf-8")
)
CITIES = [tuple(c) for c in _WORDS["cities"]]
STREETS, MALE, FEMALE = _WORDS["streets"], _WORDS["male"], _WORDS["female"]
SURNAMES, PATRONYMICS = _WORDS["surnames"], _WORDS["patronymics"]
WORDS, TRADES, FORMS, POSITIONS = (
    _WORDS["words"],
    _WORDS["trades"],
    _WORDS["forms"],
    _WORDS["positions"],
)
BANKS = [tuple(b) for b in _WORDS["banks"]]
PRODUCTS = [
    (kind, category, [tuple(i) for i in items]) for kind, category, items in _WORDS["products"]
]
WORK_TITLES, EVENT_SUBJECTS = _WORDS["work_titles"], _WORDS["event_subjects"]
STAFF = [tuple(s) for s in _WORDS["staff"]]
ORDER_SUBJECTS = _WORDS["order_subjects"]
#: The demo's own company: details and pictures for the bundled print forms.
_DEMO_DATA = resources.files("uchet") / "sample_crm" / "demo_data"
DEMO_COMPANY = json.loads((_DEMO_DATA / "company.json").read_text("utf-8"))


class Demo:
    """One demo load: a random generator seeded once, so a seed always gives the same data."""

    def __init__(self, platform: Any, clients: int, seed: int, echo: Callable[[str], None]):
        self.p, self.n, self.echo = platform, clients, echo
        self.rnd = random.Random(seed)
        self.today = dt.date.today()
        self.counts: dict[str, int] = {}

    # -- helpers -----------------------------------------------------------------------------
    def ids(self, table: str) -> list[int]:
        """Ids of the (seeded) rows of a directory table, in their order."""
        return [r["id"] for r in self.p.records(table, user=SYSTEM).query(limit=1000).rows]

    def load(self, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows through the record service and count them."""
        ids = self.p.records(table, user=SYSTEM).create_many(rows) if rows else []
        self.counts[table] = self.counts.get(table, 0) + len(ids)
        return ids

    def person(self) -> tuple[str, str, str]:
        """(surname, first name, patronymic), in the right gender."""
        r = self.rnd
        female = r.random() < 0.5
        surname = r.choice(SURNAMES) + ("а" if female else "")
        patronymic = r.choice(PATRONYMICS) + ("на" if female else "ич")
        patronymic = patronymic.replace("ьевна", "ьевна")
        return surname, r.choice(FEMALE if female else MALE), patronymic

    def phone(self, code: str | None = None) -> str:
        r = self.rnd
        code = code or f"9{r.randint(0, 99):02d}"
        n = r.randint(0, 9_999_999)
        return f"+7 ({code}) {n // 10000:03d}-{n // 100 % 100:02d}-{n % 100:02d}"

    def email(self, first: str, surname: str) -> str:
        """A plausible personal address (Latin letters, as mail servers want)."""
        return f"user{len(first)}{len(surname)}{self.rnd.randint(1, 99999)}@mail.ru"

    def digits(self, count: int) -> str:
        return "".join(str(self.rnd.randint(0, 9)) for _ in range(count))

    def moment(self, days_back: int, days_forward: int = 0) -> dt.datetime:
        day = self.today + dt.timedelta(days=self.rnd.randint(-days_back, days_forward))
        return dt.datetime.combine(
            day, dt.time(self.rnd.randint(9, 18), self.rnd.choice((0, 15, 30, 45)))
        )

    # -- the load ----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.company()
        staff = self.users()
        self.managers = [u.id for u in staff if "manager" in u.roles]
        products = self.products()
        clients = self.clients()
        self.work(clients)
        self.events(clients)
        self.documents(clients, products)
        self.notes(clients)
        self.orders(clients, products)
        return {
            "counts": self.counts,
            "seconds": round(time.monotonic() - started, 1),
            "users": [u.login for u in staff],
            "password": DEMO_PASSWORD,
        }

    def company(self) -> None:
        """Fill in "our company" (seeded with a name only): details, logo, signature, stamp."""
        values: dict[str, Any] = {
            k: v for k, v in DEMO_COMPANY.items() if not k.startswith("_") and k != "images"
        }
        for field, file_name in DEMO_COMPANY["images"].items():
            data = (_DEMO_DATA / file_name).read_bytes()
            values[field] = FileValue(file_name, data, "image/png")
        service = self.p.records("our_company", user=SYSTEM)
        rows = service.query(sort=["id"], limit=1, count=False).rows
        if rows:
            service.update(rows[0]["id"], values)
        else:
            service.create(values)
        self.counts["our_company"] = 1

    def users(self) -> list[Any]:
        store, found = self.p.users, []
        for login, name, role in STAFF:
            user = store.find(login) or store.create(
                login, DEMO_PASSWORD, name=name, roles=[role], email=f"{login}@example.ru"
            )
            found.append(user)
        return found

    def products(self) -> list[tuple[int, Decimal]]:
        categories = dict(
            zip(
                [r["name"] for r in self.p.records("product_categories", user=SYSTEM).query().rows],
                self.ids("product_categories"),
            )
        )
        rows: list[dict[str, Any]] = []
        for kind, category, items in PRODUCTS:
            for i, (name, price) in enumerate(items):
                rows.append(
                    {
                        "kind": kind,
                        "name": name,
                        "category": categories.get(category),
                        "unit": "усл." if kind == "service" else "шт",
                        "price": Decimal(price),
                        "sku": f"{category[:3].upper()}-{i + 1:03d}",
                        # Goods name their rate; services take the company's default (22 %).
                        "vat_rate": "22" if kind == "good" else None,
                    }
                )
        ids = self.load("products", rows)
        lists = self.load(
            "price_lists",
            [
                {"name": "Розничный", "valid_from": self.today.replace(month=1, day=1)},
                {"name": "Оптовый", "valid_from": self.today.replace(month=1, day=1)},
            ],
        )
        # Retail takes the product's price (default_from); wholesale is 10 % lower.
        price_items: list[dict[str, Any]] = [
            {"price_list": lists[0], "product": pid} for pid in ids
        ]
        price_items += [
            {
                "price_list": lists[1],
                "product": pid,
                "price": (Decimal(r["price"]) * Decimal("0.9")).quantize(Decimal("1")),
            }
            for pid, r in zip(ids, rows)
        ]
        self.load("price_list_items", price_items)
        return [(pid, Decimal(r["price"])) for pid, r in zip(ids, rows)]

    def _client_rows(self, count: int, categories: list[int], sources: list[int]) -> Iterator[dict]:
        r = self.rnd
        weights = [c[2] for c in CITIES]
        for _ in range(count):
            city, code, _w = r.choices(CITIES, weights)[0]
            company = r.random() < 0.7
            category = r.choices(categories, [75, 15, 10][: len(categories)] or None)[0]
            row: dict[str, Any] = {
                "city": city,
                "category": category,
                "source": r.choice(sources),
                "manager": r.choice(self.managers),
                "status": r.choices(["active", "lead", "inactive"], [70, 20, 10])[0],
                "address": f"г. {city}, ул. {r.choice(STREETS)}, д. {r.randint(1, 120)}",
                "loyalty": r.randint(0, 10),
                "created": self.today - dt.timedelta(days=r.randint(0, 730)),
            }
            if company:
                name = f"{r.choice(FORMS)} «{r.choice(WORDS)}{r.choice(TRADES).lower()}»"
                bank, bik, corr = r.choice(BANKS)
                row.update(
                    kind="company",
                    name=name,
                    phone=self.phone(code),
                    email=f"info{r.randint(1, 99999)}@{r.choice(WORDS).lower()}.ru".replace(
                        "ё", "e"
                    ),
                    tax_id=self.digits(10),
                    kpp=self.digits(9),
                    bank_name=bank,
                    bank_bik=bik,
                    corr_account=corr,
                    bank_account="40702810" + self.digits(12),
                )
            else:
                surname, first, patronymic = self.person()
                row.update(
                    kind="person",
                    name=f"{surname} {first} {patronymic}",
                    phone_mobile=self.phone(),
                    tax_id=self.digits(12),
                    birthday=dt.date(r.randint(1955, 2003), r.randint(1, 12), r.randint(1, 28)),
                    messengers=r.choice(["Telegram", "WhatsApp", "Telegram, WhatsApp", None]),
                )
                if r.random() < 0.3:
                    row["phone_home"] = self.phone(code)
            yield row

    def clients(self) -> list[tuple[int, int, str]]:
        """Clients and their contacts, in batches; returns (id, manager, kind) per client."""
        categories, sources = self.ids("client_categories"), self.ids("inquiry_sources")
        out: list[tuple[int, int, str]] = []
        left = self.n
        while left > 0:
            rows = list(self._client_rows(min(BATCH, left), categories, sources))
            ids = self.load("clients", rows)
            contacts = []
            for cid, row in zip(ids, rows):
                out.append((cid, row["manager"], row["kind"]))
                for _ in range(self.rnd.randint(1, 3) if row["kind"] == "company" else 0):
                    surname, first, patronymic = self.person()
                    contacts.append(
                        {
                            "client": cid,
                            "name": f"{surname} {first} {patronymic}",
                            "position": self.rnd.choice(POSITIONS),
                            "phone_mobile": self.phone(),
                            "phone_work": row.get("phone"),
                            "email": self.email(first, surname),
                        }
                    )
            self.load("contacts", contacts)
            left -= len(rows)
            self.echo(f"  clients: {len(out)} of {self.n}")
        return out

    def work(self, clients: list[tuple[int, int, str]]) -> None:
        r, now = self.rnd, dt.datetime.now().replace(second=0, microsecond=0)
        categories = self.ids("work_categories")
        rows = []
        for _ in range(min(max(30, self.n // 4), 3000)):
            cid, manager, _kind = r.choice(clients)
            start = self.moment(MONTHS * 30, 20)
            due = start + dt.timedelta(
                days=r.choice((0, 1, 2, 3, 5, 7, 14, 30)), hours=r.randint(1, 6)
            )
            assignee = manager if r.random() < 0.75 else r.choice(self.managers)
            done = due < now and r.random() < 0.8
            row = {
                "client": cid,
                "title": r.choice(WORK_TITLES),
                "category": r.choice(categories),
                "assignee": assignee,
                "author": manager,
                "planned_start": start,
                "due_at": due,
                "done": done,
                "percent": 100 if done else r.choice((0, 10, 30, 50, 70, 90)),
            }
            # The board's column (issue 21), from what is drawn above: no extra random draw,
            # so the rest of the demo stays as it was.
            row["status"] = "done" if done else "new" if row["percent"] == 0 else "in_progress"
            if done:
                row["done_at"] = min(due + dt.timedelta(hours=r.randint(-20, 30)), now)
                row["confirmed"] = r.random() < 0.7
                row["confirmed_by"] = manager if row["confirmed"] else None
            elif due > now and r.random() < 0.5:
                row["remind_at"] = due - dt.timedelta(hours=1)
            rows.append(row)
        self.load("work", rows)

    def events(self, clients: list[tuple[int, int, str]]) -> None:
        r, now = self.rnd, dt.datetime.now()
        types, results = self.ids("event_types"), self.ids("event_results")
        rows = []
        for _ in range(min(max(50, self.n // 2), 6000)):
            cid, manager, _kind = r.choice(clients)
            at = self.moment(MONTHS * 30, 14)
            row = {
                "client": cid,
                "type": r.choice(types),
                "subject": r.choice(EVENT_SUBJECTS),
                "happened_at": at,
                "responsible": manager,
                "result": r.choice(results) if at < now else None,
            }
            if at > now and r.random() < 0.5:
                row["remind_at"] = at - dt.timedelta(minutes=30)
            rows.append(row)
        self.load("events", rows)

    def documents(self, clients: list[tuple[int, int, str]], products: list) -> None:
        r = self.rnd
        contracts: list[dict[str, Any]] = []
        for _ in range(min(max(10, self.n // 10), 2000)):
            cid, manager, _kind = r.choice(clients)
            date = self.today - dt.timedelta(days=r.randint(0, 700))
            ends = date + dt.timedelta(days=r.choice((180, 365, 730)))
            contracts.append(
                {
                    "client": cid,
                    "date": date,
                    "starts_on": date,
                    "ends_on": ends,
                    "subject": r.choice(
                        [
                            "Поставка оборудования",
                            "Сервисное обслуживание",
                            "Поставка расходных материалов",
                            "Внедрение CRM",
                        ]
                    ),
                    "amount": Decimal(r.randint(5, 500) * 1000),
                    "responsible": manager,
                    "status": "active" if ends > self.today else "closed",
                }
            )
        contracts.sort(key=lambda c: c["date"])  # numbers follow the dates within a year
        contract_ids = self.load("contracts", contracts)
        by_client = {c["client"]: cid for cid, c in zip(contract_ids, contracts)}
        invoices: list[dict[str, Any]] = []
        for _ in range(min(max(20, self.n // 5), 4000)):
            cid, manager, _kind = r.choice(clients)
            date = self.today - dt.timedelta(days=r.randint(0, MONTHS * 30 * 2))
            invoices.append(
                {
                    "client": cid,
                    "date": date,
                    "due_date": date + dt.timedelta(days=10),
                    "contract": by_client.get(cid) if r.random() < 0.6 else None,
                    "responsible": manager,
                }
            )
        invoices.sort(key=lambda i: i["date"])
        invoice_ids = self.load("invoices", invoices)
        lines, payments = [], []
        for iid, inv in zip(invoice_ids, invoices):
            total = Decimal(0)
            for pid, price in r.sample(products, r.randint(1, 4)):
                qty = r.choice((1, 1, 2, 3, 5, 10))
                lines.append(
                    {"invoice": iid, "product": pid, "quantity": qty}
                )  # price: from product
                total += price * qty
            share = r.choices([Decimal(1), Decimal("0.5"), Decimal(0)], [55, 20, 25])[0]
            days = (self.today - inv["date"]).days
            if share and days > 2:
                amount = (total * share).quantize(Decimal("0.01"))
                pay = {
                    "invoice": iid,
                    "date": inv["date"] + dt.timedelta(days=r.randint(1, min(days, 20))),
                    "method": r.choice(["bank", "bank", "card", "cash"]),
                }
                if share == 1 and r.random() < 0.3:  # paid in two parts
                    half = (amount / 2).quantize(Decimal("0.01"))
                    payments += [{**pay, "amount": half}, {**pay, "amount": amount - half}]
                else:
                    payments.append({**pay, "amount": amount})
        self.load("invoice_lines", lines)
        self.load("payments", payments)

    def notes(self, clients: list[tuple[int, int, str]]) -> None:
        r = self.rnd
        picks = [r.choice(clients) for _ in range(min(max(10, self.n // 10), 2000))]
        self.load(
            "notes",
            [
                {
                    "client": c[0],
                    "title": r.choice(
                        [
                            "Предпочитает звонки после обеда",
                            "Скидка 5 % на следующий заказ",
                            "Не звонить по понедельникам",
                            "Интересуется обучением",
                        ]
                    ),
                    "author": c[1],
                }
                for c in picks
            ],
        )
        self.load(
            "links",
            [
                {
                    "client": c[0],
                    "title": "Карточка в реестре",
                    "url": f"https://egrul.nalog.ru/?q={c[0]}",
                }
                for c in picks[:50]
            ],
        )

    def orders(self, clients: list[tuple[int, int, str]], products: list) -> None:
        """Orders (заявки, S18) at every stage, with lines and the date each stage was
        reached; an invoice made from each handed-over order through the derive rule, as
        the «Выставить счёт» button does. Runs last, so the earlier demo data stays the
        same for a seed."""
        r = self.rnd
        stages = ["new", "in_work", "ready", "handed_over", "cancelled"]
        reached = {"new": "new_on", "in_work": "in_work_on", "ready": "ready_on",
                   "handed_over": "handed_over_on", "cancelled": "cancelled_on"}  # fmt: skip
        rows: list[dict[str, Any]] = []
        for _ in range(min(max(36, self.n // 5), 3000)):
            cid, manager, _kind = r.choice(clients)
            stage = r.choices(stages, [20, 30, 15, 30, 5])[0]
            date = self.today - dt.timedelta(days=r.randint(0, 60))
            row: dict[str, Any] = {
                "client": cid, "date": date, "stage": stage, "responsible": manager,
                "subject": r.choice(ORDER_SUBJECTS),
                "due_date": date + dt.timedelta(days=r.choice((3, 5, 7, 14))),
            }  # fmt: skip
            # The stages passed on the way, each a few days after the one before.
            day = date
            path = ["cancelled"] if stage == "cancelled" else stages[: stages.index(stage) + 1]
            row["new_on"] = date
            for passed in path[1:]:
                day = min(day + dt.timedelta(days=r.randint(0, 4)), self.today)
                row[reached[passed]] = day
            rows.append(row)
        rows.sort(key=lambda o: o["date"])  # numbers follow the dates within a year
        ids = self.load("orders", rows)
        lines = [
            {"sales_order": oid, "product": pid, "quantity": r.choice((1, 1, 2, 3, 5))}
            for oid in ids
            for pid, _price in r.sample(products, r.randint(1, 3))
        ]  # the price comes from the product (default_from)
        self.load("order_lines", lines)
        made = 0
        for oid, row in zip(ids, rows):
            if row["stage"] == "handed_over":
                derive(self.p.runtime, SYSTEM, "orders", "orders.make_invoice", oid)
                made += 1
        self.counts["invoices"] = self.counts.get("invoices", 0) + made


class SampleCrmDemo:
    """Answers ``uchet_demo_data`` for the sample CRM configuration."""

    @hookimpl
    def uchet_demo_data(self, platform: Any, clients: int, seed: int, echo: Any) -> Any:
        if platform.config.manifest.name != "sample_crm":
            return None
        if platform.records("clients", user=SYSTEM).query(limit=1, count=False).rows:
            raise DataPresent("the database already has clients: demo data goes into an empty one")
        return Demo(platform, clients, seed, echo or (lambda _text: None)).run()
