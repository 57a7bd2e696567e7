"""Reading and writing configuration bundles: a directory, or the same files in a ``.zip``.

A bundle holds ``manifest.json`` and folders of documents::

    manifest.json
    tables/*.json  forms/*.json  print_forms/*.json  roles/*.json  reports/*.json
    dashboards/*.json  message_templates/*.json
    translations/*.json  templates/...   (print-form templates and other binary files)

A document file holds one document, or a JSON array of documents of that kind.

A zip is read with care (issue 16): a member whose name would leave the bundle (``../x``, an
absolute path, a drive letter: "zip slip") and an archive that unpacks to more than
:data:`MAX_UNPACKED` bytes or :data:`MAX_MEMBERS` files are refused as a whole, with an error
naming the archive and the member, before anything is read into memory or written out.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uchet.platform.model.errors import ConfigError, ConfigIssue

#: The most a bundle zip may unpack to, and how many files it may hold: a configuration is
#: kilobytes of JSON plus a few templates, so these stop a zip bomb, not a real bundle.
MAX_UNPACKED = 64 * 1024 * 1024
MAX_MEMBERS = 5000

#: Folder name -> document kind.
FOLDERS = {
    "tables": "table",
    "forms": "form",
    "print_forms": "print_form",
    "roles": "role",
    "reports": "report",
    "dashboards": "dashboard",
    "translations": "translation",
    "message_templates": "message_template",
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

    Raises :class:`FileNotFoundError` when the path does not exist, and
    :class:`BundleRefused` for a zip that is not one, holds a member whose path leaves the
    bundle, or is too big unpacked.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no configuration bundle at {p}")
    if p.is_dir():
        # Hidden files and folders (.git of a customer's repository) are not the bundle's.
        files = {
            f.relative_to(p).as_posix(): f.read_bytes()
            for f in sorted(p.rglob("*"))
            if f.is_file()
            and "__pycache__" not in f.parts
            and not any(part.startswith(".") for part in f.relative_to(p).parts)
        }
        return Bundle(str(p), files)
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as e:
        raise BundleRefused(str(p), f"not a bundle directory or a zip archive ({e})") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        _check_members(str(p), infos)
        names = [i.filename for i in infos]
        # A zip made by "compress folder" has one top folder around manifest.json: strip it.
        prefix = ""
        if "manifest.json" not in names:
            tops = {n.split("/", 1)[0] for n in names}
            if len(tops) == 1 and f"{next(iter(tops))}/manifest.json" in names:
                prefix = next(iter(tops)) + "/"
        files = {n[len(prefix) :]: _read_member(zf, str(p), n) for n in names
                 if n.startswith(prefix)}  # fmt: skip
    return Bundle(str(p), files)


class BundleRefused(ConfigError):
    """A bundle archive refused as a whole: reported like a configuration problem."""

    def __init__(self, archive: str, message: str, member: str = ""):
        where = f"{archive}!{member}" if member else archive
        super().__init__([ConfigIssue(where, "", message)])


def safe_member_name(name: str) -> bool:
    """Whether a zip member's name stays inside the folder it is unpacked to."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\0" in name:
        return False
    parts = name.split("/")
    if ":" in parts[0]:  # C:/... or a drive-relative name
        return False
    return all(part not in ("..", ".") for part in parts if part) and "" not in parts[:-1]


def _check_members(archive: str, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise BundleRefused(archive, f"the archive holds {len(infos)} files; at most "
                                     f"{MAX_MEMBERS} are allowed")  # fmt: skip
    for info in infos:
        if not safe_member_name(info.filename):
            raise BundleRefused(archive, "the path of this file leaves the bundle (zip slip); "
                                         "the archive is refused", info.filename)  # fmt: skip
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise BundleRefused(archive, f"the archive unpacks to {total} bytes; at most "
                                     f"{MAX_UNPACKED} are allowed")  # fmt: skip


def _read_member(zf: zipfile.ZipFile, archive: str, name: str) -> bytes:
    # The sizes in the directory can lie: read no more than the limit, whatever they say.
    with zf.open(name) as member:
        data = member.read(MAX_UNPACKED + 1)
    if len(data) > MAX_UNPACKED:
        raise BundleRefused(archive, f"this file unpacks to more than {MAX_UNPACKED} bytes",
                            name)  # fmt: skip
    return data


def open_bundle_source(path: str | Path) -> Bundle:
    """A bundle from a directory or a zip, every failure a :class:`ConfigError` naming the
    path (no such path, not a zip, zip slip, too big): what ``--config``, ``UCHET_CONFIG``,
    ``config check`` and ``Platform.open`` report."""
    try:
        return read_bundle(path)
    except FileNotFoundError as e:
        raise ConfigError([ConfigIssue(str(path), "", str(e))]) from None
    except OSError as e:
        raise ConfigError([ConfigIssue(str(path), "", f"cannot read: {e.strerror or e}")]) from None


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
