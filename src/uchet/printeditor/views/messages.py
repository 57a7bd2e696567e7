"""``/-/message-templates``: the message template editor (issue 19), under «Настройка».

The list shows every template (the configuration's and the ones saved here); a template's
page edits it: channel, table, where the address is, subject, body as text or simple HTML,
an attached print form. The placeholder picker offers the print forms' catalog of the
table; the preview renders the template on a chosen record on the server, as the user, with
the same code that sends (:mod:`uchet.printeditor.messages`), and counts SMS segments.
Saving checks the template like the configuration check and the print-form upload do and
keeps it in the database (:class:`~uchet.printeditor.message_templates.MessageTemplateStore`);
deleting a saved template brings back the configuration's one of the same id.

The screens are for superusers and roles with ``configure``, like the structure editor.
The preview runs as the user: a field they may not read renders empty there too.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import LazyString
from werkzeug.wrappers import Response

from uchet.formdesigner.views import ConfigureOnly
from uchet.platform.messaging.segments import sms_length
from uchet.platform.model.errors import NotFound, PermissionDenied
from uchet.platform.model.i18n import Text, localized
from uchet.platform.model.identifiers import identifier_problem
from uchet.platform.model.numbers import as_id
from uchet.printeditor.errors import Problem
from uchet.printeditor.message_templates import (
    MessageTemplate,
    MessageTemplateError,
    check_template,
    picker_entries,
)
from uchet.printeditor.messages import prepare_document, template_store, templates
from uchet.printeditor.views.support import print_forms, problem_text
from uchet.web.context import WebContext

#: Records offered by the preview's record picker.
PICKER_ROWS = 100
CHANNEL_LABELS = {"email": "E-mail", "sms": "SMS"}
_LOCATION = re.compile(r"^(?P<part>subject|body)(?:, line (?P<n>\d+))?$")
_PARTS = {
    "subject": "subject",
    "body": "body",
    "recipient.address": "address",
    "recipient.opt_out": "opt-out field",
    "recipient.name": "recipient's name",
    "attachment.print_form": "attachment",
    "channel": "channel",
    "name": "name",
}


#: (pattern of the engine's English text, message id in texts_mailtpl.py); an ``error``
#: group is translated again (the sandbox's reason inside "not allowed").
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the address (?P<path>'.*?') is a (?P<type>\w+) field; a (?P<channel>\w+) "
                r"address must be one of: (?P<types>.*)$"),
     "the address %(path)s is a %(type)s field; a %(channel)s address must be one of: "
     "%(types)s"),
    (re.compile(r"^the opt-out (?P<path>'.*?') is a (?P<type>\w+) field; it must be a yes/no "
                r"\(boolean\) field$"),
     "the opt-out %(path)s is a %(type)s field; it must be a yes/no (boolean) field"),
    (re.compile(r"^an e-mail needs a subject$"), "an e-mail needs a subject"),
    (re.compile(r"^an SMS has no (?P<what>subject|attachment)$"), "an SMS has no %(what)s"),
    (re.compile(r"^an SMS is plain text, not HTML$"), "an SMS is plain text, not HTML"),
    (re.compile(r"^no print form with id (?P<id>'.*?')$"), "no print form with id %(id)s"),
    (re.compile(r"^the print form (?P<id>'.*?') prints table (?P<table>'.*?'), not "
                r"(?P<other>'.*?')$"),
     "the print form %(id)s prints table %(table)s, not %(other)s"),
    (re.compile(r"^the template does something that is not allowed: (?P<error>.*)$"),
     "the template does something that is not allowed: %(error)s"),
    (re.compile(r"^the template repeats too much \(at most (?P<n>\d+) steps\)$"),
     "the template repeats too much (at most %(n)s steps)"),
    (re.compile(r"^the template takes longer than (?P<n>\S+) seconds$"),
     "the template takes longer than %(n)s seconds"),
    (re.compile(r"^the text is longer than (?P<n>\d+) characters$"),
     "the text is longer than %(n)s characters"),
]  # fmt: skip


class MessageTemplatesView(ConfigureOnly):
    """The list of message templates and each template's editor page."""

    def __init__(self, c: WebContext, name: Any) -> None:
        super().__init__(c, name, "uchet_message_templates", "/-/message-templates")

    # -- helpers -----------------------------------------------------------------------------
    def _all(self) -> list[MessageTemplate]:
        return templates(self.c.platform, self.c.runtime)

    def _get(self, template_id: str) -> MessageTemplate:
        found = next((t for t in self._all() if t.id == template_id), None)
        if found is None:
            abort(404)
        return found

    def problem(self, p: Problem) -> str:
        """A problem in the user's language, its place too (``текст, строка 3``)."""
        m = _LOCATION.match(p.location)
        where = p.location
        if m and m.group("n"):
            where = self.c.gettext("%(part)s, line %(n)s", part=self.c.gettext(m.group("part")),
                                   n=m.group("n"))  # fmt: skip
        elif p.location in _PARTS:
            where = self.c.gettext(_PARTS[p.location])
        message = self.message(p.message)
        return f"{where}: {message}" if where else message

    def message(self, text: str) -> str:
        """An engine message of a template in the user's language, where a pattern fits."""
        if isinstance(text, Text):
            return localized(text, self.c.locale())
        for pattern, msgid in _MESSAGES:
            m = pattern.match(text)
            if m:
                params = {k: self.message(v) if k == "error" else v
                          for k, v in m.groupdict().items()}  # fmt: skip
                return self.c.gettext(msgid, **params)
        return problem_text(self.c, Problem("", text))

    def _channels(self) -> list[tuple[str, str]]:
        names = self.c.platform.channels.names()
        return [(n, CHANNEL_LABELS.get(n, n)) for n in names]

    def _records(self, table_id: str) -> list[tuple[int, str]]:
        table = self.c.config.find_table(table_id)
        title = table.field_by_id(table.title_field).name if table.title_field else None
        try:
            rows = self.c.records(table.id).query(
                columns=[title] if title else [], limit=PICKER_ROWS, count=False,
                sort=["-id"],
            ).rows  # fmt: skip
        except PermissionDenied:
            return []
        return [(r["id"], f"{r.get(title) or ''} (#{r['id']})" if title else f"#{r['id']}")
                for r in rows]  # fmt: skip

    def _document(self, base: MessageTemplate | None) -> dict[str, Any]:
        """The template document the form describes (on top of ``base``'s other keys)."""
        form = request.form
        doc: dict[str, Any] = dict(base.data) if base is not None else {}
        table = base.table if base is not None else form.get("table", "")
        label = dict(base.label) if base is not None else {}
        label[self.c.locale()] = form.get("label", "").strip() or form.get("name", "").strip()
        doc.update(
            id=base.id if base is not None else f"mt.{form.get('name', '').strip()}",
            name=base.name if base is not None else form.get("name", "").strip(),
            label=label, channel=form.get("channel", "email"), table=table,
            body=form.get("body", ""),
        )  # fmt: skip
        recipient = {"address": form.get("address", "").strip()}
        for key in ("name", "opt_out"):
            if form.get(f"recipient_{key}", "").strip():
                recipient[key] = form[f"recipient_{key}"].strip()
        doc["recipient"] = recipient
        for key in ("subject", "format", "attachment"):
            doc.pop(key, None)
        if doc["channel"] == "email":
            doc["subject"] = form.get("subject", "")
            if form.get("format") == "html":
                doc["format"] = "html"
            if form.get("attachment"):
                doc["attachment"] = {"print_form": form["attachment"]}
                if form.get("attachment_pdf"):
                    doc["attachment"]["format"] = "pdf"
        return doc

    def _check(self, doc: dict[str, Any], new: bool) -> list[str]:
        problems = [self.problem(p) for p in check_template(self.c.config, doc, self.c.locale())]
        if new:
            name_problem = identifier_problem(doc.get("name", ""))
            if name_problem:
                problems.insert(0, self.c.gettext("Name: %(error)s", error=name_problem))
            elif any(t.name == doc["name"] or t.id == doc["id"] for t in self._all()):
                problems.insert(0, self.c.gettext("A template with this name already exists."))
        return problems

    def _page(self, template: MessageTemplate | None, doc: dict[str, Any] | None = None,
              problems: list[str] | None = None, preview: dict[str, Any] | None = None,
              status: int = 200) -> Any:  # fmt: skip
        config = self.c.config
        table_id = (doc or {}).get("table") or (template.table if template else "")
        try:
            table = config.find_table(table_id)
        except KeyError:  # a form posted with a table that is not there
            abort(404)
        forms = print_forms(self.c).available(table.id) if table is not None else []
        page = self.render(
            "uchet/message_template.html",
            tpl=template, doc=doc if doc is not None else (template.data if template else {}),
            table=table, tables=[t for t in config.tables if not t.hidden],
            channels=self._channels(), forms=forms, problems=problems or [],
            catalog=picker_entries(config, table.id, self.c.locale()) if table else [],
            records=self._records(table.id) if table else [], preview=preview,
            picked=request.values.get("record", ""),
        )  # fmt: skip
        return (page, status) if status != 200 else page

    # -- the list ------------------------------------------------------------------------------
    @expose("/")
    def index(self) -> Any:
        config = self.c.config
        rows = []
        for t in self._all():
            try:
                table_label = self.c.table_label(config.find_table(t.table))
            except KeyError:
                table_label = t.table
            rows.append((t, table_label, CHANNEL_LABELS.get(t.channel, t.channel)))
        return self.render("uchet/message_templates.html", rows=rows,
                           tables=[t for t in config.tables if not t.hidden],
                           channels=self._channels())  # fmt: skip

    # -- one template ----------------------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def new(self) -> Any:
        if request.method == "GET":
            table = request.args.get("table", "")
            if table not in {t.id for t in self.c.config.tables}:
                abort(404)
            channel = request.args.get("channel", "email")
            doc = {"table": table, "channel": channel, "recipient": {"address": ""},
                   "subject": "", "body": ""}  # fmt: skip
            return self._page(None, doc)
        doc = self._document(None)
        return self._post(None, doc)

    @expose("/<template_id>/", methods=("GET", "POST"))
    def edit(self, template_id: str) -> Any:
        template = self._get(template_id)
        if request.method == "GET":
            return self._page(template)
        return self._post(template, self._document(template))

    def _post(self, template: MessageTemplate | None, doc: dict[str, Any]) -> Any:
        if request.form.get("action") == "preview":
            preview = self.preview_of(doc, request.form.get("record", ""))
            return self._page(template, doc, preview=preview)
        problems = self._check(doc, template is None)
        if problems:
            return self._page(template, doc, problems=problems, status=422)
        template_store(self.c.platform).save(doc)
        flash(self.c.gettext("The template is saved."), "success")
        return redirect(url_for(".edit", template_id=doc["id"]))

    @expose("/preview", methods=("POST",))
    def preview(self) -> Response:
        """The live preview: the form's fields in, the rendered message out, as JSON."""
        template_id = request.form.get("template", "")
        template = self._get(template_id) if template_id else None
        doc = self._document(template)
        problems = [p for p in self._check(doc, False)]
        if problems:
            return jsonify(problems=problems)
        return jsonify(self.preview_of(doc, request.form.get("record", "")))

    @expose("/<template_id>/delete/", methods=("POST",))
    def delete(self, template_id: str) -> Any:
        template = self._get(template_id)
        if not template.stored:
            abort(404)
        template_store(self.c.platform).delete(template.id)
        flash(self.c.gettext("The saved template is deleted."), "success")
        return redirect(url_for(".index"))

    def preview_of(self, doc: dict[str, Any], record: str) -> dict[str, Any]:
        """The rendered message on ``record`` (or the reason it cannot be), as the user."""
        gettext = self.c.gettext
        record_id = as_id(record)
        if record_id is None:
            return {"problems": [gettext("Choose a record to preview the message on.")]}
        try:
            prepared = prepare_document(self.c.platform, doc, self.c.user(),
                                        locale=self.c.locale(), runtime=self.c.runtime)  # fmt: skip
            # The attachment is named, not rendered: the preview is live, a document is not.
            message = prepared.render(record_id, attach=False)
            who = prepared.recipient(record_id)
        except MessageTemplateError as e:
            return {"problems": [self.problem(p) for p in e.problems] or [e.message]}
        except PermissionDenied:
            return {"problems": [gettext("You may not send messages about this table.")]}
        except NotFound:
            return {"problems": [gettext("The record does not exist or is not available to you.")]}
        out: dict[str, Any] = {
            "to": message.to, "name": who.name, "subject": message.subject,
            "text": message.body_text, "html": message.body_html, "problems": [],
        }  # fmt: skip
        if not message.to:
            out["problems"].append(gettext("This record has no address: it would be skipped."))
        if who.opted_out:
            out["problems"].append(gettext("This recipient opted out: it would be skipped."))
        attachment = prepared.template.attachment
        if attachment:
            form = next((f for f in print_forms(self.c).all() if f.id == attachment), None)
            out["attachment"] = form.text(self.c.locale()) if form else attachment
        if doc.get("channel") == "sms":
            length = sms_length(message.body_text)
            out["sms"] = gettext(
                "%(chars)s characters, %(encoding)s: %(segments)s SMS (%(per)s per message)",
                chars=length.units, encoding=length.encoding, segments=length.segments,
                per=length.per_segment,
            )  # fmt: skip
        return out


def add_views(admin: Admin, c: WebContext) -> None:
    """Add «Шаблоны сообщений» to the «Настройка» menu."""
    admin.add_view(MessageTemplatesView(c, LazyString(lambda: c.gettext("Message templates"))))
