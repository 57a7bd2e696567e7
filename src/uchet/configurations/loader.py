"""Loading a configuration: bundle + overlays -> a checked, immutable Configuration.

The stages run in order: JSON syntax and meta-schemas, then the overlay merge, then the
semantic checks, and every problem of every stage is reported in one run (issue 16). A
document that fails its meta-schema is left out of the later stages, which go on with the
rest; what they then report about the left-out document is a cascade, dropped and counted on
its file (:mod:`~uchet.configurations.cascades`). A document an overlay made invalid stops
the semantic checks, since they would read a document of unknown shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from uchet.configurations.bundle import Bundle, open_bundle_source, parse_json
from uchet.configurations.cascades import rejected_names, without_cascades
from uchet.configurations.overlay import Overlay, merge
from uchet.platform.checks.configuration import check_configuration
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import DOCUMENT_KINDS, Configuration, Source, build_configuration
from uchet.platform.model.errors import ConfigError, ConfigIssue
from uchet.platform.model.metaschema import iter_issues
from uchet.platform.plugins import (
    MANIFEST_PLUGINS,
    PluginImportError,
    field_type_registry,
    import_plugin_module,
    make_plugin_manager,
)

#: Configurations shipped inside the package, loadable by name.
BUILTIN_CONFIGURATIONS = ("sample_crm",)
#: A dotted Python module name, as the manifest's ``plugins`` items must be.
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass
class Loaded:
    """A loaded configuration with the bundle it came from."""

    config: Configuration
    bundle: Bundle
    overlays: list[Overlay] = field(default_factory=list)


def resolve_bundle_path(name_or_path: str | Path) -> Path:
    """A bundle path: a built-in configuration's name, or a directory or zip on disk."""
    if str(name_or_path) in BUILTIN_CONFIGURATIONS:
        return Path(str(resources.files("uchet") / str(name_or_path)))
    return Path(name_or_path)


def parse_tree(bundle: Bundle) -> tuple[dict[str, Any], dict[str, Source], list[ConfigIssue]]:
    """Read every document of ``bundle`` into a tree, checking each against its meta-schema."""
    issues: list[ConfigIssue] = []
    sources: dict[str, Source] = {}
    tree: dict[str, Any] = {key: [] for key in DOCUMENT_KINDS.values()}
    if "manifest.json" not in bundle.files:
        issues.append(
            ConfigIssue("manifest.json", "", f"missing: {bundle.origin} has no manifest.json")
        )
    for kind, path in bundle.documents():
        data, problems = parse_json(bundle.files[path], path)
        issues += problems
        if problems:
            continue
        if kind == "manifest":
            found = list(iter_issues(kind, data, path))
            issues += found
            tree["manifest"] = data
            continue
        docs = data if isinstance(data, list) else [data]
        for i, doc in enumerate(docs):
            pointer = f"/{i}" if isinstance(data, list) else ""
            found = list(iter_issues(kind, doc, path, pointer))
            issues += found
            if found:
                continue
            tree[DOCUMENT_KINDS[kind]].append(doc)
            src = Source(path, pointer)
            if "id" in doc:
                sources[doc["id"]] = src
            for j, f in enumerate(doc.get("fields", ()) if kind == "table" else ()):
                sources[f["id"]] = src.child("fields", j)
    return tree, sources, issues


def read_overlay(path: str | Path) -> tuple[list[Overlay], list[ConfigIssue]]:
    """Read overlay documents from a JSON file, or each ``*.json`` of a directory by name."""
    p = Path(path)
    if not p.exists():
        return [], [ConfigIssue(str(p), "", "overlay file does not exist")]
    files = sorted(p.glob("*.json")) if p.is_dir() else [p]
    overlays, issues = [], []
    for f in files:
        data, problems = parse_json(f.read_bytes(), str(f))
        if not problems:
            problems = list(iter_issues("overlay", data, str(f)))
        issues += problems
        if not problems:
            overlays.append(Overlay(str(f), data))
    return overlays, issues


def manifest_plugins(bundle: Bundle) -> list[str]:
    """The plug-in modules the bundle's manifest names (``plugins``), read from the raw file
    before anything is checked: the field types they register are needed by the checks. A
    malformed manifest gives none here; its own checks report it."""
    try:
        manifest = json.loads(bundle.files.get("manifest.json", b"{}"))
    except ValueError:
        return []
    names = manifest.get("plugins") if isinstance(manifest, dict) else None
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str) and MODULE_NAME.fullmatch(n)]


def load(
    name_or_path: str | Path,
    overlays: Sequence[str | Path | Overlay] = (),
    registry: FieldTypeRegistry | None = None,
    plugins: Iterable[Any] = (),
) -> Loaded:
    """Load, merge and check a configuration. Raises :class:`ConfigError` listing every issue.

    The field types come from ``registry`` if given, else from a plugin manager with
    ``plugins``, the installed plug-ins and those the manifest names (:func:`manifest_plugins`).
    """
    bundle = open_bundle_source(resolve_bundle_path(name_or_path))
    if registry is None:
        modules = manifest_plugins(bundle)
        missing = []
        for i, name in enumerate(modules):
            try:
                import_plugin_module(name, MANIFEST_PLUGINS)
            except PluginImportError as e:
                missing.append(ConfigIssue("manifest.json", f"/plugins/{i}", str(e)))
        if missing:
            raise ConfigError(missing)
        registry = field_type_registry(make_plugin_manager(plugins, modules=modules))
    tree, sources, issues = parse_tree(bundle)
    loaded_overlays: list[Overlay] = []
    for item in overlays:
        if isinstance(item, Overlay):
            found = list(iter_issues("overlay", item.data, item.file))
            issues += found
            if not found:
                loaded_overlays.append(item)
        else:
            more, problems = read_overlay(item)
            loaded_overlays += more
            issues += problems
    if issues:
        # The documents that passed go through the later stages too (issue 16, point 6),
        # unless the manifest, which every check reads, is the broken one.
        if not any(i.file == "manifest.json" for i in issues):
            try:
                build_checked(tree, sources, loaded_overlays, registry, set(bundle.files))
            except ConfigError as later:
                issues += without_cascades(later.issues, rejected_names(bundle.files, issues))
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # a check tripped on what is missing: the first stage's problems stand
        raise ConfigError(issues)
    return Loaded(
        build_checked(tree, sources, loaded_overlays, registry, set(bundle.files)),
        bundle,
        loaded_overlays,
    )


def build_checked(
    tree: dict[str, Any],
    sources: dict[str, Source],
    overlays: Sequence[Overlay],
    registry: FieldTypeRegistry,
    files: set[str] | None = None,
) -> Configuration:
    """Merge ``overlays`` into ``tree``, re-check what they touched, and run the semantic checks."""
    merged = merge(tree, sources, overlays)
    issues = list(merged.issues)
    merge_issues = len(issues)
    # A "set" can make a valid document invalid: check the touched documents again and
    # point at the overlay entry that did it.
    for key, kind in (("tables", "table"), ("forms", "form"), ("print_forms", "print_form"),
                      ("roles", "role"), ("reports", "report"),
                      ("dashboards", "dashboard"),
                      ("message_templates", "message_template")):  # fmt: skip
        for doc in merged.tree.get(key, ()):
            touched = [
                t
                for t in [doc["id"], *(f["id"] for f in doc.get("fields", ()))]
                if t in merged.touched
            ]
            if touched:
                for problem in iter_issues(kind, doc, ""):
                    at = merged.touched[touched[0]]
                    issues.append(
                        ConfigIssue(
                            at.file,
                            at.pointer,
                            f"after this change, {doc['id']}{problem.pointer}: {problem.message}",
                        )
                    )
    if len(issues) > merge_issues:
        raise ConfigError(issues)  # a document of unknown shape: no semantic checks on it
    # An overlay entry whose target is gone was not applied; the rest is checked as well.
    config = build_configuration(merged.tree, merged.sources)
    issues += check_configuration(config, registry, files)
    if issues:
        raise ConfigError(issues)
    return config


def base_tree_of(name_or_path: str | Path) -> dict[str, Any]:
    """The tree of a bundle before any overlay: a built-in name, a directory or a ``.zip``
    (a zip made by "compress folder", with one top folder, works too).

    Raises :class:`ConfigError` when the bundle is missing or a document is malformed.
    """
    bundle = open_bundle_source(resolve_bundle_path(name_or_path))
    tree, _, issues = parse_tree(bundle)
    if issues:
        raise ConfigError(issues)
    return tree
