"""The configuration check of message templates (issue 19): what their meta-schema cannot say.

Each problem names the template's file and the JSON pointer to edit, like every other check:

* the table, the print form attached (of the same table, e-mail only) and the roles exist;
* ``recipient.address`` is a field path from the table that ends on an e-mail field (for
  ``email``) or a phone or text field (for ``sms``); ``recipient.opt_out`` ends on a yes/no
  field; ``recipient.name`` on any field;
* an e-mail has a subject, an SMS has no subject, no HTML and no attachment;
* the subject and the body parse as Jinja and break none of the sandbox's literal rules.

Whether each placeholder names a field of the table is checked by the template editor and
:func:`uchet.printeditor.messages.check_template` against the print forms' placeholder
catalog (it lives above the engine); the configuration check needs only the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from uchet.platform.model.config import Configuration, Field, Source, Table
from uchet.platform.model.errors import ConfigIssue
from uchet.platform.model.paths import resolve_path

#: Field types an address path may end on, per built-in channel; other channels (plug-ins)
#: accept any text-like field.
ADDRESS_TYPES: dict[str, frozenset[str]] = {
    "email": frozenset({"email", "string"}),
    "sms": frozenset({"phone", "string"}),
}
TEXT_TYPES = frozenset({"email", "phone", "string", "text", "url", "formula"})
#: The Jinja the check parses with: the same syntax as the print sandbox.
_PARSER = ImmutableSandboxedEnvironment()


def _issue(source: Source, message: str, *path: str | int) -> ConfigIssue:
    at = source.child(*path) if path else source
    return ConfigIssue(at.file, at.pointer, message)


def path_field(config: Configuration, table: Table, path: str) -> Field | str:
    """The field a recipient path ends on, or the message saying why there is none (an
    i18n :class:`~uchet.platform.model.i18n.Text`: English, and shown in the user's
    language by the editor)."""
    return resolve_path(config, table, tuple(path.split(".")))


def syntax_problem(text: str) -> tuple[int, str] | None:
    """``(line, message)`` of the first Jinja syntax error of ``text``, or None."""
    try:
        _PARSER.parse(text)
    except TemplateSyntaxError as e:
        return e.lineno or 1, e.message or "syntax error"
    return None


def template_problems(
    config: Configuration, doc: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """``(JSON path, message)`` of each problem of one message template document."""
    try:
        table = config.find_table(doc.get("table", ""))
    except KeyError:
        yield ("table",), f"no table with id {doc.get('table')!r}"
        return
    channel = doc.get("channel", "")
    recipient = doc.get("recipient") or {}
    for key in ("address", "name", "opt_out"):
        path = recipient.get(key)
        if not path:
            continue
        found = path_field(config, table, path)
        if isinstance(found, str):
            yield ("recipient", key), found
            continue
        if key == "address":
            allowed = ADDRESS_TYPES.get(channel, TEXT_TYPES)
            if found.type not in allowed:
                yield (
                    ("recipient", key),
                    (
                        f"the address {path!r} is a {found.type} field; a {channel} address "
                        f"must be one of: {', '.join(sorted(allowed))}"
                    ),
                )
        elif key == "opt_out" and found.type != "boolean":
            yield (
                ("recipient", key),
                (
                    f"the opt-out {path!r} is a {found.type} field; "
                    "it must be a yes/no (boolean) field"
                ),
            )
    if channel == "email" and not (doc.get("subject") or "").strip():
        yield ("subject",), "an e-mail needs a subject"
    if channel == "sms":
        for key in ("subject", "attachment"):
            if doc.get(key):
                yield (key,), f"an SMS has no {key}"
        if doc.get("format") == "html":
            yield ("format",), "an SMS is plain text, not HTML"
    attachment = doc.get("attachment")
    if attachment:
        form = next((f for f in config.print_forms if f.id == attachment.get("print_form")), None)
        if form is None:
            yield (
                ("attachment", "print_form"),
                (f"no print form with id {attachment.get('print_form')!r}"),
            )
        elif form.get("table") != table.id:
            yield (
                ("attachment", "print_form"),
                (
                    f"the print form {form.id!r} prints table {form.get('table')!r}, "
                    f"not {table.id!r}"
                ),
            )
    for key in ("subject", "body"):
        problem = syntax_problem(doc.get(key) or "")
        if problem:
            yield (key,), f"syntax error on line {problem[0]}: {problem[1]}"


def check_message_templates(config: Configuration) -> Iterator[ConfigIssue]:
    """Every problem of the configuration's message templates."""
    role_ids = {r.id for r in config.roles}
    for doc in config.message_templates:
        for path, message in template_problems(config, doc.data):
            yield _issue(doc.source, message, *path)
        for i, rid in enumerate(doc.get("roles", ())):
            if rid not in role_ids:
                yield _issue(doc.source, f"no role with id {rid!r}", "roles", i)
