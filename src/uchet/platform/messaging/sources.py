"""Where delivery finds channels and templates: the Platform's registry and the plugin
hooks, or injected ones.

Delivery never renders or connects by itself (contract.py): channels are the Platform's
registry (``platform.channels``, every plugin's ``uchet_register_message_channels`` with the
administrator's saved settings, handed to each runtime as ``runtime.channels``) and templates
come from ``uchet_prepare_message_template`` (answered by the print side,
``uchet.printeditor.plugin``). Tests and embedding code may inject both instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uchet.platform.messaging.contract import ChannelRegistry, PreparedTemplate
from uchet.platform.records.users import User

#: ``prepare(name, user)``: the template ``name`` compiled for ``user``.
TemplateSource = Callable[[str, User], PreparedTemplate]


class UnknownTemplate(KeyError):
    """No plugin knows a message template of this name."""


def site_channels(runtime: Any) -> ChannelRegistry:
    """The site's channels: the Platform's registry the runtime was built with (an empty
    one for a bare runtime, whose messages then fail as «channel not set up»)."""
    channels = getattr(runtime, "channels", None)
    return channels if channels is not None else ChannelRegistry()


def hook_templates(runtime: Any) -> TemplateSource:
    """Templates prepared through the ``uchet_prepare_message_template`` hook."""

    def prepare(name: str, user: User) -> PreparedTemplate:
        found = runtime.pm.hook.uchet_prepare_message_template(
            runtime=runtime, name=name, user=user
        )
        if found is None:
            raise UnknownTemplate(name)
        return found

    return prepare


def template_choices(runtime: Any, table_id: str) -> list[tuple[str, str]]:
    """(name, label) of every template plugins offer for ``table_id``, sorted by label."""
    found = runtime.pm.hook.uchet_message_templates(runtime=runtime, table_id=table_id)
    pairs = {name: label for answer in found for name, label in (answer or ())}
    return sorted(pairs.items(), key=lambda p: p[1])
