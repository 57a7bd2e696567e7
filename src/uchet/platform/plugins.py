"""The plugin manager, with the built-in behaviour registered as a default plugin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

from uchet import hookspecs
from uchet.hookspecs import hookimpl
from uchet.platform.features.defaults import FeaturesPlugin
from uchet.platform.features.jobs import JobRegistry
from uchet.platform.fieldtypes import BUILTIN_TYPES, FieldTypeRegistry


class DefaultPlugin:
    """Registers the built-in field types through the same hook ISVs use."""

    @hookimpl
    def uchet_register_field_types(self, registry: FieldTypeRegistry) -> None:
        for cls in BUILTIN_TYPES:
            registry.register(cls())


def make_plugin_manager(
    plugins: Iterable[Any] = (), entry_points: bool = True
) -> pluggy.PluginManager:
    """A plugin manager with the default plugin, ``plugins`` and installed entry points."""
    pm = pluggy.PluginManager("uchet")
    pm.add_hookspecs(hookspecs)
    pm.register(DefaultPlugin(), name="uchet.default")
    pm.register(FeaturesPlugin(), name="uchet.features")
    if entry_points:
        pm.load_setuptools_entrypoints("uchet")
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
