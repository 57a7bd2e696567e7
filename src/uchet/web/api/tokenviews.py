"""``/-/tokens/``: personal API tokens on the screens (issue 18, point 4; S42).

Every logged-in user makes and revokes their own tokens here (the user menu links to it);
the administrator (a superuser) sees every user's tokens and makes one for any user, as
when a website or telephony integration gets an account of its own. A new token's secret
is shown once, on the page that made it; only its hash is kept. The last use is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import LazyString
from flask_login import current_user

from uchet.platform.model.errors import NotFound, ValidationError
from uchet.platform.records.tokens import ApiToken, utcnow
from uchet.web.api.callers import tokens
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext
from uchet.web.screen import TranslatedRender


class TokensView(TranslatedRender, BaseView):
    """The list of tokens with the form that makes one, and revoking."""

    def __init__(self, c: WebContext) -> None:
        self.c = c
        super().__init__(
            name=LazyString(lambda: c.gettext("API tokens")), endpoint="api_tokens", url="/-/tokens"
        )

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_visible(self) -> bool:
        return False  # reached from the user menu

    def _admin(self) -> bool:
        return self.c.is_superuser()

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        me = self.c.user()
        secret, made = None, None
        if request.method == "POST":
            check_csrf()
            secret, made = self._create(me.id)
        store = tokens(self.c)
        listed = store.of_user(None if self._admin() else me.id)
        users = {u.id: u for u in self.c.platform.users.all()} if self._admin() else {me.id: me}
        return self.render(
            "uchet/api_tokens.html",
            tokens=listed,
            users=users,
            me=me,
            is_admin=self._admin(),
            secret=secret,
            made=made,
            now=utcnow(),
            state=self._state,
            when=_when,
        )

    def _create(self, my_id: int | None) -> tuple[str | None, ApiToken | None]:
        form = request.form
        user_id = my_id
        if self._admin() and form.get("user_id"):
            if not form["user_id"].isdigit():
                abort(400)
            user_id = int(form["user_id"])
        expires = None
        if form.get("expires"):
            try:
                day = dt.date.fromisoformat(form["expires"])
            except ValueError:
                flash(self.c.gettext("The expiry date is not a date."), "error")
                return None, None
            expires = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())  # to its end
        if user_id is None:
            abort(403)
        try:
            token, secret = tokens(self.c).create(
                user_id,
                form.get("name", ""),
                read_only=bool(form.get("read_only")),
                expires_at=expires,
                created_by=my_id,
            )
        except (ValidationError, NotFound) as exc:
            flash(self.c.error_text(exc), "error")
            return None, None
        return secret, token

    @expose("/<int:token_id>/revoke/", methods=("POST",))
    def revoke(self, token_id: int) -> Any:
        check_csrf()
        try:
            tokens(self.c).revoke(token_id, user_id=None if self._admin() else self.c.user().id)
        except NotFound:
            abort(404)
        flash(self.c.gettext("The token was revoked."), "success")
        return redirect(url_for(".index"))

    def _state(self, token: ApiToken, now: dt.datetime) -> str:
        if token.revoked_at is not None:
            return self.c.gettext("Revoked")
        if token.expires_at is not None and token.expires_at <= now:
            return self.c.gettext("Expired")
        return self.c.gettext("In force")


def _when(value: dt.datetime | None) -> str:
    """A stored UTC time as the screen shows it."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"
