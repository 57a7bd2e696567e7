"""The "sample_crm v0.2" fixture of the upgrade tests (issue 16): the vendor's new bundle,
made by applying tests/fixtures/sample_crm_v02/vendor.json over the shipped 0.1 bundle, and
the customer's layers (customer.json, a file overlay; database.json, the database overlay).

vendor.json is a small patch by stable id: ``set`` properties (null removes one), ``remove``
objects, ``add`` objects under a parent, and ``manifest`` properties. Keeping the patch small
keeps the vendor's changes readable: every kind of change an upgrade meets, once.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from uchet.configurations.loader import base_tree_of
from uchet.configurations.objects import CHILD_KINDS, TOP_KINDS, Obj, flatten, subtree, unflatten

FIXTURE = Path(__file__).parent / "fixtures" / "sample_crm_v02"
DOCUMENT_FOLDERS = ("tables", "forms", "print_forms", "roles", "reports", "dashboards",
                    "translations")  # fmt: skip


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURE / name).read_text(encoding="utf-8"))


def vendor_tree() -> dict[str, Any]:
    """The tree of sample_crm v0.2."""
    patch = fixture_json("vendor.json")
    objects = flatten(base_tree_of("sample_crm"))
    for target, props in patch.get("set", {}).items():
        for key, value in props.items():
            if value is None:
                objects[target].props.pop(key, None)
            else:
                objects[target].props[key] = value
    for target in patch.get("remove", ()):
        for obj_id in subtree(objects, target):
            del objects[obj_id]
    for item in patch.get("add", ()):
        parent = item["parent"]
        kind = (TOP_KINDS[item["key"]] if parent is None
                else CHILD_KINDS[(objects[parent].kind, item["key"])])  # fmt: skip
        added = flatten({item["key"]: [item["object"]]} if parent is None else
                        {"tables": [{"id": "@", "fields": [item["object"]]}]})  # fmt: skip
        for obj in added.values():
            if obj.id == "@":
                continue
            objects[obj.id] = Obj(obj.id, obj.kind, obj.parent if obj.parent != "@" else parent,
                                  obj.key, obj.props, obj.containers)  # fmt: skip
        assert objects[item["object"]["id"]].kind == kind
    objects["@manifest"].props.update(patch.get("manifest", {}))
    return unflatten(objects)


def write_v02(target: Path) -> Path:
    """Write the sample_crm v0.2 bundle into directory ``target``: the shipped bundle's other
    files (templates, demo data), and each document of the new tree in a file of its own."""
    shipped = Path(str(resources.files("uchet") / "sample_crm"))
    shutil.copytree(shipped, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                                   *DOCUMENT_FOLDERS))  # fmt: skip
    tree = vendor_tree()
    (target / "manifest.json").write_text(json.dumps(tree["manifest"], ensure_ascii=False))
    for folder in DOCUMENT_FOLDERS:
        (target / folder).mkdir(exist_ok=True)
        for doc in tree.get(folder, ()):
            name = doc.get("id") or doc.get("locale")
            (target / folder / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False))
    return target
