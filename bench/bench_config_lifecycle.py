"""What the configuration lifecycle (issue 16) adds to a migrate, and what its reads cost.

Run:  PYTHONPATH=src python bench/bench_config_lifecycle.py [--versions 1000] [--repeat 20]

On a SQLite file holding the migrated sample CRM it times, as the median of ``--repeat``
runs: ``ensure_system_tables`` as before (``create_all``) and now (plus the column check of
``system_columns``), which every migrate runs; ``summarize`` of the CRM's tree against a
changed copy (also once per migrate); ``applied_versions`` over ``--versions`` stored
versions (the history page and ``uchet config history``); and packing and unpacking the
sample bundle. A benchmark, not a test: the numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from uchet import Platform
from uchet.configurations.history import applied_versions
from uchet.configurations.packing import pack, unpack
from uchet.platform.model.config import thaw
from uchet.platform.schema.config_summary import summarize
from uchet.platform.schema.system import define_system_tables
from uchet.platform.schema.system_columns import add_missing_columns


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    url = f"sqlite:///{work}/bench.db"
    platform = Platform.open("sample_crm", database_url=url)
    platform.migrate()
    engine = platform.engine

    def create_all_only() -> None:
        with engine.begin() as conn:
            md = sa.MetaData()
            define_system_tables(md)
            md.create_all(conn, checkfirst=True)

    def create_all_and_columns() -> None:
        with engine.begin() as conn:
            md = sa.MetaData()
            tables = define_system_tables(md)
            md.create_all(conn, checkfirst=True)
            add_missing_columns(conn, tables)

    before = median_ms(create_all_only, args.repeat)
    after = median_ms(create_all_and_columns, args.repeat)
    print(
        f"ensure_system_tables: {before:.1f} ms before, {after:.1f} ms with the column check "
        f"(x{after / before:.2f})"
    )

    tree = thaw(platform.config.tree)
    changed = copy.deepcopy(tree)
    changed["tables"][0]["fields"].append({"id": "x.new", "name": "new", "type": "string"})
    summary_ms = median_ms(lambda: summarize(tree, changed), args.repeat)
    print(f"summarize (20 tables, 154 fields): {summary_ms:.1f} ms")

    table = define_system_tables(sa.MetaData())["uchet_config"]
    with engine.begin() as conn:
        row = conn.execute(sa.select(table).where(table.c.version == 1)).mappings().one()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        conn.execute(table.insert(), [
            {**row, "version": v, "applied_at": now, "source": "migrate",
             "summary": {"added": {"field": 1}}}
            for v in range(2, args.versions + 1)
        ])  # fmt: skip
    all_ms = median_ms(lambda: applied_versions(engine), args.repeat)
    page_ms = median_ms(lambda: applied_versions(engine, 200), args.repeat)
    print(
        f"applied_versions: {args.versions} versions {all_ms:.1f} ms, "
        f"the page's 200 {page_ms:.1f} ms"
    )

    sample = Path(str(resources.files("uchet") / "sample_crm"))
    out = work / "crm.zip"
    pack_ms = median_ms(lambda: pack(sample, out), args.repeat)
    unpack_ms = median_ms(lambda: unpack(out, work / "un", force=True), args.repeat)
    print(
        f"pack sample_crm: {pack_ms:.1f} ms ({out.stat().st_size} bytes), "
        f"unpack: {unpack_ms:.1f} ms"
    )
    platform.close()


if __name__ == "__main__":
    main()
