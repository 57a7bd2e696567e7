"""The vocabulary shared by message templates, channels and delivery (issue 19).

A *channel* (e-mail, SMS, a vendor's own) turns an :class:`OutgoingMessage` into a
:class:`DeliveryResult`. Channels are plug-ins: the ``uchet_register_message_channels`` hook
hands each plugin the :class:`ChannelRegistry`, as ``uchet_register_field_types`` does for
field types.

A *prepared template* (:class:`PreparedTemplate`) is a message template compiled once for a
user: it tells who a record's message goes to (:class:`Recipient`) and renders the message
for a record, within what that user may read. Delivery (the outbox, mass mailings, automatic
rules) works only through these two protocols, so it never renders or connects by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

#: A file sent with a message: (file name, MIME type "maintype/subtype", content).
Attachment = tuple[str, str, bytes]

#: How a delivery attempt ended. ``retry``: a temporary failure (a 4xx SMTP answer, a
#: timeout, a refused connection), to be tried again later; ``failed``: permanent (a 5xx
#: answer, a rejected address); ``bounced``: the server refused the recipient itself.
Outcome = Literal["sent", "retry", "failed", "bounced"]


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One message to one address, rendered and ready for its channel."""

    channel: str
    to: str
    subject: str = ""
    body_text: str = ""
    #: The HTML alternative of an e-mail; None for plain text and for SMS.
    body_html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    #: Extra headers (``List-Unsubscribe``, ``List-Unsubscribe-Post``); e-mail only.
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DeliveryResult:
    """What a channel says of one send: the outcome and, unless sent, the reason."""

    outcome: Outcome
    #: The server's or gateway's words (``550 5.1.1 no such user``), for the log.
    reason: str = ""
    #: The provider's id of the message, when it gives one.
    provider_id: str | None = None


class Channel(Protocol):
    """A way to deliver messages. Implementations must not raise for a delivery failure:
    they return a :class:`DeliveryResult` saying ``retry``, ``failed`` or ``bounced``."""

    #: The channel's name in configurations and logs: ``"email"``, ``"sms"``.
    name: str

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        """Deliver one message."""
        ...


#: Reads a channel's settings saved by the administrator (None: none saved).
SettingsSource = Callable[[str], "Mapping[str, Any] | None"]


class ChannelRegistry:
    """The channels by name; a plugin's channel of the same name replaces the built-in.

    ``settings`` (added by the templates-and-channels work) reads the settings the
    administrator saved for a channel on the «Каналы рассылки» page; a channel calls it at
    send time (``registry.settings("sms")``), so a change applies without a restart.
    """

    def __init__(self, settings: SettingsSource | None = None) -> None:
        self._channels: dict[str, Channel] = {}
        self.settings: SettingsSource = settings or (lambda name: None)

    def register(self, channel: Channel) -> None:
        """Add ``channel`` under its name (replacing one of the same name)."""
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        """The channel called ``name``, or None when none is registered (not configured)."""
        return self._channels.get(name)

    def names(self) -> list[str]:
        """The registered channels' names, sorted."""
        return sorted(self._channels)

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._channels.values())


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """Who a record's message goes to.

    ``address`` is None when the record has none (no e-mail, no phone); ``opted_out`` is
    True when the recipient asked for no mailings on this channel. Both are reasons to skip
    in a mass mailing, counted and shown before sending.
    """

    record_id: int
    name: str
    address: str | None
    opted_out: bool = False
    #: Where the opt-out is stored, so an unsubscribe link can set it:
    #: (table name, record id, field name); None when the table has no opt-out field.
    opt_out_target: tuple[str, int, str] | None = None


class PreparedTemplate(Protocol):
    """A message template compiled for one user (rights applied), reusable across records."""

    #: The template's name in the configuration, its channel and its table.
    name: str
    channel: str
    table: str

    def recipient(self, record_id: int) -> Recipient:
        """Who the message about ``record_id`` goes to. Raises the record service's
        ``PermissionDenied`` / ``NotFound`` when the user may not read the record."""
        ...

    def render(
        self, record_id: int, *, to: str | None = None, headers: Mapping[str, str] | None = None
    ) -> OutgoingMessage:
        """The message about ``record_id``, addressed to its recipient, or to ``to`` (a
        test message to oneself), with extra ``headers`` (the unsubscribe link)."""
        ...
