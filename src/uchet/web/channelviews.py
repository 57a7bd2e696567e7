"""``/-/message-channels``: the administrator sets up e-mail and SMS (issue 19).

The page lists the channels registered (built-in and plug-ins'), and holds two forms: the
SMTP server (host, port, STARTTLS or SSL, login, password, sender) and the generic HTTP SMS
gateway (URL, method, parameters with ``{to}``, ``{text}``, ``{login}``, ``{password}``,
``{sender}``, success pattern). They are kept in ``uchet_state``
(:class:`~uchet.platform.messaging.settings.ChannelSettingsStore`) and apply to every process
within seconds; an empty server or URL falls back to the ``UCHET_SMTP_*`` / ``UCHET_SMS_*``
environment. A saved password is never shown back: leaving the field empty keeps it.

Each form can send a test message to an address the administrator types: the answer of the
server (sent, or the reason) is shown at once, so a wrong port or password is found here and
not in a mailing's log.
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import LazyString

from uchet.platform.messaging.contract import OutgoingMessage
from uchet.web.adminviews import SuperuserOnly
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext

OUTCOME_TEXTS = {
    "sent": "sent",
    "retry": "not sent, temporary failure",
    "failed": "not sent",
    "bounced": "not sent, the address does not exist",
}
_PARAM = re.compile(r"^\s*([^=\s][^=]*?)\s*=\s*(.*?)\s*$")


def parse_params(text: str) -> dict[str, str] | None:
    """``name=value`` lines into a dict; None when a non-empty line has no ``=``."""
    params: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _PARAM.match(line)
        if m is None:
            return None
        params[m.group(1)] = m.group(2)
    return params


class ChannelsView(SuperuserOnly):
    """The channels' settings and a test send per channel."""

    def _saved(self, name: str) -> dict[str, Any]:
        return self.c.platform.channel_settings.get(name) or {}

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        if request.method == "POST":
            check_csrf()
            self._save(request.form.get("channel", ""))
            return redirect(url_for(".index"))
        email, sms = self._saved("email"), self._saved("sms")
        params = "\n".join(f"{k}={v}" for k, v in (sms.get("params") or {}).items())
        return self.render(
            "uchet/message_channels.html",
            channels=self.c.platform.channels.names(), email=email, sms=sms, params=params,
        )  # fmt: skip

    def _save(self, channel: str) -> None:
        form = request.form
        gettext = self.c.gettext
        old = self._saved(channel)
        if channel == "email":
            port = form.get("port", "").strip()
            if port and not (port.isdigit() and 0 < int(port) < 65536):
                flash(gettext("Not saved: the port must be a number from 1 to 65535."), "error")
                return
            settings: dict[str, Any] = {
                "host": form.get("host", "").strip(), "port": int(port) if port else None,
                "security": form.get("security", "none"),
                "starttls": form.get("security") == "starttls",
                "ssl": form.get("security") == "ssl", "user": form.get("user", "").strip(),
                "password": form.get("password") or old.get("password", ""),
                "sender": form.get("sender", "").strip(),
            }  # fmt: skip
        elif channel == "sms":
            params = parse_params(form.get("params", ""))
            if params is None:
                flash(gettext("Not saved: write each parameter on its own line as name=value."),
                      "error")  # fmt: skip
                return
            try:
                re.compile(form.get("success", ""))
            except re.error as e:
                flash(gettext("Not saved: the success pattern is wrong: %(error)s", error=str(e)),
                      "error")  # fmt: skip
                return
            settings = {
                "url": form.get("url", "").strip(),
                "method": "GET" if form.get("method") == "GET" else "POST",
                "body": "json" if form.get("body") == "json" else "form", "params": params,
                "login": form.get("login", "").strip(),
                "password": form.get("password") or old.get("password", ""),
                "sender": form.get("sender", "").strip(), "success": form.get("success") or ".",
            }  # fmt: skip
            url = settings["url"]
            if url and not url.startswith(("http://", "https://")):
                flash(gettext("Not saved: the address must start with http:// or https://."),
                      "error")  # fmt: skip
                return
        else:
            flash(gettext("There is no such channel."), "error")
            return
        self.c.platform.channel_settings.save(channel, settings)
        flash(gettext("The settings are saved."), "success")

    @expose("/test/", methods=("POST",))
    def test(self) -> Any:
        """Send a test message through a channel to the address typed, and say what happened."""
        check_csrf()
        gettext = self.c.gettext
        name, to = request.form.get("channel", ""), request.form.get("to", "").strip()
        channel = self.c.platform.channels.get(name)
        if channel is None or not to:
            flash(gettext("Choose the channel and type the address to send the test to."), "error")
            return redirect(url_for(".index"))
        message = OutgoingMessage(
            channel=name, to=to, subject=gettext("Test message from uchet"),
            body_text=gettext("This is a test message: the channel is set up correctly."),
        )  # fmt: skip
        result = channel.send(message)
        outcome = gettext(OUTCOME_TEXTS.get(result.outcome, result.outcome))
        text = f"{outcome}: {result.reason}" if result.reason else outcome
        flash(text, "success" if result.outcome == "sent" else "error")
        return redirect(url_for(".index"))


def add_views(admin: Admin, c: WebContext) -> None:
    """Add «Каналы рассылки» to the administration menu."""
    admin.add_view(ChannelsView(c, LazyString(lambda: c.gettext("Message channels")),
                                "uchet_message_channels", "/-/message-channels"))  # fmt: skip
