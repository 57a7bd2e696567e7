"""The built-in SMS channel (issue 19): a generic HTTP gateway, set up by URL and parameters.

Most SMS providers take one HTTP request per message. The administrator describes theirs
on the «Каналы рассылки» page (or with ``UCHET_SMS_*`` environment variables):

==============  ===============================================================
``url``         the gateway's address, ``https://sms.example/send``
``method``      ``GET`` (parameters in the query) or ``POST`` (a form body, or
                JSON with ``body: "json"``)
``params``      name → value; the values may hold ``{to}``, ``{text}``, ``{login}``,
                ``{password}`` and ``{sender}``: ``{"phones": "{to}", "mes": "{text}"}``
``login``,      filled into the placeholders
``password``,
``sender``
``success``     a regular expression the answer's body must match for a sent message;
                a group named ``id`` is kept as the provider's message id
==============  ===============================================================

Outcomes: a 2xx answer matching ``success`` is ``sent``; a 2xx answer that does not match is
``failed`` with the answer's start as the reason; 408, 429 and 5xx answers, timeouts and
refused connections are ``retry``; other 4xx answers are ``failed``. A vendor whose gateway
needs more (signatures, OAuth) registers its own channel named ``sms`` through the
``uchet_register_message_channels`` hook (docs/mailing.md shows one).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from uchet.platform.messaging.contract import DeliveryResult, OutgoingMessage

TIMEOUT = 20.0
#: The placeholders a parameter value may hold.
PLACEHOLDERS = ("to", "text", "login", "password", "sender")
#: How much of a gateway's answer a reason keeps.
REASON_LENGTH = 300


@dataclass(frozen=True)
class HttpSmsSettings:
    """How to reach one HTTP SMS gateway."""

    url: str
    method: str = "POST"
    params: Mapping[str, str] = field(default_factory=dict)
    login: str = ""
    password: str = ""
    sender: str = ""
    success: str = r"."
    #: ``"form"`` (application/x-www-form-urlencoded) or ``"json"``; POST only.
    body: str = "form"


def settings_from(
    saved: Mapping[str, Any] | None, env: Mapping[str, str] | None = None
) -> HttpSmsSettings | None:
    """Gateway settings from the administrator's saved ones, else ``UCHET_SMS_*``."""
    if saved and str(saved.get("url") or "").strip():
        source: Mapping[str, Any] = saved
    else:
        env = os.environ if env is None else env
        if not env.get("UCHET_SMS_URL", "").strip():
            return None
        source = {
            "url": env["UCHET_SMS_URL"], "method": env.get("UCHET_SMS_METHOD", "POST"),
            "params": json.loads(env.get("UCHET_SMS_PARAMS") or "{}"),
            "login": env.get("UCHET_SMS_LOGIN", ""), "password": env.get("UCHET_SMS_PASSWORD", ""),
            "sender": env.get("UCHET_SMS_SENDER", ""), "success": env.get("UCHET_SMS_SUCCESS", "."),
            "body": env.get("UCHET_SMS_BODY", "form"),
        }  # fmt: skip
    return HttpSmsSettings(
        url=str(source["url"]).strip(),
        method=str(source.get("method") or "POST").upper(),
        params={str(k): str(v) for k, v in dict(source.get("params") or {}).items()},
        login=str(source.get("login") or ""),
        password=str(source.get("password") or ""),
        sender=str(source.get("sender") or ""),
        success=str(source.get("success") or "."),
        body=str(source.get("body") or "form"),
    )


def fill(value: str, values: Mapping[str, str]) -> str:
    """``value`` with each ``{name}`` of :data:`PLACEHOLDERS` replaced; nothing else is
    interpreted (``str.format`` would let a value reach attributes)."""
    for name in PLACEHOLDERS:
        value = value.replace("{" + name + "}", values.get(name, ""))
    return value


def build_request(settings: HttpSmsSettings, to: str, text: str) -> urllib.request.Request:
    """The HTTP request that asks the gateway to send ``text`` to ``to``."""
    values = {"to": to, "text": text, "login": settings.login,
              "password": settings.password, "sender": settings.sender}  # fmt: skip
    params = {name: fill(value, values) for name, value in settings.params.items()}
    url = fill(settings.url, {k: urllib.parse.quote(v, safe="") for k, v in values.items()})
    if settings.method == "GET":
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return urllib.request.Request(url, method="GET")
    if settings.body == "json":
        data = json.dumps(params, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
    else:
        data = urllib.parse.urlencode(params).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    return urllib.request.Request(url, data=data, headers=headers, method=settings.method)


def _retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


class HttpSmsChannel:
    """Sends SMS through the generic HTTP gateway; ``settings`` is read at every send."""

    name = "sms"

    def __init__(
        self, settings: Callable[[], HttpSmsSettings | None] = lambda: settings_from(None)
    ) -> None:
        self.settings = settings

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        """Deliver one SMS; failures come back as ``retry`` or ``failed``."""
        settings = self.settings()
        if settings is None:
            return DeliveryResult(outcome="failed", reason="Канал «sms» не настроен")
        try:
            pattern = re.compile(settings.success)
        except re.error as e:
            return DeliveryResult(outcome="failed", reason=f"the success pattern is wrong: {e}")
        try:
            request = build_request(settings, message.to, message.body_text)
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                status, body = response.status, response.read(64 * 1024)
        except urllib.error.HTTPError as e:
            answer = e.read(REASON_LENGTH).decode("utf-8", "replace")
            reason = f"HTTP {e.code}: {answer}".strip()
            if _retryable(e.code):
                return DeliveryResult(outcome="retry", reason=reason)
            return DeliveryResult(outcome="failed", reason=reason)
        except (urllib.error.URLError, OSError) as e:
            return DeliveryResult(outcome="retry", reason=f"{type(e).__name__}: {e}")
        except ValueError as e:  # a URL urllib cannot use
            return DeliveryResult(outcome="failed", reason=f"the gateway URL is wrong: {e}")
        text = body.decode("utf-8", "replace")
        found = pattern.search(text)
        if not 200 <= status < 300 or found is None:
            return DeliveryResult(
                outcome="failed", reason=f"HTTP {status}: {text[:REASON_LENGTH]}".strip()
            )
        provider_id = found.groupdict().get("id") if pattern.groupindex else None
        return DeliveryResult(outcome="sent", provider_id=provider_id)
