"""The UNO side of the resident PDF converter (issue 21 point 8).

This file is run as a script by a Python that can ``import uno`` (Debian's python3-uno is
built for the system Python, not for the one uchet may run in), so it imports nothing from
uchet. :mod:`uchet.printeditor.resident` starts it next to a LibreOffice that listens on a
local pipe and talks to it in JSON lines over stdin/stdout:

- it first writes ``{"ready": true}`` once connected (or ``{"error": ...}`` and exits);
- each request ``{"source": path, "target": path}`` is answered by ``{"ok": true}`` or
  ``{"error": "what went wrong"}``.

It exits when stdin closes, which is how the parent stops it.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

#: PDF export filter by the source document's extension.
FILTERS = {
    **dict.fromkeys(("docx", "odt", "doc", "rtf"), "writer_pdf_Export"),
    **dict.fromkeys(("xlsx", "ods", "xls"), "calc_pdf_Export"),
}


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _connect(pipe: str, wait: float) -> Any:
    """The LibreOffice desktop listening on ``pipe``; retried while it starts up."""
    import uno

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + wait
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:  # NoConnectException while soffice is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _prop(name: str, value: Any) -> Any:
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _convert(desktop: Any, source: str, target: str) -> None:
    import uno

    extension = source.rsplit(".", 1)[-1].lower()
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(source), "_blank", 0,
        (_prop("Hidden", True), _prop("ReadOnly", True)),
    )  # fmt: skip
    if doc is None:
        raise RuntimeError(f"LibreOffice could not open {source}")
    try:
        doc.storeToURL(
            uno.systemPathToFileUrl(target),
            (_prop("FilterName", FILTERS.get(extension, "writer_pdf_Export")),),
        )
    finally:
        doc.close(True)


def main(argv: list[str]) -> int:
    pipe, wait = argv[1], float(argv[2]) if len(argv) > 2 else 60.0
    try:
        desktop = _connect(pipe, wait)
    except Exception as exc:  # reported to the parent, which falls back to the cold path
        _say({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    _say({"ready": True})
    for line in sys.stdin:
        try:
            request = json.loads(line)
            _convert(desktop, request["source"], request["target"])
            _say({"ok": True})
        except Exception as exc:  # one bad document does not end the worker
            _say({"error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
