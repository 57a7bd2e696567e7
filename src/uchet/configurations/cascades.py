"""Reporting every problem at once without a cascade of false ones (issue 16, point 6).

The loader checks in stages: JSON and meta-schemas per document, the overlay merge, then the
semantic checks. A document that fails its meta-schema is left out of the later stages (its
shape is unknown, so checking it further is not safe), but the others go on: a bad field name
in ``contacts.json`` no longer hides an unknown field type in ``clients.json``.

Leaving a document out makes the semantic checks see it as missing: a role's rights on the
table, a reference to it, a form's child list would all say "no table 'contacts'". Those
problems are not the user's and would vanish with the fix, so :func:`without_cascades` drops
the semantic problems that name a left-out document and says, on the left-out file, how many
will be checked again once it is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath

from uchet.platform.model.errors import ConfigIssue

#: How the semantic checks word a reference that points nowhere without quoting its target
#: (a row rule's ``'client' refers to a missing table``). With a table left out, such a
#: problem may be about it, so it waits for the fix as well. A message that quotes its target
#: (``no table with id 'deals'``) is kept unless the target is a left-out document.
DANGLING = ("refers to a missing table", "names a missing field", "is not a reference to")


def rejected_names(
    files: Mapping[str, bytes], issues: Iterable[ConfigIssue]
) -> dict[str, set[str]]:
    """Per bundle file with a problem: the ids and names of the documents in it (and of a
    table's fields), read leniently; the file's stem when it is not even JSON."""
    found: dict[str, set[str]] = {}
    for file in {i.file for i in issues}:
        if file not in files or file == "manifest.json":
            continue
        names = {PurePosixPath(file).stem}
        try:
            data = json.loads(files[file].decode("utf-8-sig"))
        except ValueError:
            data = None
        for doc in data if isinstance(data, list) else [data]:
            if not isinstance(doc, dict):
                continue
            names |= {str(doc[k]) for k in ("id", "name") if isinstance(doc.get(k), str)}
            for f in doc.get("fields") or () if isinstance(doc.get("fields"), list) else ():
                if isinstance(f, dict):
                    names |= {str(f[k]) for k in ("id",) if isinstance(f.get(k), str)}
        found[file] = names
    return found


def names_one(issue: ConfigIssue, names: set[str]) -> bool:
    """Whether ``issue`` speaks of one of ``names``: quoted in its message (``'contacts'``,
    ``'contacts.client'``) or a segment of its JSON pointer (``/tables/contacts``)."""
    segments = set(issue.pointer.split("/"))
    for name in names:
        if f"'{name}'" in issue.message or f"'{name}." in issue.message:
            return True
        if f'"{name}"' in issue.message or name in segments:
            return True
    return False


def without_cascades(
    semantic: Sequence[ConfigIssue], rejected: Mapping[str, set[str]]
) -> list[ConfigIssue]:
    """``semantic`` minus the problems that name a rejected document, plus one line per
    rejected file that had some, saying how many wait for its fix."""
    kept: list[ConfigIssue] = []
    waiting: dict[str, int] = {}
    table_file = next((f for f in sorted(rejected) if f.startswith("tables/")), None)
    for issue in semantic:
        if issue.file in rejected:
            waiting[issue.file] = waiting.get(issue.file, 0) + 1
            continue
        owner = next((f for f, names in rejected.items() if names_one(issue, names)), None)
        if owner is None and table_file and any(p in issue.message for p in DANGLING):
            owner = table_file
        if owner is None:
            kept.append(issue)
        else:
            waiting[owner] = waiting.get(owner, 0) + 1
    for file, count in sorted(waiting.items()):
        kept.append(ConfigIssue(
            file, "", f"{count} more problem(s) elsewhere refer to what this file declares; "
                      "they are checked again once it is fixed",
        ))  # fmt: skip
    return kept
