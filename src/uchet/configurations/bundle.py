"""Reading and writing configuration bundles: a directory, or the same files in a ``.zip``.

A bundle holds ``manifest.json`` and folders of documents::

    manifest.json
    tables/*.json  forms/*.json  print_forms/*.json  roles/*.json  reports/*.json
    dashboards/*.json
    translations/*.json  templates/...   (print-form templates and other binary files)

A document file holds one document, or a JSON array of documents of that kind.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uchet.platform.model.errors import ConfigIssue

#: Folder name -> document kind.
FOLDERS = {
    "tables": "table",
    "forms": "form",
    "print_forms": "print_form",
    "roles": "role",
    "reports": "report",
    "dashboards": "dashboard",
    "translations": "translation",
}


@dataclass(frozen=True)
class Bundle:
    """The files of a bundle, read into memory (bundles are small), keyed by relative path."""

    origin: str
    files: Mapping[str, bytes] = field(repr=False)

    def documents(self) -> list[tuple[str, str]]:
        """``(kind, path)`` of every JSON document, in a stable order (manifest first)."""
        found = [("manifest", "manifest.json")] if "manifest.json" in self.files else []
        for path in sorted(self.files):
            folder, _, rest = path.partition("/")
            if folder in FOLDERS and rest.endswith(".json") and "/" not in rest:
                found.append((FOLDERS[folder], path))
        return found


def read_bundle(path: str | Path) -> Bundle:
    """Read a bundle from a directory or a ``.zip`` file.

    Raises :class:`FileNotFoundError` when the path does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no configuration bundle at {p}")
    if p.is_dir():
        files = {
            f.relative_to(p).as_posix(): f.read_bytes()
            for f in sorted(p.rglob("*"))
            if f.is_file() and "__pycache__" not in f.parts and not f.name.startswith(".")
        }
        return Bundle(str(p), files)
    with zipfile.ZipFile(p) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        # A zip made by "compress folder" has one top folder around manifest.json: strip it.
        prefix = ""
        if "manifest.json" not in names:
            tops = {n.split("/", 1)[0] for n in names}
            if len(tops) == 1 and f"{next(iter(tops))}/manifest.json" in names:
                prefix = next(iter(tops)) + "/"
        files = {n[len(prefix) :]: zf.read(n) for n in names if n.startswith(prefix)}
    return Bundle(str(p), files)


def write_bundle(bundle: Bundle, path: str | Path) -> None:
    """Write ``bundle`` as a directory, or as a zip when ``path`` ends in ``.zip``."""
    p = Path(path)
    if p.suffix == ".zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(bundle.files.items()):
                zf.writestr(name, data)
        p.write_bytes(buf.getvalue())
        return
    for name, data in bundle.files.items():
        target = p / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def parse_json(data: bytes, file: str) -> tuple[Any, list[ConfigIssue]]:
    """Parse JSON, turning a syntax error into an issue with its line and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, [ConfigIssue(file, "", f"not UTF-8 text (byte {e.start})")]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as e:
        return None, [
            ConfigIssue(file, "", f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")
        ]
