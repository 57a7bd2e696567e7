"""Hot-reload benchmark: the durations that tests/test_web_hotswap.py used to assert.

Run:  PYTHONPATH=src python bench/bench_hotswap.py [--swaps 20] [--db /tmp/hotswap.db]

On a fresh SQLite file with the sample CRM, a web app is created; then, ``--swaps`` times,
another :class:`~uchet.Platform` migrates the database to a configuration with one more
field (as another process running ``uchet migrate`` would), and the script measures:

* **notice**: from the migration's commit until a request of the app is served by the new
  version (the test once asserted < 2 s for this, and failed on a loaded CI machine);
* **build**: the hot-swap's own ``build_ms`` of each new app (the test asserted < 5000 ms).

Both are printed per swap and summarised (median, max). This is a benchmark, not a test:
nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.test_web_hotswap import ClosingClient  # noqa: E402
from tests.web_support import PASSWORD, WebClient  # noqa: E402

import uchet.core  # noqa: E402
from uchet import Platform  # noqa: E402
from uchet.configurations.overlay import Overlay  # noqa: E402
from uchet.web import create_app  # noqa: E402

SECRET = "bench-hotswap-" + "z" * 20


def extra_fields(count: int) -> Overlay:
    """An overlay adding ``count`` integer fields: a new configuration per count."""
    fields = [{"id": f"clients.extra{i}", "name": f"extra{i}", "type": "integer",
               "label": {"en": f"Extra {i}"}} for i in range(1, count + 1)]  # fmt: skip
    return Overlay(
        f"extra{count}.json", {"overlay": f"extra{count}", "fields": {"clients": fields}}
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swaps", type=int, default=20, help="how many versions to swap in")
    parser.add_argument("--db", default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument(
        "--interval", type=float, default=uchet.core.VERSION_CHECK_INTERVAL,
        help="VERSION_CHECK_INTERVAL, seconds (default: the engine's)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    uchet.core.VERSION_CHECK_INTERVAL = args.interval
    folder = tempfile.mkdtemp(prefix="bench-hotswap-")
    url = f"sqlite:///{args.db or Path(folder) / 'hotswap.db'}"

    platform = Platform.open("sample_crm", database_url=url)
    platform.migrate()
    platform.users.create("admin", PASSWORD, roles=["main"])
    app = create_app(platform, secret_key=SECRET)
    hotswap: Any = app.extensions["uchet"].hotswap
    app.test_client_class = ClosingClient  # closes responses, as a WSGI server does
    client = WebClient(app)
    assert client.login("admin").status_code == 302

    notice: list[float] = []
    for i in range(1, args.swaps + 1):
        other = Platform.open("sample_crm", database_url=url, overlays=[extra_fields(i)])
        try:
            other.migrate()
        finally:
            other.close()
        started = time.perf_counter()
        marker = f'data-field="extra{i}"'
        while marker not in client.get(f"/clients/?cols=name,extra{i}").text:
            time.sleep(0.005)
        notice.append(time.perf_counter() - started)
        build = hotswap.events[-1].build_ms if hotswap.events else float("nan")
        print(f"swap {i:>3}: new field served after {notice[-1] * 1000:8.1f} ms, "
              f"build {build:8.1f} ms")  # fmt: skip
    builds = [e.build_ms for e in hotswap.events]
    print(f"notice: median {statistics.median(notice) * 1000:.1f} ms, "
          f"max {max(notice) * 1000:.1f} ms")  # fmt: skip
    print(f"build:  median {statistics.median(builds):.1f} ms, max {max(builds):.1f} ms "
          f"({len(builds)} builds)")  # fmt: skip
    platform.close()


if __name__ == "__main__":
    main()
