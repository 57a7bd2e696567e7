"""The syntax of numbering patterns (``INV-{year}-{seq:05d}``), parsed without ``str.format``.

Both the configuration checks and the numbering feature read it, so it lives with the model.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\{(seq|year|month|day)(?::0?([1-9][0-9]?)d)?\}")


def parse_pattern(pattern: str) -> tuple[str | tuple[str, int], ...]:
    """Split a pattern into literal text and placeholders; ValueError says what is wrong."""
    parts: list[str | tuple[str, int]] = []
    pos = 0
    for m in _TOKEN.finditer(pattern):
        parts.append(pattern[pos : m.start()])
        parts.append((m.group(1), int(m.group(2) or 0)))
        pos = m.end()
    parts.append(pattern[pos:])
    literal = "".join(p for p in parts if isinstance(p, str))
    if "{" in literal or "}" in literal:
        raise ValueError("unknown placeholder: use {seq}, {seq:05d}, {year}, {month} or {day}")
    if sum(1 for p in parts if isinstance(p, tuple) and p[0] == "seq") != 1:
        raise ValueError("the pattern needs exactly one {seq}")
    return tuple(p for p in parts if p != "")
