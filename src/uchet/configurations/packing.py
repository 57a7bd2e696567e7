"""Packing a bundle directory into a zip and unpacking it again (issue 16, point 5).

A packed bundle is named after its manifest (``sample_crm-1.2.0.zip``) so the version an
integrator ships is visible in the file name, and it holds exactly the files the loader reads
from the directory (hidden files such as ``.git`` stay out). Unpacking goes through the same
careful reader as loading (:func:`~uchet.configurations.bundle.read_bundle`): a zip-slip path
or an oversized archive is refused before anything is written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from uchet.configurations.bundle import Bundle, open_bundle_source, write_bundle
from uchet.platform.model.errors import ConfigError, ConfigIssue

#: What may appear in a file name made from the manifest's name and version.
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def manifest_of(bundle: Bundle) -> dict[str, str]:
    """``name`` and ``version`` of the bundle's manifest; ConfigError if it has none."""
    try:
        manifest = json.loads(bundle.files["manifest.json"])
        name, version = str(manifest["name"]), str(manifest["version"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError([ConfigIssue(
            f"{bundle.origin}/manifest.json", "", "a bundle needs a manifest with name and version"
        )]) from None  # fmt: skip
    return {"name": name, "version": version}


def default_zip_name(bundle: Bundle) -> str:
    """``<name>-<version>.zip`` from the manifest, with unsafe characters replaced."""
    m = manifest_of(bundle)
    return f"{UNSAFE.sub('_', m['name'])}-{UNSAFE.sub('_', m['version'])}.zip"


def pack(source: str | Path, output: str | Path | None = None) -> tuple[Path, Bundle]:
    """Write the bundle directory ``source`` as a zip; ``output`` is a file or a folder to
    put the default-named zip in (default: the working directory). Returns the zip's path.
    """
    src = Path(source)
    if not src.is_dir():
        raise ConfigError([ConfigIssue(str(src), "", "pack needs a bundle directory")])
    bundle = open_bundle_source(src)
    target = Path(output) if output is not None else Path(".")
    if output is None or target.is_dir():
        target = target / default_zip_name(bundle)
    else:
        manifest_of(bundle)
    if target.suffix != ".zip":
        raise ConfigError([ConfigIssue(str(target), "", "the output file must end in .zip")])
    if target.resolve().is_relative_to(src.resolve()):
        raise ConfigError([ConfigIssue(str(target), "", "write the zip outside the bundle")])
    write_bundle(bundle, target)
    return target, bundle


def unpack(archive: str | Path, target: str | Path, *, force: bool = False) -> Bundle:
    """Unpack the bundle zip ``archive`` into the directory ``target``, which must not
    exist or be empty (``force``: write over what is there)."""
    src = Path(archive)
    if not src.is_file():
        raise ConfigError([ConfigIssue(str(src), "", "unpack needs a bundle .zip file")])
    bundle = open_bundle_source(src)
    manifest_of(bundle)
    out = Path(target)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        raise ConfigError([ConfigIssue(
            str(out), "", "the target exists and is not an empty directory (--force writes over it)"
        )])  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    write_bundle(bundle, out)
    return bundle
