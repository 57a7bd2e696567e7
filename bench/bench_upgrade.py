"""Upgrade-merge benchmark: the pure parts of ``uchet config diff`` and ``config upgrade``.

Run:  PYTHONPATH=src python bench/bench_upgrade.py [--repeat 50]

On the sample CRM (0.1 -> the "sample_crm v0.2" test fixture, with its customer file overlay
and database overlay), it measures the median time of:

* **read**: reading and meta-schema checking the new bundle (``base_tree_of``): the
  baseline every upgrade pays anyway;
* **diff**: ``diff_trees`` of the two bases;
* **merge**: ``upgrade`` of both layers (1C's rules, report data);
* **report**: the report text and the resolution file.

The ratios are against **read**. A benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.upgrade_support import fixture_json, write_v02  # noqa: E402

from uchet.configurations.loader import base_tree_of  # noqa: E402
from uchet.configurations.overlay import Overlay  # noqa: E402
from uchet.configurations.semantic_diff import diff_trees  # noqa: E402
from uchet.configurations.upgrade import upgrade  # noqa: E402
from uchet.configurations.upgrade_report import report_lines, resolution_template  # noqa: E402


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        v02 = write_v02(Path(tmp) / "v02")
        old, new = base_tree_of("sample_crm"), base_tree_of(v02)
        layers = [
            Overlay("customer.json", fixture_json("customer.json")),
            Overlay("database overlay, revision 1", fixture_json("database.json")),
        ]
        result = upgrade(old, new, layers)
        figures = {
            "read": median_ms(lambda: base_tree_of(v02), repeat),
            "diff": median_ms(lambda: diff_trees(old, new), repeat),
            "merge": median_ms(lambda: upgrade(old, new, layers), repeat),
            "report": median_ms(
                lambda: (report_lines(result, "t"), resolution_template(result, "t")), repeat
            ),
        }
    print(f"{'step':<8}{'median, ms':>12}{'vs read':>10}")
    for name, ms in figures.items():
        print(f"{name:<8}{ms:>12.2f}{ms / figures['read']:>9.2f}x")


if __name__ == "__main__":
    main()
