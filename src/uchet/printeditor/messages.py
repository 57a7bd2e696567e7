"""Prepared message templates (issue 19): the contract's ``PreparedTemplate``, rendered with
the print forms' context and sandbox.

:func:`prepare` compiles a template once for a user; the result tells who a record's
message goes to (:meth:`CompiledTemplate.recipient`) and renders it
(:meth:`CompiledTemplate.render`). Everything is read through the record service as that
user (:class:`~uchet.printeditor.context.ContextBuilder`), so a field the user may not read
renders empty, and a record outside their rows is ``NotFound``.

User-written templates run in the print sandbox (:mod:`uchet.printeditor.sandbox`), in
process: a message is a few lines, and a worker process per message would cost more than
the mailing. What the sandbox alone does not stop is stopped here:

* every step of a ``{% for %}`` over the record's lists and every ``range()`` item counts
  against :data:`MAX_STEPS` per message;
* a message is cut at :data:`MAX_OUTPUT` characters, and rendering stops after
  :data:`TIME_LIMIT` seconds (checked at every step and every piece of output).

Any failure is a :class:`MessageTemplateError` naming the template and the part (subject or
body) in words, never a traceback.
"""

from __future__ import annotations

import contextvars
import html
import re
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from jinja2 import Template, TemplateSyntaxError, meta
from jinja2.sandbox import SecurityError

from uchet.platform.checks.messages import path_field
from uchet.platform.messaging.contract import OutgoingMessage, Recipient
from uchet.platform.model.errors import NotFound, PermissionDenied
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User
from uchet.printeditor.context import ContextBuilder, child_lists
from uchet.printeditor.errors import PrintError, Problem
from uchet.printeditor.message_templates import (
    MessageTemplate,
    MessageTemplateError,
    MessageTemplateStore,
    effective_templates,
)
from uchet.printeditor.render import describe
from uchet.printeditor.sandbox import PrintSandbox

if TYPE_CHECKING:
    from uchet.core import Platform

#: Loop steps and ``range()`` items one message may take.
MAX_STEPS = 200_000
#: Longest subject or body, in characters.
MAX_OUTPUT = 1_000_000
#: Seconds one message may take to render.
TIME_LIMIT = 5.0


class _Budget:
    """The steps and time left to the message being rendered."""

    def __init__(self, steps: int, seconds: float) -> None:
        self.left = steps
        self.deadline = time.monotonic() + seconds

    def charge(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise SecurityError(f"the template repeats too much (at most {MAX_STEPS} steps)")
        if time.monotonic() > self.deadline:
            raise SecurityError(f"the template takes longer than {TIME_LIMIT:g} seconds")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def _charge(steps: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(steps)


class _CountedList(list[Any]):
    """A list of the context whose every step in a loop counts against the budget."""

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            _charge()
            yield item


def _counted_range(*args: int) -> range:
    items = range(*args)
    _charge(len(items))
    return items


class MessageSandbox(PrintSandbox):
    """The print sandbox whose ``range()`` counts against the message's budget."""

    def __init__(self, autoescape: bool) -> None:
        super().__init__(autoescape)
        self.globals["range"] = _counted_range


#: ``True``: HTML bodies (values escaped); ``False``: subjects, text bodies, SMS.
_ENVIRONMENTS = {True: MessageSandbox(True), False: MessageSandbox(False)}


def run(template: Template, context: Mapping[str, Any], part: str, name: str) -> str:
    """Render ``template`` within the limits; :class:`MessageTemplateError` names ``part``."""
    budget = _Budget(MAX_STEPS, TIME_LIMIT)
    token = _BUDGET.set(budget)
    pieces: list[str] = []
    size = 0
    try:
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the text is longer than {MAX_OUTPUT} characters")
            budget.charge(0)
            pieces.append(piece)
    except (Exception, MemoryError, RecursionError) as e:
        raise MessageTemplateError(name, describe(e), [Problem(part, describe(e))]) from None
    finally:
        _BUDGET.reset(token)
    return "".join(pieces)


_BLOCKS = re.compile(r"<(br|/p|/div|/h[1-6]|/li|/tr)\b[^>]*>", re.I)
_TAGS = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """The plain-text version of a simple HTML body (for mail clients that show text)."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    text = _BLOCKS.sub("\n", text)
    text = html.unescape(_TAGS.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


class CompiledTemplate:
    """A message template compiled for one user; implements the contract's
    :class:`~uchet.platform.messaging.contract.PreparedTemplate`."""

    def __init__(
        self, platform: Platform, rt: Runtime, template: MessageTemplate, user: User, locale: str
    ) -> None:
        self.platform, self.rt, self.template = platform, rt, template
        self.user, self.locale = user, locale
        self.name, self.channel = template.name, template.channel
        self.table = rt.config.find_table(template.table).id
        html_body = template.channel == "email" and template.format == "html"
        try:
            self._subject = _ENVIRONMENTS[False].from_string(template.subject)
            self._body = _ENVIRONMENTS[html_body].from_string(template.body)
        except TemplateSyntaxError as e:
            part = "subject" if template.subject and _fails(template.subject) else "body"
            where = part if part == "subject" else f"body, line {e.lineno}"
            raise MessageTemplateError(
                template.name, describe(e), [Problem(where, describe(e))]
            ) from None
        self.html = html_body
        # A saved template may outlive a field it names (deleted in the structure editor):
        # say so now, rather than fail on the first record.
        table = rt.config.table(self.table)
        for key, path in (("address", template.address), ("name", template.name_path),
                          ("opt_out", template.opt_out)):  # fmt: skip
            found = path_field(rt.config, table, path) if path else None
            if isinstance(found, str):
                where = f"recipient.{key}"
                raise MessageTemplateError(template.name, found, [Problem(where, found)])
        # The child lists the template names: only those are read per message. A template
        # that uses ``record`` (``record.contacts``) gets every list.
        used: set[str] = set()
        for source in (template.subject, template.body):
            used |= meta.find_undeclared_variables(_ENVIRONMENTS[False].parse(source))
        self._lists: set[str] | None = None if "record" in used else used

    # -- who -------------------------------------------------------------------------------
    def _follow(self, record_id: int, path: str) -> tuple[str, int, dict[str, Any], str] | None:
        """``(table id, record id, row, last field name)`` of the record holding the last
        field of ``path``; None when a reference on the way is empty or unreadable."""
        builder = ContextBuilder(self.rt, self.user, self.locale)
        table = self.rt.config.table(self.table)
        row = builder.service(table.id).get(record_id)
        names = path.split(".")
        for name in names[:-1]:
            target = row.get(name)
            f = table.field_by_name(name)
            if target is None or not f.target:
                return None
            table = self.rt.config.table(f.target)
            try:
                row = builder.service(table.id).get(target)
            except (NotFound, PermissionDenied):  # outside the user's rows: no address
                return None
        return table.id, int(row["id"]), row, names[-1]

    def recipient(self, record_id: int) -> Recipient:
        """Who the message about ``record_id`` goes to (see the contract)."""
        t = self.template
        found = self._follow(record_id, t.address)
        address = None
        name = ""
        if found is not None:
            table_id, _rid, row, field_name = found
            value = row.get(field_name)
            address = str(value).strip() or None if value is not None else None
            name = _title(self.rt, table_id, row)
        if t.name_path:
            named = self._follow(record_id, t.name_path)
            if named is not None and named[2].get(named[3]) is not None:
                name = str(named[2][named[3]])
        opted_out, target = False, None
        if t.opt_out:
            flag = self._follow(record_id, t.opt_out)
            if flag is not None:
                table_id, rid, row, field_name = flag
                opted_out = bool(row.get(field_name))
                target = (self.rt.config.table(table_id).name, rid, field_name)
        return Recipient(record_id=record_id, name=name, address=address,
                         opted_out=opted_out, opt_out_target=target)  # fmt: skip

    # -- what ------------------------------------------------------------------------------
    def context(self, record_id: int) -> dict[str, Any]:
        """The template's context for ``record_id``: the print forms' context, its lists
        counting their steps."""
        builder = ContextBuilder(self.rt, self.user, self.locale)
        form = {"id": self.template.id, "name": self.template.name, "label": self.template.label}
        context = builder.build(self.table, record_id, form, lists=self._lists)
        record = context["record"]
        for name, _child, _via in child_lists(self.rt.config, self.table):
            if isinstance(context.get(name), list):
                context[name] = _CountedList(context[name])
                record._values[name] = context[name]
        return context

    def render(
        self,
        record_id: int,
        *,
        to: str | None = None,
        headers: Mapping[str, str] | None = None,
        attach: bool = True,
    ) -> OutgoingMessage:
        """The message about ``record_id`` (see the contract). A template that fails on this
        record raises :class:`MessageTemplateError`. ``attach=False`` leaves the print form
        out (the editor's live preview names it instead of rendering a document)."""
        context = self.context(record_id)
        name = self.template.name
        subject = " ".join(run(self._subject, context, "subject", name).split())
        body = run(self._body, context, "body", name)
        if to is None:
            to = self.recipient(record_id).address or ""
        attachments: tuple[tuple[str, str, bytes], ...] = ()
        if attach and self.template.attachment and self.channel == "email":
            attachments = (self._attachment(record_id),)
        return OutgoingMessage(
            channel=self.channel, to=to, subject=subject if self.channel == "email" else "",
            body_text=html_to_text(body) if self.html else body.strip(),
            body_html=body if self.html else None, attachments=attachments,
            headers=dict(headers or {}),
        )  # fmt: skip

    def _attachment(self, record_id: int) -> tuple[str, str, bytes]:
        from uchet.printeditor.service import PrintForms

        forms = PrintForms(self.platform, self.user, self.locale, runtime=self.rt)
        try:
            doc = forms.render(self.template.attachment or "", record_id,
                               pdf=self.template.attachment_pdf)  # fmt: skip
        except PrintError as e:
            problem = Problem("attachment", e.message)
            raise MessageTemplateError(self.template.name, e.message, [problem]) from None
        return doc.name, doc.media_type, doc.data


def _fails(source: str) -> bool:
    try:
        _ENVIRONMENTS[False].parse(source)
    except TemplateSyntaxError:
        return True
    return False


def _title(rt: Runtime, table_id: str, row: Mapping[str, Any]) -> str:
    """The title of a record: its title field, else its first text field, else ``#id``."""
    table = rt.config.table(table_id)
    name = table.field_by_id(table.title_field).name if table.title_field else next(
        (f.name for f in table.fields if f.type == "string"), None)  # fmt: skip
    value = row.get(name) if name else None
    return str(value) if value not in (None, "") else f"#{row.get('id')}"


def templates(
    platform: Platform, runtime: Runtime | None = None, fresh: bool = False
) -> list[MessageTemplate]:
    """Every message template of the platform: the configuration's and the saved ones
    (``fresh``: read the saved ones now, not from the store's short cache)."""
    rt = runtime or platform.runtime
    return effective_templates(rt.config, template_store(platform), fresh)


#: One store per platform, so its cache serves every request of the process.
_STORES: weakref.WeakKeyDictionary[Any, MessageTemplateStore] = weakref.WeakKeyDictionary()


def template_store(platform: Platform) -> MessageTemplateStore:
    """Where the templates made in the editor are kept (one store per platform)."""
    store = _STORES.get(platform)
    if store is None:
        store = _STORES[platform] = MessageTemplateStore(
            platform.engine, platform._system["uchet_state"])  # fmt: skip
    return store


def may_send(rt: Runtime, template: MessageTemplate, user: User) -> bool:
    """Whether ``user`` may send with ``template``: the ``mail`` right on its table, and one
    of its roles when it names roles."""
    table = rt.config.find_table(template.table)
    if not rt.permissions.can_mail(user, table.id):
        return False
    if template.roles and not rt.permissions.is_superuser(user):
        return bool(set(template.roles) & set(user.roles))
    return True


def prepare(
    platform: Platform,
    template_id: str,
    user: User,
    *,
    locale: str | None = None,
    runtime: Runtime | None = None,
) -> CompiledTemplate:
    """The template ``template_id`` (id or name) compiled for ``user``.

    Raises :class:`MessageTemplateError` when there is no such template or it does not
    compile, ``PermissionDenied`` when the user may not send it (no ``mail`` right on its
    table, or not one of its roles).
    """
    rt = runtime or platform.runtime
    known = templates(platform, rt, fresh=True)
    found = next((t for t in known if template_id in (t.id, t.name)), None)
    if found is None:
        raise MessageTemplateError(template_id, "there is no such message template")
    if not may_send(rt, found, user):
        raise PermissionDenied(
            f"{user.login} may not send messages about {found.table!r} with {found.name!r}"
        )
    locale = locale or user.locale or rt.config.default_locale
    return CompiledTemplate(platform, rt, found, user, locale)


def prepare_document(
    platform: Platform,
    doc: Mapping[str, Any],
    user: User,
    *,
    locale: str | None = None,
    runtime: Runtime | None = None,
) -> CompiledTemplate:
    """A template document not saved yet (the editor's preview) compiled for ``user``, with
    the same rights as :func:`prepare`; the caller checks the document first."""
    rt = runtime or platform.runtime
    template = MessageTemplate.from_document(doc)
    if not may_send(rt, template, user):
        raise PermissionDenied(f"{user.login} may not send messages about {template.table!r}")
    locale = locale or user.locale or rt.config.default_locale
    return CompiledTemplate(platform, rt, template, user, locale)
