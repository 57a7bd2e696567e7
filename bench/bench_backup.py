"""Backup, verify and restore timings (issue 20), on SQLite and, when a server is given,
PostgreSQL.

Run:  PYTHONPATH=src python bench/bench_backup.py [--clients 100000] [--files 200]
          [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

It loads the sample CRM with ``--clients`` clients (``create_many``) and ``--files``
attachments of 64 KB (files stored in the database, S37), then times ``create_backup``,
``verify`` and ``restore_backup`` into an empty database, and the same backup made while a
thread keeps writing clients (the writes it lets through per second show that a backup does
not stop the system). A benchmark, not a test: the numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from uchet import SYSTEM, Platform
from uchet.platform.features.backup import create_backup, restore_backup, verify


def _load(platform: Platform, clients: int, files: int) -> None:
    service = platform.records("clients", user=SYSTEM)
    for start in range(0, clients, 10_000):
        rows = [{"name": f"Клиент {i}", "kind": "company", "city": f"Город {i % 97}"}
                for i in range(start, min(clients, start + 10_000))]  # fmt: skip
        service.create_many(rows)
    first = service.query(limit=files).rows
    for row in first[:files]:
        service.attach(row["id"], {"name": "scan.pdf", "data": os.urandom(64 * 1024)})


def _timed(label: str, work: Any) -> Any:
    start = time.perf_counter()
    result = work()
    print(f"  {label:<34} {time.perf_counter() - start:8.2f} s")
    return result


def _fresh_pg(admin_url: str) -> str:
    name = f"uchet_bench_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a generated name, not input
    engine.dispose()
    return str(sa.engine.make_url(admin_url).set(database=name).render_as_string(False))


def run(label: str, source: str, target: str, clients: int, files: int, folder: Path) -> None:
    print(f"{label}: {clients} clients, {files} files of 64 KB")
    platform = Platform.open("sample_crm", source)
    platform.migrate()
    _timed("load", lambda: _load(platform, clients, files))
    path, manifest = _timed("backup (idle)", lambda: create_backup(platform.engine, folder))
    print(f"  archive {path.stat().st_size / 1e6:.1f} MB, dump {manifest.dump_size / 1e6:.1f} MB")
    _timed("verify", lambda: verify(path))
    stop, written = threading.Event(), [0]

    def writer() -> None:
        service = platform.records("clients", user=SYSTEM)
        while not stop.is_set():
            service.create({"name": "Во время копии", "kind": "person"})
            written[0] += 1

    # The same writer alone for 3 s first: the baseline of the writes a backup lets through.
    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(3)
    stop.set()
    thread.join()
    print(f"  writes alone: {written[0] / 3:.0f}/s")
    stop.clear()
    written[0] = 0
    thread = threading.Thread(target=writer)
    thread.start()
    start = time.perf_counter()
    try:
        _timed(
            "backup (one writer busy)",
            lambda: create_backup(platform.engine, folder / "busy.uchet-backup"),
        )
    finally:
        stop.set()
        thread.join()
    print(f"  writes during it: {written[0] / (time.perf_counter() - start):.0f}/s")
    restored = Platform.open("sample_crm", target)
    m = platform.loaded.config.manifest
    _timed("restore into an empty database", lambda: restore_backup(
        restored.engine, path, config_name=m.name, bundle_version=m.version))  # fmt: skip
    count = restored.records("clients", user=SYSTEM).aggregate("count")
    print(f"  restored clients: {count}")
    restored.close()
    platform.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--pg", default=None, help="an admin URL of a PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run("SQLite", f"sqlite:///{folder}/src.db", f"sqlite:///{folder}/dst.db",
            args.clients, args.files, folder)  # fmt: skip
        if args.pg:
            run("PostgreSQL", _fresh_pg(args.pg), _fresh_pg(args.pg), args.clients, args.files,
                folder)  # fmt: skip


if __name__ == "__main__":
    main()
