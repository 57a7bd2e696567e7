"""Every extension hook of uchet, declared once (pluggy).

Plugins implement these with ``@uchet.hookimpl``. Built-in behaviour is registered as a
default plugin (:mod:`uchet.platform.plugins`), so ISVs extend the engine through the same
doors it uses itself. A test fails when a hook here is missing from docs/architecture.md.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("uchet")
hookimpl = pluggy.HookimplMarker("uchet")


@hookspec
def uchet_register_field_types(registry: Any) -> None:
    """Register field types: call ``registry.register(MyType())``."""


@hookspec
def uchet_before_create(table: Any, values: dict[str, Any], user: Any) -> None:
    """Called before a record is inserted. ``values`` may be changed; raise to refuse."""


@hookspec
def uchet_after_create(table: Any, record: dict[str, Any], user: Any) -> None:
    """Called after a record is inserted, inside the same transaction."""


@hookspec
def uchet_before_update(
    table: Any, record_id: Any, old: dict[str, Any], values: dict[str, Any], user: Any
) -> None:
    """Called before a record is changed. ``values`` may be changed; raise to refuse."""


@hookspec
def uchet_before_insert(service: Any, conn: Any, rows: list[dict[str, Any]]) -> None:
    """Called inside the write transaction (``conn``) just before validated ``rows`` are
    inserted by ``create`` or ``create_many``; may fill values (numbers, defaults)."""


@hookspec
def uchet_after_insert(service: Any, conn: Any, records: list[dict[str, Any]]) -> None:
    """Called inside the write transaction after ``records`` (with their ids) were inserted,
    once per ``create`` or ``create_many`` call."""


@hookspec
def uchet_after_update(
    table: Any,
    old: dict[str, Any],
    record: dict[str, Any],
    user: Any,
    service: Any,
    conn: Any,
) -> None:
    """Called after a record is changed, inside the same transaction (``conn``)."""


@hookspec
def uchet_before_delete(table: Any, record: dict[str, Any], user: Any) -> None:
    """Called before a record is deleted; raise to refuse."""


@hookspec
def uchet_after_delete(
    table: Any, record: dict[str, Any], user: Any, service: Any, conn: Any
) -> None:
    """Called after a record is deleted, inside the same transaction (``conn``)."""


@hookspec
def uchet_after_migrate(platform: Any, plan: Any, version: int) -> None:
    """Called after a plan was applied and committed as configuration ``version``."""


@hookspec
def uchet_register_job_kinds(registry: Any) -> None:
    """Register background job kinds: call ``registry.register(kind, handler)``."""


@hookspec(firstresult=True)
def uchet_demo_data(platform: Any, clients: int, seed: int, echo: Any) -> Any:
    """Fill a database with demo data for ``platform``'s configuration; return a summary,
    or None when the configuration is not the plugin's."""
