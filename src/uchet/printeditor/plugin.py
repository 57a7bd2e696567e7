"""The message templates of the print side offered to delivery (issue 19).

Delivery (:mod:`uchet.platform.messaging`) prepares templates only through the
``uchet_prepare_message_template`` and ``uchet_message_templates`` hooks, so the engine
never imports the print editor (tests/test_layers.py). :class:`MessageTemplatesPlugin`
answers both with :mod:`uchet.printeditor.messages`: the configuration's templates and the
ones saved in the editor. The Platform registers it by name when it opens
(``uchet.core.BUILTIN_PLUGIN_FACTORIES``), so the web, the worker and scripts see the same
templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uchet.hookspecs import hookimpl
from uchet.platform.messaging.contract import PreparedTemplate
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User
from uchet.printeditor import messages

if TYPE_CHECKING:
    from uchet.core import Platform


class MessageTemplatesPlugin:
    """Answers delivery's template hooks for one platform."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    @hookimpl
    def uchet_prepare_message_template(
        self, runtime: Runtime, name: str, user: User
    ) -> PreparedTemplate | None:
        # None only for a name this side does not know, so another plugin may answer; a
        # template that does not compile or that the user may not send raises (the sender
        # records the reason on the message).
        known = messages.templates(self.platform, runtime, fresh=True)
        if not any(name in (t.id, t.name) for t in known):
            return None
        return messages.prepare(self.platform, name, user, runtime=runtime)

    @hookimpl
    def uchet_message_templates(
        self, runtime: Runtime, table_id: str
    ) -> list[tuple[str, str]] | None:
        locale = runtime.config.default_locale
        try:
            wanted = runtime.config.find_table(table_id).id
        except KeyError:
            return None
        found = []
        for t in messages.templates(self.platform, runtime):
            try:
                same = runtime.config.find_table(t.table).id == wanted
            except KeyError:  # a saved template of a table removed since
                continue
            if same:
                found.append((t.name, t.text(locale)))
        return found


def install(platform: Any) -> MessageTemplatesPlugin:
    """Register the plugin on ``platform``'s plugin manager (called when it opens)."""
    plugin = MessageTemplatesPlugin(platform)
    platform.pm.register(plugin, name="uchet.printeditor.messages")
    return plugin
