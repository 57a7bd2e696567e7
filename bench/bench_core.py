# ruff: noqa: E501  (data tables and SQL read better on one line)
"""Engine-core benchmark: uchet's record service against raw SQL on the same SQLite file.

Run:  PYTHONPATH=src python bench/bench_core.py --clients 1000000 [--db /tmp/core.db] [--repeat 15] [--no-raw]

(``PYTHONPATH=src`` makes it measure this checkout rather than whichever uchet is installed.)

It loads N generated clients through ``create_many`` (measuring validated rows per second),
each batch also loaded by raw ``executemany`` into a second file (``RawLoad``, the floor), then times each query through uchet and as the equivalent hand-written SQL through the
``sqlite3`` module, interleaved, and prints a Markdown table of medians and ratios. Finally
it times adding a nullable field and renaming a field through ``Platform.migrate``.
This is a benchmark, not a test: numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from uchet import SYSTEM, Filter, Platform
from uchet.configurations.overlay import Overlay

SURNAMES = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов",
            "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов",
            "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров"]  # fmt: skip
FORMS = ["ИП", "ООО", "АО", "ЗАО"]
WORDS = ["Альфа", "Вектор", "Гранит", "Заря", "Исток", "Квант", "Лидер", "Меридиан", "Нива",
         "Орион", "Прогресс", "Ресурс", "Спектр", "Техно", "Успех", "Феникс", "Эталон", "Ивушка"]  # fmt: skip
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Нижний Новгород",
          "Самара", "Омск", "Ростов-на-Дону", "Уфа", "Пермь", "Воронеж", "Тверь", "Иваново"]  # fmt: skip


def client_rows(
    n: int, start: int, rnd: random.Random, categories: list[int], managers: list[int]
) -> list[dict]:
    rows = []
    for i in range(start, start + n):
        if rnd.random() < 0.5:
            name = f"{rnd.choice(SURNAMES)} {rnd.choice(FORMS[:1])} {i}"
        else:
            name = f"{rnd.choice(FORMS[1:])} «{rnd.choice(WORDS)}» {i}"
        rows.append({
            "name": name,
            "kind": "person" if name.split()[1] == "ИП" else "company",
            "category": rnd.choice(categories),
            "city": rnd.choice(CITIES),
            "phone": f"+7 9{rnd.randrange(10**9):09d}",
            "manager": rnd.choice(managers),
            "loyalty": rnd.randrange(11),
        })  # fmt: skip
    return rows


BATCH = 20_000


class RawLoad:
    """The floor for ``create_many``: the same rows, their search terms and audit rows
    inserted with the ``sqlite3`` module's ``executemany`` into a second file of the same
    schema (same indexes, same 128 MiB page cache for the transaction), with no
    validation, permissions, hooks or reference checks. Terms come from uchet's own
    ``terms_function`` and the audit JSON from ``json.dumps``, the least any loader must do.
    """

    def __init__(self, platform: Platform, db: Path):
        """A copy of ``platform``'s database (its users and categories, no clients yet)
        in ``db``, made with SQLite's backup API."""
        from uchet.platform.schema.search import terms_function

        for leftover in db.parent.glob(db.name + "*"):
            leftover.unlink()
        self.conn = sqlite3.connect(db, isolation_level=None)
        with sqlite3.connect(str(platform.engine.url.database)) as source:
            source.backup(self.conn)
        source.close()
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        table = platform.config.table("clients")
        self.terms = terms_function(table, platform.types)
        self.next_id = 1

    def load(self, rows: list[dict]) -> None:
        cols = list(rows[0])
        c = self.conn
        c.execute("PRAGMA cache_size=-131072")
        c.execute("BEGIN IMMEDIATE")
        now = datetime.datetime.now().replace(microsecond=0).isoformat(" ")
        ids = range(self.next_id, self.next_id + len(rows))
        c.executemany(
            f"INSERT INTO clients (id, version, created_at, updated_at, created_by, updated_by, {', '.join(cols)}) "
            f"VALUES ({', '.join('?' * (6 + len(cols)))})",
            [(i, 1, now, now, None, None, *r.values()) for i, r in zip(ids, rows)],
        )
        found = sorted(
            ((t, i, f) for i, r in zip(ids, rows) for t, f in self.terms(r)), key=lambda p: p[0]
        )
        c.executemany("INSERT INTO clients__sk (term, record_id, field) VALUES (?, ?, ?)", found)
        c.executemany(
            "INSERT INTO uchet_audit (at, user_id, user_login, table_id, record_id, action, changes) "
            "VALUES (?, NULL, 'system', 'clients', ?, 'create', ?)",
            [(now, i, json.dumps({k: [None, v] for k, v in r.items()})) for i, r in zip(ids, rows)],
        )
        c.execute("COMMIT")
        c.execute("PRAGMA cache_size=-2000")
        self.next_id += len(rows)


def load(
    platform: Platform, n: int, seed: int = 1, raw_db: Path | None = None
) -> tuple[list[int], int, float]:
    """Load ``n`` generated clients (20 managers, 5 categories) into a migrated database
    through ``create_many``; returns the category ids, the rows loaded and the seconds spent
    in ``create_many``. ``bench_web.py`` loads its data with this too. With ``raw``, each
    batch is also loaded by :class:`RawLoad` into ``raw_db`` right after (same rows), and the times of
    both are kept in ``LOAD_TIMES`` (wall and CPU seconds)."""
    rnd = random.Random(seed)
    managers = [platform.users.create(f"m{i}", None, roles=["manager"]).id for i in range(20)]
    cats = platform.records("client_categories", user=SYSTEM)
    wanted = ("Обычный", "VIP", "Проблемный", "Опт", "Розница")
    # The sample CRM seeds some categories on migrate; add the ones it lacks.
    seeded = {r["name"]: r["id"] for r in cats.query(limit=1000, count=False).rows}
    added = iter(cats.create_many([{"name": n} for n in wanted if n not in seeded]))
    categories = [seeded[n] if n in seeded else next(added) for n in wanted]
    clients = platform.records("clients", user=SYSTEM)
    raw = RawLoad(platform, raw_db) if raw_db else None
    loaded, load_seconds = 0, 0.0
    while loaded < n:
        rows = client_rows(min(BATCH, n - loaded), loaded, rnd, categories, managers)
        t, cpu = time.perf_counter(), time.process_time()
        clients.create_many(rows)
        load_seconds += time.perf_counter() - t
        LOAD_TIMES["uchet"][0] += time.perf_counter() - t
        LOAD_TIMES["uchet"][1] += time.process_time() - cpu
        if raw is not None:
            t, cpu = time.perf_counter(), time.process_time()
            raw.load(rows)
            LOAD_TIMES["raw"][0] += time.perf_counter() - t
            LOAD_TIMES["raw"][1] += time.process_time() - cpu
        loaded += len(rows)
        print(f"\rloaded {loaded:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return categories, loaded, load_seconds


#: Seconds (wall, CPU) spent loading, by uchet's ``create_many`` and by :class:`RawLoad`.
LOAD_TIMES = {"uchet": [0.0, 0.0], "raw": [0.0, 0.0]}


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm up caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reuse", action="store_true", help="query an already loaded --db")
    ap.add_argument("--no-raw", action="store_true", help="skip the raw executemany baseline load")
    args = ap.parse_args()
    db = Path(args.db or Path(tempfile.mkdtemp()) / "core.db")
    db.parent.mkdir(parents=True, exist_ok=True)
    if db.exists() and not args.reuse:
        db.unlink()
    url = f"sqlite:///{db}"
    platform = Platform.open("sample_crm", database_url=url)
    if args.reuse:
        reuse(platform, db, args)
        return
    platform.migrate()
    raw = None if args.no_raw else db.with_suffix(".raw.db")
    categories, loaded, _ = load(platform, args.clients, args.seed, raw)
    print(f"\n### `create_many`, {loaded:,} clients in batches of {BATCH:,}\n")
    print("| loader | rows/s (wall) | rows/s (CPU) |")
    print("|---|---:|---:|")
    for name, (wall, cpu) in LOAD_TIMES.items():
        if wall:
            label = (
                "uchet `create_many` (validated)"
                if name == "uchet"
                else "raw `executemany`, no validation"
            )
            print(f"| {label} | {loaded / wall:,.0f} | {loaded / cpu:,.0f} |")
    print()
    run_queries(platform, db, args, categories[1], loaded)


def reuse(platform: Platform, db: Path, args: argparse.Namespace) -> None:
    cats = platform.records("client_categories", user=SYSTEM).query(sort=["id"]).rows
    loaded = platform.records("clients", user=SYSTEM).query(count=True, count_limit=10**8).total
    run_queries(platform, db, args, cats[1]["id"], loaded)


def run_queries(
    platform: Platform, db: Path, args: argparse.Namespace, vip: int, loaded: int
) -> None:
    url = f"sqlite:///{db}"
    clients = platform.records("clients", user=SYSTEM)
    # The same columns as the hand-written SQL, so both do the same work.
    cols = ["name", "kind", "status", "city", "phone", "email", "loyalty", "category", "manager"]
    raw = sqlite3.connect(db)
    ref_cols = (
        "c.id, c.version, c.name, c.kind, c.status, c.city, c.phone, c.email, c.loyalty, "
        "c.category, cc.name AS category__title, c.manager, u.name AS manager__title"
    )
    joins = "FROM clients c LEFT JOIN client_categories cc ON cc.id = c.category LEFT JOIN uchet_users u ON u.id = c.manager"
    hi = "\U0010ffff"
    before = clients.query(columns=cols, limit=50, offset=49_900, count=False)
    cursor, last = before.next_cursor, before.rows[-1]
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "prefix quick search 'ива', first page",
            lambda: clients.query(search="ива", columns=cols, limit=50, count=False),
            lambda: raw.execute(
                f"SELECT {ref_cols} {joins} WHERE c.id IN (SELECT record_id FROM clients__sk "
                "WHERE term >= ? AND term < ?) ORDER BY c.name, c.id LIMIT 50",
                ("ива", "ива" + hi),
            ).fetchall(),
        ),
        (
            "filter category=VIP, sorted by name, first page",
            lambda: clients.query(
                filters=[Filter("category", "eq", vip)],
                sort=["name"],
                columns=cols,
                limit=50,
                count=False,
            ),
            lambda: raw.execute(
                f"SELECT {ref_cols} {joins} WHERE c.category = ? ORDER BY c.name, c.id LIMIT 50",
                (vip,),
            ).fetchall(),
        ),
        (
            "first page with capped count (10 000)",
            lambda: clients.query(columns=cols, limit=50, count=True),
            lambda: (
                raw.execute(f"SELECT {ref_cols} {joins} ORDER BY c.name, c.id LIMIT 50").fetchall(),
                raw.execute("SELECT count(*) FROM (SELECT 1 FROM clients LIMIT 10001)").fetchone(),
            ),
        ),
        (
            "page 1,000 (offset 49,950), default sort",
            lambda: clients.query(columns=cols, limit=50, offset=49_950, count=False),
            lambda: raw.execute(
                f"SELECT {ref_cols} {joins} ORDER BY c.name, c.id LIMIT 50 OFFSET 49950"
            ).fetchall(),
        ),
        (
            "page 1,000 by keyset cursor (after row 49,950)",
            lambda: clients.query(columns=cols, limit=50, after=cursor, count=False),
            lambda: raw.execute(
                f"SELECT {ref_cols} {joins} WHERE (c.name > ? OR (c.name = ? AND c.id > ?)) "
                "ORDER BY c.name, c.id LIMIT 50",
                (last["name"], last["name"], last["id"]),
            ).fetchall(),
        ),
        (
            "group counts by category",
            lambda: clients.query(group_by=["category"], limit=1, count=False),
            lambda: raw.execute(
                "SELECT c.category, cc.name, count(*) FROM clients c LEFT JOIN client_categories cc "
                "ON cc.id = c.category GROUP BY c.category, cc.name ORDER BY c.category"
            ).fetchall(),
        ),
    ]
    results = []
    for label, ours, theirs in cases:
        a, b = [], []
        for _ in range(3):  # interleave so both see the same machine noise
            a.append(median_ms(ours, args.repeat // 3 or 1))
            b.append(median_ms(theirs, args.repeat // 3 or 1))
        results.append((label, statistics.median(a), statistics.median(b)))

    overlay_add = Overlay(
        "bench.json",
        {
            "overlay": "bench",
            "fields": {
                "clients": [
                    {
                        "id": "clients.bench_note",
                        "name": "bench_note",
                        "type": "string",
                        "label": "Bench note",
                    }
                ]
            },
        },
    )
    overlay_rename = Overlay(
        "bench2.json", {"overlay": "bench2", "set": {"clients.address": {"name": "street_address"}}}
    )
    timings = {}
    for label, overlays in () if args.reuse else (("add a nullable field", [overlay_add]),
                            ("rename a field", [overlay_add, overlay_rename])):  # fmt: skip
        p2 = Platform.open("sample_crm", database_url=url, overlays=overlays)
        t = time.perf_counter()
        p2.migrate()
        timings[label] = time.perf_counter() - t
        p2.close()

    print(f"\n### Engine core, SQLite, {loaded:,} clients\n")
    print("| case | uchet, ms | raw SQL, ms | ratio |")
    print("|---|---:|---:|---:|")
    for label, ours_ms, raw_ms in results:
        print(f"| {label} | {ours_ms:.2f} | {raw_ms:.2f} | {ours_ms / raw_ms:.2f}x |")
    for label, seconds in timings.items():
        print(f"- {label} on {loaded:,} rows: {seconds * 1000:.0f} ms")
    print(json.dumps({"results": results, "migrations": timings}), file=sys.stderr)


if __name__ == "__main__":
    main()
