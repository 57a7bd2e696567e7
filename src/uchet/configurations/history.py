"""The applied configuration versions, as ``uchet config history`` and the web show them.

Every version the migrator applies is a row of ``uchet_config``: when, by whom, from what
(``source``), the counts of what changed (``summary``) and the whole tree. This module reads
them, newest first, and names the sources in words. A database made by an older release may
lack the newer columns until its next migrate (schema/system_columns.py): they read as None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.schema.config_summary import summary_text
from uchet.platform.schema.system import define_system_tables

#: Sources in words. A source not listed (a plug-in's own) is shown as it is stored.
SOURCES: dict[str, dict[str, str]] = {
    "migrate": {"en": "migrate (CLI)", "ru": "миграция (командная строка)"},
    "init": {"en": "init (CLI)", "ru": "инициализация (командная строка)"},
    "overlay-save": {"en": "structure editor", "ru": "редактор структуры"},
    "overlay-revert": {"en": "structure editor: revert", "ru": "редактор структуры: возврат"},
    "overlay-import": {"en": "overlay import", "ru": "импорт дополнения"},
    "overlay-purge": {"en": "structure editor: purge", "ru": "редактор структуры: удаление"},
    "upgrade": {"en": "upgrade to a new base", "ru": "обновление базовой конфигурации"},
    "rollback": {"en": "rollback", "ru": "откат"},
}
UNKNOWN_SOURCE = {"en": "unknown", "ru": "неизвестно"}

#: The optional columns, read when the database has them (a database not migrated since
#: an upgrade of uchet lacks them; ``upgrade_report`` comes with the 3-way upgrade).
OPTIONAL: dict[str, sa.types.TypeEngine[Any]] = {
    "source": sa.String(50),
    "summary": sa.JSON(),
    "upgrade_report": sa.JSON(),
}


@dataclass(frozen=True)
class AppliedVersion:
    """One row of ``uchet_config``, without its tree (read it with :func:`version_tree`)."""

    version: int
    applied_at: dt.datetime
    applied_by: str | None
    name: str
    bundle_version: str
    source: str | None
    summary: Mapping[str, Mapping[str, int]] | None
    plan: list[str]
    #: The report of an upgrade (issue 16 point 4), when the version has one.
    upgrade_report: Any = None

    def source_text(self, locale: str = "en") -> str:
        """The source in words."""
        lang = "ru" if locale.startswith("ru") else "en"
        if self.source is None:
            return UNKNOWN_SOURCE[lang]
        return SOURCES.get(self.source, {}).get(lang, self.source)

    def summary_text(self, locale: str = "en") -> str:
        """What the version changed, in one line (empty for versions recorded before the
        counts were kept)."""
        return summary_text(self.summary, locale)


def _table() -> sa.Table:
    return define_system_tables(sa.MetaData())["uchet_config"]


def _present(conn: Connection) -> set[str] | None:
    inspector = sa.inspect(conn)
    if not inspector.has_table("uchet_config"):
        return None
    return {c["name"] for c in inspector.get_columns("uchet_config")}


def applied_versions(engine: Engine, limit: int | None = None) -> list[AppliedVersion]:
    """The applied versions, newest first (``limit`` of them); empty before the first migrate."""
    table = _table()
    with engine.connect() as conn:
        present = _present(conn)
        if present is None:
            return []
        fixed = ("version", "applied_at", "applied_by", "name", "bundle_version", "plan")
        columns: list[sa.ColumnElement[Any]] = [table.c[name] for name in fixed]
        columns += [sa.column(name, type_) for name, type_ in OPTIONAL.items() if name in present]
        query = sa.select(*columns).select_from(table).order_by(table.c.version.desc())
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).mappings().all()
    return [
        AppliedVersion(
            version=r["version"],
            applied_at=r["applied_at"],
            applied_by=r["applied_by"],
            name=r["name"],
            bundle_version=r["bundle_version"],
            source=r.get("source"),
            summary=r.get("summary"),
            plan=list(r["plan"] or ()),
            upgrade_report=r.get("upgrade_report"),
        )
        for r in rows
    ]


def version_tree(conn_or_engine: Connection | Engine, version: int) -> dict[str, Any]:
    """The configuration tree stored with ``version``; KeyError if there is no such version."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return version_tree(conn, version)
    table = _table()
    row = None
    if _present(conn_or_engine) is not None:
        row = conn_or_engine.execute(
            sa.select(table.c.tree).where(table.c.version == version)
        ).first()
    if row is None:
        raise KeyError(f"no configuration version {version} in the database")
    return dict(row.tree)
