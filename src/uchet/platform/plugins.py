"""The plugin manager, with the built-in behaviour registered as a default plugin.

Besides the plug-ins passed in code, a plugin manager loads the installed ones: those of the
``uchet`` entry-point group, and the modules named, comma-separated, in the environment
variable ``UCHET_PLUGINS`` (a module is a plug-in through its ``@hookimpl`` functions), and
the modules a configuration's manifest names in its ``plugins`` list (``modules``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

import pluggy

from uchet import hookspecs
from uchet.hookspecs import hookimpl
from uchet.platform.features.defaults import FeaturesPlugin
from uchet.platform.features.importing.plugin import ImportLogPlugin
from uchet.platform.features.jobs import JobRegistry
from uchet.platform.fieldtypes import BUILTIN_TYPES, FieldTypeRegistry
from uchet.platform.messaging import channels_email, channels_sms
from uchet.platform.messaging.contract import ChannelRegistry, SettingsSource
from uchet.platform.messaging.plugin import MessagingPlugin
from uchet.platform.model.errors import UchetError

#: The environment variable that names plug-in modules, comma-separated.
PLUGINS_VARIABLE = "UCHET_PLUGINS"
#: Where a configuration names its plug-in modules (in error messages).
MANIFEST_PLUGINS = "the manifest's plugins"


class PluginImportError(UchetError):
    """A plug-in module named by ``UCHET_PLUGINS`` or a manifest could not be imported."""


class DefaultPlugin:
    """Registers the built-in field types through the same hook ISVs use."""

    @hookimpl
    def uchet_register_field_types(self, registry: FieldTypeRegistry) -> None:
        for cls in BUILTIN_TYPES:
            registry.register(cls())

    @hookimpl(tryfirst=True)  # first, so a plugin's channel of the same name replaces it
    def uchet_register_message_channels(self, registry: ChannelRegistry) -> None:
        # E-mail over SMTP and SMS over a generic HTTP gateway (issue 19); each reads the
        # administrator's settings at send time, the environment when none are saved.
        saved = registry.settings
        registry.register(channels_email.EmailChannel(
            lambda: channels_email.settings_from(saved("email"))))  # fmt: skip
        registry.register(channels_sms.HttpSmsChannel(
            lambda: channels_sms.settings_from(saved("sms"))))  # fmt: skip


def plugin_module_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """The module names listed in ``UCHET_PLUGINS`` (comma-separated; blanks ignored)."""
    value = (os.environ if environ is None else environ).get(PLUGINS_VARIABLE, "")
    return [name.strip() for name in value.split(",") if name.strip()]


def import_plugin_module(name: str, named_in: str = PLUGINS_VARIABLE) -> ModuleType:
    """Import the plug-in module ``name``; a failure is a :class:`PluginImportError` naming it
    (the CLI prints it as one line, not as a traceback)."""
    try:
        return importlib.import_module(name)
    except Exception as exc:  # a plug-in's own import error is reported the same way
        raise PluginImportError(
            f"the plug-in module {name!r} (named in {named_in}) cannot be imported: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def make_plugin_manager(
    plugins: Iterable[Any] = (), entry_points: bool = True, modules: Iterable[str] = ()
) -> pluggy.PluginManager:
    """A plugin manager with the default plugin, ``plugins`` and, with ``entry_points``,
    the installed plug-ins: the ``uchet`` entry-point group and the ``UCHET_PLUGINS`` modules.
    ``modules`` are the plug-in modules a configuration's manifest names (``plugins``).
    """
    pm = pluggy.PluginManager("uchet")
    pm.add_hookspecs(hookspecs)
    pm.register(DefaultPlugin(), name="uchet.default")
    pm.register(FeaturesPlugin(), name="uchet.features")
    pm.register(ImportLogPlugin(), name="uchet.imports")  # tags an import's writes
    pm.register(MessagingPlugin(), name="uchet.messaging")  # mailings and automatic rules
    if entry_points:
        pm.load_setuptools_entrypoints("uchet")
        for name in plugin_module_names():
            module = import_plugin_module(name)
            # An entry point may name the same module: register it once.
            if not pm.is_registered(module) and pm.get_plugin(name) is None:
                pm.register(module, name=name)
    for name in modules:
        module = import_plugin_module(name, MANIFEST_PLUGINS)
        if not pm.is_registered(module) and pm.get_plugin(name) is None:
            pm.register(module, name=name)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def field_type_registry(pm: pluggy.PluginManager) -> FieldTypeRegistry:
    """Collect the field types every plugin registers."""
    registry = FieldTypeRegistry()
    pm.hook.uchet_register_field_types(registry=registry)
    return registry


def job_registry(pm: pluggy.PluginManager) -> JobRegistry:
    """Collect the background job kinds every plugin registers."""
    registry = JobRegistry()
    pm.hook.uchet_register_job_kinds(registry=registry)
    return registry


def channel_registry(
    pm: pluggy.PluginManager, settings: SettingsSource | None = None
) -> ChannelRegistry:
    """Collect the message channels every plugin registers (issue 19); ``settings`` reads
    the administrator's saved channel settings. The default plugin registers first, so a
    plugin's channel of the same name replaces the built-in one."""
    registry = ChannelRegistry(settings)
    pm.hook.uchet_register_message_channels(registry=registry)
    return registry
