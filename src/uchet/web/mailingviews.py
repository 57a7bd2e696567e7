"""The message screens (issue 19): send from a card or a list, follow a mailing, the
record's messages, the automatic rules, and the public unsubscribe page.

``/-/mailings/new`` takes the recipients as a list has them (its filters and search in the
URL, a saved view ``view=N``, or picked rows ``ids=1,2``), shows how many will receive the
message and how many are skipped and why, a preview, and offers a test message to oneself
before sending. Mass mailings go to the job queue (``uchet worker``); a single message and a
test are sent at once. ``/-/mailings/<id>/`` shows the progress (polled by mailing.js), the
delivery log, cancel and export. ``/unsubscribe/<token>`` needs no login: the signed token
is the permission (messaging/optout.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, flash, jsonify, redirect, request, url_for
from flask_admin import Admin, BaseView, expose
from flask_babel import LazyString
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from uchet.platform.messaging import optout, outbox, rules
from uchet.platform.messaging.mailings import MASS, BadTestAddress, Mailings
from uchet.platform.messaging.rights import can_mail
from uchet.platform.messaging.sender import Sender
from uchet.platform.messaging.sources import UnknownTemplate, template_choices
from uchet.platform.model.errors import NotFound, PermissionDenied, UchetError, ValidationError
from uchet.web import prefs
from uchet.web.adminviews import SuperuserOnly
from uchet.web.auth import check_csrf, here
from uchet.web.bulkmenu import MAIL, register_source
from uchet.web.context import WebContext, ctx
from uchet.web.export import write_csv, write_xlsx
from uchet.web.liststate import ListState
from uchet.web.screen import TranslatedRender

ENDPOINT = "uchet_mailings"
#: What a skip reason and a status are called on the screens (texts_delivery.py).
REASONS = {
    outbox.NO_ADDRESS: "no address",
    outbox.OPTED_OUT: "opted out",
    outbox.NO_RIGHT: "no right to read",
}
STATUS_LABELS = {
    outbox.QUEUED: "queued",
    outbox.SENDING: "sending",
    outbox.SENT: "sent",
    outbox.FAILED: "failed",
    outbox.BOUNCED: "bounced",
    outbox.SKIPPED: "skipped",
    outbox.CANCELLED: "cancelled",
}
KIND_LABELS = {"single": "Message", "test": "Test message", "mass": "Mailing", "rule": "Rule"}
LIST_ARGS = ("q", "view", "ids")


def _selection_args() -> list[tuple[str, str]]:
    """The request's arguments that choose recipients (kept across the form's steps)."""
    return [(k, v) for k, v in request.args.items(multi=True)
            if k in LIST_ARGS or k.startswith("f.") or k == "table"]  # fmt: skip


class MailingsView(TranslatedRender, BaseView):
    """New mailings, a mailing's page, a record's messages."""

    def __init__(self, c: WebContext) -> None:
        self.c = c
        super().__init__(
            name=LazyString(lambda: c.gettext("Mailings")), endpoint=ENDPOINT, url="/-/mailings"
        )

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_visible(self) -> bool:
        return False  # reached from cards and lists

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=here()))

    def _mailings(self) -> Mailings:
        return Mailings(self.c.runtime)

    @expose("/")
    def index(self) -> Any:
        """The user's mailings, newest first (an administrator's: everyone's)."""
        c, me = self.c, self.c.user()
        mine = self._mailings().recent(None if c.is_superuser() else me.id)
        return self.render(
            "uchet/mailings.html",
            mailings=mine,
            kinds=KIND_LABELS,
            progress={m.id: self._mailings().progress(m.id) for m in mine},
        )

    # -- choosing the recipients -----------------------------------------------------------
    def _table(self) -> Any:
        try:
            return self.c.runtime.table(request.args.get("table", "")).table
        except KeyError:
            abort(404)

    def _record_ids(self, table: Any) -> list[int]:
        """The recipients' ids: picked rows, else the list's (or saved view's) filters."""
        me = self.c.user()
        raw = request.args.get("ids", "").strip()
        if raw:
            parts = raw.split(",")
            if len(parts) > 10_000 or not all(p.isdigit() and len(p) <= 18 for p in parts):
                abort(400)
            return [int(p) for p in parts]
        args = MultiDict(_selection_args())
        view_id = request.args.get("view", "")
        if view_id.isdigit() and not any(k.startswith("f.") or k == "q" for k in args):
            try:
                view = prefs.saved_views(self.c).get(int(view_id), me)
            except NotFound:
                abort(404)
            args = MultiDict(list(view.state))
        state = ListState.from_args(args)
        id_fields = {f.name for f in table.fields if f.type in ("reference", "user")}
        return self._mailings().select(
            me, table.id, filters=state.query_filters(id_fields), search=state.search or None
        )

    @expose("/new", methods=("GET", "POST"))
    def new(self) -> Any:
        if request.method == "POST":
            check_csrf()  # first: nothing below may answer a forged request differently
        c, me, table = self.c, self.c.user(), self._table()
        if not can_mail(c.runtime.permissions, me, table.id):
            abort(403)
        templates = template_choices(c.runtime, table.id)
        chosen = request.values.get("template", "") or (templates[0][0] if templates else "")
        try:
            ids = self._record_ids(table)
        except (ValidationError, PermissionDenied) as e:
            flash(c.gettext("The recipients could not be chosen: %(error)s", error=str(e)), "error")
            ids = []
        single = len(ids) == 1 and request.args.get("single") == "1"
        if request.method == "POST":
            return self._send(chosen, ids, single)
        plan, preview, problem = None, None, None
        if chosen and ids:
            try:
                plan = self._mailings().plan(chosen, me, ids)
                first = plan.recipients[0].record_id if plan.recipients else None
                if first is not None:
                    prepared = self._mailings().prepare(chosen, me)
                    preview = prepared.render(first)
            except UnknownTemplate:
                problem = c.gettext("There is no such message template.")
            except UchetError as e:
                problem = str(e)
        return self.render(
            "uchet/mailing_new.html", table=table, table_label=table.text(c.locale()),
            templates=templates, chosen=chosen, ids=ids, plan=plan, preview=preview,
            problem=problem, single=single, reasons=REASONS, my_email=me.email or "",
            query=_selection_args() + ([("single", "1")] if single else []),
        )  # fmt: skip

    def _send(self, template: str, ids: list[int], single: bool) -> Any:
        c, me, mailings = self.c, self.c.user(), self._mailings()
        action, test_to = request.form.get("action", ""), ""
        try:
            if action == "test":
                if not ids:
                    abort(400)
                test_to = request.form.get("test_to", "").strip()
                mailing_id = mailings.test(template, me, ids[0], to=test_to or None)
            elif single:
                mailing_id = mailings.single(template, me, ids[0])
            else:
                selection = {k: v for k, v in _selection_args() if k != "ids"}
                selection["count"] = str(len(ids))
                mailing_id = mailings.start(template, me, ids, kind=MASS, selection=selection)
        except UnknownTemplate:
            flash(c.gettext("There is no such message template."), "error")
            return redirect(_new_url())
        except (PermissionDenied, NotFound, ValidationError) as e:
            flash(c.gettext("Not sent: %(error)s", error=str(e)), "error")
            return redirect(_new_url())
        except BadTestAddress:
            flash(c.gettext("Not sent: «%(to)s» is not an e-mail address or a phone number.",
                            to=test_to), "error")  # fmt: skip
            return redirect(_new_url())
        if action == "test" or single:
            # One message: sent now, so the sender sees the outcome on the next page.
            Sender(c.runtime).deliver(mailing_id=mailing_id)
            done = (
                c.gettext("The test message was sent to %(to)s.", to=test_to or me.email or "—")
                if action == "test"
                else c.gettext("The message was sent.")
            )
            flash(done, "success")
        else:
            flash(c.gettext("The mailing is queued; it is sent in the background."), "success")
        return redirect(url_for(".mailing", mailing_id=mailing_id))

    # -- a mailing -------------------------------------------------------------------------
    def _visible(self, mailing_id: int) -> Any:
        mailings = self._mailings()
        try:
            mailing = mailings.get(mailing_id)
        except NotFound:
            abort(404)
        if not mailings.visible_to(mailing, self.c.user()):
            abort(404)
        return mailing

    @expose("/<int:mailing_id>/")
    def mailing(self, mailing_id: int) -> Any:
        c, mailing = self.c, self._visible(mailing_id)
        table = c.runtime.table(mailing.table_id).table
        return self.render(
            "uchet/mailing.html", mailing=mailing, progress=self._mailings().progress(mailing_id),
            log=self._mailings().log(mailing_id=mailing_id), statuses=STATUS_LABELS,
            reasons=REASONS, kinds=KIND_LABELS, table_label=table.text(c.locale()),
            templates=dict(template_choices(c.runtime, table.id)),
        )  # fmt: skip

    @expose("/<int:mailing_id>/progress")
    def progress(self, mailing_id: int) -> Any:
        mailing = self._visible(mailing_id)
        counts = self._mailings().progress(mailing_id)
        return jsonify(status=self._mailings().get(mailing.id).status, counts=counts)

    @expose("/<int:mailing_id>/cancel", methods=("POST",))
    def cancel(self, mailing_id: int) -> Any:
        check_csrf()
        self._visible(mailing_id)
        n = self._mailings().cancel(mailing_id, self.c.user())
        flash(self.c.gettext("The mailing is cancelled; %(n)s messages will not be sent.", n=n),
              "success")  # fmt: skip
        return redirect(url_for(".mailing", mailing_id=mailing_id))

    @expose("/<int:mailing_id>/export.<fmt>")
    def export(self, mailing_id: int, fmt: str) -> Any:
        self._visible(mailing_id)
        if fmt not in ("csv", "xlsx"):
            abort(404)
        return self._export(self._mailings().log(mailing_id=mailing_id, limit=1_000_000), fmt,
                            f"mailing-{mailing_id}")  # fmt: skip

    def _export(self, log: list[dict[str, Any]], fmt: str, name: str) -> Response:
        c = self.c
        headers = [c.gettext(h) for h in ("Recipient", "Address", "Status", "Reason",
                                          "Attempts", "Sent at", "Subject", "Record")]  # fmt: skip

        def rows() -> Iterator[list[Any]]:
            for r in log:
                yield [r["recipient_name"], r["address"], c.gettext(STATUS_LABELS[r["status"]]),
                       self.reason(r["reason"]), r["attempts"], r["sent_at"], r["subject"],
                       r["record_id"]]  # fmt: skip

        writer, mime = ((write_csv, "text/csv; charset=utf-8") if fmt == "csv" else
                        (write_xlsx, "application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet"))  # fmt: skip
        return Response(writer(headers, rows()), mimetype=mime, headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})  # fmt: skip

    def reason(self, reason: str | None) -> str:
        """A skip reason in the user's words; a server's own words as they are."""
        if reason in REASONS:
            return self.c.gettext(REASONS[reason])
        return reason or ""

    # -- a record's messages ---------------------------------------------------------------
    @expose("/record/<table_id>/<int:record_id>/")
    def record(self, table_id: str, record_id: int) -> Any:
        c = self.c
        try:
            table = c.runtime.table(table_id).table
            record = c.platform.records(table.id, user=c.user()).get(record_id)  # readable?
        except (KeyError, NotFound, PermissionDenied):
            abort(404)
        log = self._mailings().log(table=table.id, record_id=record_id)
        title = f"№{record_id}"
        if table.title_field and table.title_field in {f.id for f in table.fields}:
            title = str(record.get(table.field_by_id(table.title_field).name) or title)
        return self.render(
            "uchet/record_messages.html", table=table, record_id=record_id, log=log, title=title,
            statuses=STATUS_LABELS, kinds=KIND_LABELS, table_label=table.text(c.locale()),
            can_send=can_mail(c.runtime.permissions, c.user(), table.id),
            templates=dict(template_choices(c.runtime, table.id)),
        )  # fmt: skip


class MessageRulesView(SuperuserOnly):
    """The automatic message rules, each with its on/off switch (administrators only)."""

    def __init__(self, c: WebContext) -> None:
        super().__init__(c, LazyString(lambda: c.gettext("Automatic messages")),
                         "uchet_message_rules", "/-/message-rules")  # fmt: skip

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        c = self.c
        if request.method == "POST":
            check_csrf()
            try:
                rules.set_enabled(c.runtime, request.form.get("rule", ""),
                                  request.form.get("enabled") == "1", c.user())  # fmt: skip
            except KeyError:
                abort(404)
            flash(c.gettext("Saved."), "success")
            return redirect(url_for(".index"))
        found = rules.configured(c.runtime)
        return self.render(
            "uchet/message_rules.html", rules=found,
            labels={r.id: c.label(r.label, r.id) if isinstance(r.label, dict) else str(r.label)
                    for r in found},
            tables={r.id: c.runtime.table(r.table).table.text(c.locale()) for r in found},
            when={r.id: self._when(r) for r in found},
        )  # fmt: skip

    def _when(self, rule: rules.Rule) -> str:
        c = self.c
        if rule.kind == rules.BEFORE:
            return c.gettext("%(hours)s h before «%(field)s»", hours=rule.when.get("hours", 0),
                             field=rule.field)  # fmt: skip
        if rule.kind == rules.CHANGED:
            return c.gettext("when «%(field)s» becomes «%(value)s»", field=rule.field,
                             value=rule.when.get("to"))  # fmt: skip
        return c.gettext("every year on «%(field)s»", field=rule.field)


# -- the public unsubscribe page -----------------------------------------------------------
unsubscribe_bp = Blueprint("uchet_unsubscribe", __name__)


@unsubscribe_bp.route("/unsubscribe/<token>", methods=("GET", "POST"))
def unsubscribe(token: str) -> Any:
    """GET asks (mail scanners follow links; they must not unsubscribe anyone); POST, the
    page's button or a mail program's one-click (RFC 8058), sets the opt-out."""
    c = ctx()
    secret = optout.site_secret(c.platform.engine, c.runtime.model.system["uchet_state"])
    try:
        target = optout.Unsubscribe(secret).target(token)
        c.runtime.table(target[0])
    except (optout.BadUnsubscribeLink, KeyError):
        return c_render("uchet/unsubscribe.html", state="bad"), 404
    if request.method == "GET":
        return c_render("uchet/unsubscribe.html", state="ask")
    try:
        optout.apply(c.platform, target)
    except (NotFound, ValidationError, PermissionDenied):
        return c_render("uchet/unsubscribe.html", state="bad"), 404
    return c_render("uchet/unsubscribe.html", state="done")


def c_render(template: str, **kwargs: Any) -> str:
    from flask import render_template

    return render_template(template, **kwargs)


def message_links(table: Any, record: Any, page: Any) -> list[tuple[str, str, str]]:
    """(id, text, url) of the message entries of a card (send, its messages) or a list (a
    mailing to the list as filtered), for users with the ``mail`` right."""
    c = ctx()
    if not current_user.is_authenticated:
        return []
    if record is not None:
        record_id = record.get("id") if isinstance(record, dict) else getattr(record, "id", None)
        if record_id is None:
            return []
        log_url = url_for(f"{ENDPOINT}.record", table_id=table.id, record_id=record_id)
        links = [("uchet-messages-log", c.gettext("Messages"), log_url)]
        if can_mail(c.runtime.permissions, c.user(), table.id):
            links.insert(0, ("uchet-send-message", c.gettext("Send a message"), url_for(
                f"{ENDPOINT}.new", table=table.id, ids=str(record_id), single="1")))  # fmt: skip
        return links
    if page is None or not can_mail(c.runtime.permissions, c.user(), table.id):
        return []
    args = [(k, v) for k, v in request.args.items(multi=True)
            if k in ("q", "view") or k.startswith("f.")]  # fmt: skip
    return [("uchet-new-mailing", c.gettext("Mailing"),
             url_for(f"{ENDPOINT}.new", table=table.id) + "&" + _encode(args))]  # fmt: skip


def _encode(args: list[tuple[str, str]]) -> str:
    return urlencode(args)


def _new_url() -> str:
    """The new-mailing page with the same recipients."""
    return url_for(f"{ENDPOINT}.new") + "?" + urlencode(_selection_args())


def init_app(app: Flask, admin: Admin, c: WebContext) -> None:
    """Add the message screens, the public unsubscribe page and the card/list links."""
    admin.add_view(MailingsView(c))
    admin.add_view(MessageRulesView(c))
    app.register_blueprint(unsubscribe_bp)
    app.jinja_env.globals["uchet_message_links"] = message_links
    app.jinja_env.globals["uchet_message_date"] = _date
    register_source("mail", bulk_entries)  # «Рассылка…» in the list's bulk bar


def bulk_entries(c: WebContext, table: Any) -> list[tuple[str, str]]:
    """The bulk bar's «Рассылка…» entry: for users with the ``mail`` right on a table that
    has message templates; it opens the new-mailing page with the selection."""
    if not can_mail(c.runtime.permissions, c.user(), table.id):
        return []
    if not template_choices(c.runtime, table.id):
        return []
    return [(MAIL, c.gettext("Mailing…"))]


def _date(value: dt.datetime | None) -> str:
    return value.strftime("%d.%m.%Y %H:%M") if value else ""
