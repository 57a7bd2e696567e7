"""The built-in e-mail channel (issue 19): SMTP with STARTTLS or SSL and a login.

The administrator sets the server on the «Каналы рассылки» page (saved in ``uchet_state``,
:mod:`uchet.platform.messaging.settings`); without saved settings the ``UCHET_SMTP_*``
environment variables of :mod:`uchet.platform.features.mailer` apply.

How an SMTP answer becomes a :class:`DeliveryResult`: a 4xx answer, a refused or dropped
connection or a timeout is ``retry`` (the server may take it later); a 5xx answer is
``failed``; a 5xx refusal *of the recipient* (550 no such user, 551, 553 bad mailbox) is
``bounced``, so delivery can mark the address as dead. The channel never raises for a
delivery failure.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from uchet.platform.features.mailer import SmtpSettings, smtp_connection, smtp_settings
from uchet.platform.messaging.contract import DeliveryResult, OutgoingMessage

#: The recipient refusals that say the mailbox does not exist or cannot take mail.
BOUNCE_CODES = frozenset({550, 551, 553})
#: Seconds to wait for the server.
TIMEOUT = 30.0


def settings_from(saved: Mapping[str, Any] | None) -> SmtpSettings | None:
    """SMTP settings from the administrator's saved ones, else from the environment."""
    if not saved or not str(saved.get("host") or "").strip():
        return smtp_settings()
    ssl_on = bool(saved.get("ssl"))
    return SmtpSettings(
        host=str(saved["host"]).strip(),
        port=int(saved.get("port") or (465 if ssl_on else 25)),
        user=saved.get("user") or None,
        password=saved.get("password") or None,
        sender=saved.get("sender") or "uchet@localhost",
        starttls=bool(saved.get("starttls")),
        ssl=ssl_on,
    )


def build_email(message: OutgoingMessage, sender: str, message_id: str) -> EmailMessage:
    """The MIME message: text, the HTML alternative, attachments and extra headers.

    :class:`~email.message.EmailMessage` encodes a Cyrillic subject as an RFC 2047 word and
    a Cyrillic body as UTF-8 (quoted-printable or base64), so every mail client reads them.
    """
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, message.to, message.subject
    msg["Message-ID"] = message_id
    for name, value in message.headers.items():
        msg[name] = value
    # Quoted-printable, not raw 8-bit: every relay takes it, and Cyrillic stays UTF-8.
    msg.set_content(message.body_text or message.subject, cte="quoted-printable")
    if message.body_html is not None:
        msg.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
    for name, mime, data in message.attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=name)  # fmt: skip
    return msg


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {words}".strip()


def classify(error: Exception) -> DeliveryResult:
    """The outcome an SMTP failure means (see the module's docstring)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (550, b"refused"))
        reason = _answer(code, text)
        if code in BOUNCE_CODES:
            return DeliveryResult(outcome="bounced", reason=reason)
        return DeliveryResult(outcome="retry" if 400 <= code < 500 else "failed", reason=reason)
    if isinstance(error, smtplib.SMTPResponseException):
        reason = _answer(error.smtp_code, error.smtp_error)
        temporary = 400 <= error.smtp_code < 500
        return DeliveryResult(outcome="retry" if temporary else "failed", reason=reason)
    if isinstance(error, smtplib.SMTPNotSupportedError | ssl.SSLError):
        return DeliveryResult(outcome="failed", reason=f"{type(error).__name__}: {error}")
    if isinstance(error, smtplib.SMTPException | OSError | socket.timeout):
        # Refused or dropped connections and timeouts: the server may be back later.
        return DeliveryResult(outcome="retry", reason=f"{type(error).__name__}: {error}")
    return DeliveryResult(outcome="failed", reason=f"{type(error).__name__}: {error}")


class EmailChannel:
    """Sends :class:`OutgoingMessage` e-mails through SMTP; ``settings`` reads the current
    settings at every send, so the administrator's change applies without a restart."""

    name = "email"

    def __init__(self, settings: Callable[[], SmtpSettings | None] = smtp_settings) -> None:
        self.settings = settings

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        """Deliver one e-mail; failures come back as ``retry``, ``failed`` or ``bounced``."""
        settings = self.settings()
        if settings is None:
            return DeliveryResult(outcome="failed", reason="Канал «email» не настроен")
        message_id = make_msgid(domain=settings.sender.rpartition("@")[2] or "localhost")
        try:
            msg = build_email(message, settings.sender, message_id)
        except ValueError as error:  # a header or address the email package refuses
            return DeliveryResult(outcome="failed", reason=f"bad message: {error}")
        try:
            with smtp_connection(settings, TIMEOUT) as smtp:
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as error:
            return classify(error)
        except UnicodeError as error:  # an address smtplib cannot send (no SMTPUTF8)
            return DeliveryResult(outcome="failed", reason=f"{type(error).__name__}: {error}")
        return DeliveryResult(outcome="sent", provider_id=message_id)
