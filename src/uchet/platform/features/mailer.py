"""E-mail through SMTP (smtplib), configured by environment variables.

=====================  =======================================================
``UCHET_SMTP_HOST``    the server; without it no e-mail is sent (in-app only)
``UCHET_SMTP_PORT``    default 25 (465 with ``UCHET_SMTP_SSL=1``)
``UCHET_SMTP_USER``    login, when the server needs one
``UCHET_SMTP_PASSWORD``
``UCHET_SMTP_FROM``    the sender address (default ``uchet@localhost``)
``UCHET_SMTP_STARTTLS``  ``1`` to upgrade the connection with STARTTLS
``UCHET_SMTP_SSL``     ``1`` for SMTP over TLS
=====================  =======================================================
"""

from __future__ import annotations

import base64
import contextlib
import os
import smtplib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

TIMEOUT = 30.0


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    sender: str = "uchet@localhost"
    starttls: bool = False
    ssl: bool = False


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def smtp_settings(env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The SMTP settings from ``env`` (default: the process environment), or None."""
    env = os.environ if env is None else env
    host = env.get("UCHET_SMTP_HOST", "").strip()
    if not host:
        return None
    ssl = _flag(env.get("UCHET_SMTP_SSL"))
    return SmtpSettings(
        host=host,
        port=int(env.get("UCHET_SMTP_PORT") or (465 if ssl else 25)),
        user=env.get("UCHET_SMTP_USER") or None,
        password=env.get("UCHET_SMTP_PASSWORD") or None,
        sender=env.get("UCHET_SMTP_FROM") or "uchet@localhost",
        starttls=_flag(env.get("UCHET_SMTP_STARTTLS")),
        ssl=ssl,
    )


#: A file sent with a message: (file name, MIME type "maintype/subtype", content).
Attachment = tuple[str, str, bytes]


def send_mail(
    settings: SmtpSettings,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Send one plain-text message, with ``attachments`` (a scheduled report's xlsx);
    smtplib's exceptions propagate (the job is retried)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.sender, to, subject
    msg.set_content(body or subject)
    for name, mime, data in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=name)  # fmt: skip
    with smtp_connection(settings) as smtp:
        smtp.send_message(msg)


@contextlib.contextmanager
def smtp_connection(settings: SmtpSettings, timeout: float = TIMEOUT) -> Iterator[smtplib.SMTP]:
    """A connected, upgraded (STARTTLS or SSL) and logged-in SMTP session; smtplib's
    exceptions propagate, for the caller to map (the message channel, issue 19)."""
    cls = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
    with cls(settings.host, settings.port, timeout=timeout) as smtp:
        if settings.starttls and not settings.ssl:
            smtp.starttls()
        if settings.user:
            login(smtp, settings.user, settings.password or "")
        yield smtp


def login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; a login or password beyond ASCII (``пароль``) goes as UTF-8 AUTH PLAIN
    (RFC 4616), which smtplib's own ``login`` cannot send (it encodes as ASCII)."""
    try:
        smtp.login(user, password)
    except UnicodeEncodeError:
        smtp.ehlo_or_helo_if_needed()
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        code, answer = smtp.docmd("AUTH", "PLAIN " + token)
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, answer) from None
