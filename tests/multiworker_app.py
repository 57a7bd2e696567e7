"""The WSGI entry point of the multi-worker test and bench (tests/multiworker.py): uchet's
``create_app()`` as gunicorn runs it in production, with one addition for observation —
every response names the process that served it (``X-Worker-Pid``), so the test can tell
that *each* gunicorn worker serves a new configuration version without timing anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from uchet.web import create_app

site = create_app()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``create_app()`` plus the ``X-Worker-Pid`` header."""

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return start_response(status, [*headers, ("X-Worker-Pid", str(os.getpid()))], exc_info)

    return site(environ, start)
