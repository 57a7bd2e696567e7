"""Message templates as objects (issue 19): from the configuration and from the editor.

A template is a ``message_templates/*.json`` document of the configuration
(``message_template.json`` meta-schema) or one made or changed in the browser's template
editor. Those are kept in ``uchet_state`` under ``message_template:<id>`` as the same JSON
document, checked by the same rules before they are saved; a saved template with the id of a
configuration template replaces it (deleting it brings the configuration's back).

:func:`check_template` is the full check the editor and the save run: the meta-schema, the
configuration check of :mod:`uchet.platform.checks.messages`, and every placeholder against
the print forms' placeholder catalog (:mod:`uchet.printeditor.catalog`), with the same
checker and wording as a print template. Problems name the place: ``subject``,
``body, line 3``, or a property (``recipient.address``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from uchet.platform.checks.messages import template_problems
from uchet.platform.model.config import Configuration, label_text, thaw
from uchet.platform.model.errors import UchetError
from uchet.platform.model.metaschema import iter_issues
from uchet.platform.schema.database import write_transaction
from uchet.printeditor.catalog import catalog, placeholders
from uchet.printeditor.checker import Tag, check_source
from uchet.printeditor.errors import Problem

#: ``uchet_state`` key prefix of the templates saved from the editor.
STATE_PREFIX = "message_template:"
#: A tag, or an opened tag never closed (up to the end of its line, so its line is named).
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{[{%][^\n]*", re.S)


class MessageTemplateError(UchetError):
    """A message template could not be checked, saved or rendered; ``problems`` lists each
    problem with its place. Raised by :func:`prepare` and by ``render`` (a template that
    fails on a record), never a bare Jinja or Python error."""

    def __init__(self, template: str, message: str, problems: list[Problem] | None = None):
        self.template = template
        self.message = message
        self.problems = list(problems or ())
        text = f"message template {template!r}: {message}"
        if self.problems:
            text += "\n" + "\n".join(f"  {p}" for p in self.problems)
        super().__init__(text)


@dataclass(frozen=True)
class MessageTemplate:
    """One message template, as the configuration or the editor defines it."""

    id: str
    name: str
    label: Mapping[str, str]
    channel: str
    table: str
    address: str
    subject: str = ""
    body: str = ""
    format: str = "text"
    name_path: str | None = None
    opt_out: str | None = None
    attachment: str | None = None
    attachment_pdf: bool = False
    roles: tuple[str, ...] = ()
    #: Saved from the editor (in the database) rather than written in the configuration.
    stored: bool = False
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], stored: bool = False) -> MessageTemplate:
        """The template a (schema-valid) document describes."""
        data = thaw(doc)
        recipient = data.get("recipient") or {}
        attachment = data.get("attachment") or {}
        label = data.get("label") or data["name"]
        return cls(
            id=data["id"], name=data["name"],
            label=label if isinstance(label, dict) else {"*": label},
            channel=data["channel"], table=data["table"], address=recipient["address"],
            subject=data.get("subject") or "", body=data.get("body") or "",
            format=data.get("format") or "text", name_path=recipient.get("name"),
            opt_out=recipient.get("opt_out"), attachment=attachment.get("print_form"),
            attachment_pdf=attachment.get("format") == "pdf", roles=tuple(data.get("roles", ())),
            stored=stored, data=data,
        )  # fmt: skip

    def text(self, locale: str) -> str:
        """The template's label in ``locale``."""
        return label_text(self.label, locale, default=self.name)


# -- the saved templates ---------------------------------------------------------------------
#: How long a process trusts its read of the saved templates.
CACHE_SECONDS = 10.0


class MessageTemplateStore:
    """The templates saved from the editor, in ``uchet_state``.

    Every list page asks which templates its table has (the «Рассылка» action), so a read
    is trusted for :data:`CACHE_SECONDS` (issue 12: no query per page for what rarely
    changes). A save or delete in this process forgets it at once; another process sees the
    change within the cache time. Sending reads afresh (``fresh=True``).
    """

    def __init__(
        self, engine: Engine, state: sa.Table, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.engine, self.state, self.clock = engine, state, clock
        self._cached: tuple[float, list[str]] | None = None
        self._lock = threading.Lock()

    def all(self, fresh: bool = False) -> list[dict[str, Any]]:
        """Every saved template document, by id; ``fresh`` skips the cache."""
        now = self.clock()
        with self._lock:
            hit = self._cached
        if fresh or hit is None or now - hit[0] >= CACHE_SECONDS:
            query = sa.select(self.state.c.value).where(
                self.state.c.key.startswith(STATE_PREFIX))  # fmt: skip
            with self.engine.connect() as conn:
                rows = [v for v in conn.execute(query.order_by(self.state.c.key)).scalars() if v]
            with self._lock:
                self._cached = hit = (now, rows)
        return [json.loads(v) for v in hit[1]]  # parsed per call: callers get their own copy

    def forget(self) -> None:
        """Drop the cached read (after a write here)."""
        with self._lock:
            self._cached = None

    def save(self, doc: Mapping[str, Any]) -> None:
        """Store ``doc`` (already checked) under its id, replacing a saved one."""
        key = STATE_PREFIX + str(doc["id"])
        with write_transaction(self.engine) as conn:
            conn.execute(self.state.delete().where(self.state.c.key == key))
            value = json.dumps(thaw(doc), ensure_ascii=False)
            conn.execute(self.state.insert().values(key=key, value=value))
        self.forget()

    def delete(self, template_id: str) -> bool:
        """Forget a saved template; whether there was one."""
        with write_transaction(self.engine) as conn:
            result = conn.execute(
                self.state.delete().where(self.state.c.key == STATE_PREFIX + template_id)
            )
        self.forget()
        return bool(result.rowcount)


def effective_templates(
    config: Configuration, store: MessageTemplateStore | None, fresh: bool = False
) -> list[MessageTemplate]:
    """The configuration's templates, each replaced by a saved one of the same id, then the
    templates made in the editor. A saved template whose table is gone is left out."""
    saved = {d["id"]: d for d in (store.all(fresh) if store is not None else [])}
    found = []
    for doc in config.message_templates:
        if doc.id in saved:
            found.append(MessageTemplate.from_document(saved.pop(doc.id), stored=True))
        else:
            found.append(MessageTemplate.from_document(doc.data))
    tables = {t.id for t in config.tables}
    found += [MessageTemplate.from_document(d, True) for d in saved.values()
              if d["table"] in tables]  # fmt: skip
    return found


# -- checking --------------------------------------------------------------------------------
def text_tags(source: str, part: str) -> list[Tag]:
    """The Jinja tags of a subject (``part="subject"``) or body, with ``body, line N``."""
    tags = []
    for m in _TAG.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        where = part if part == "subject" else f"{part}, line {line}"
        tags.append(Tag(m.group(0), line, where))
    return tags


def check_template(config: Configuration, doc: Mapping[str, Any], locale: str) -> list[Problem]:
    """Every problem of a template document: schema, references, syntax, placeholders."""
    schema = list(iter_issues("message_template", thaw(doc), "template"))
    if schema:
        return [Problem(i.pointer.strip("/").replace("/", "."), i.message) for i in schema]
    problems = [
        Problem(".".join(map(str, path)), message)
        for path, message in template_problems(config, doc)
        if not message.startswith("syntax error")  # the checker below says where, better
    ]
    if any(p.location == "table" for p in problems):
        return problems
    root = catalog(config, doc["table"], locale)
    for part in ("subject", "body"):
        source = doc.get(part) or ""
        if "{" in source:
            problems += check_source(source, text_tags(source, part), root)
    return problems


def picker_entries(config: Configuration, table_id: str, locale: str) -> list[tuple[str, str]]:
    """``(placeholder, label)`` the editor's picker offers: the print forms' catalog,
    without the Word-only row tags and image insertion (a message has no table rows or
    pictures; its lists are written with plain ``{% for %}``)."""
    out = []
    for p in placeholders(config, table_id, locale):
        if p.type == "function" and "image(" in p.text:
            continue
        out.append((p.text.replace("{%tr ", "{% "), p.label))
    return out
