"""Print forms people make in the running system, and every template version they upload.

They live in two system tables (declared in :mod:`uchet.platform.schema.system`):
``uchet_print_forms`` holds a form's settings and its current version number;
``uchet_print_templates`` holds every uploaded template, never overwritten. Restoring an
old version adds it again as the newest, so the history stays a straight line and nothing
is ever lost.

Each change is one transaction: a form is never stored without its template, and a
version never becomes current halfway. Checking a template happens before (in
:class:`~uchet.printeditor.service.PrintForms`), so a broken one never reaches here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.model.errors import NotFound
from uchet.platform.schema.database import write_transaction
from uchet.platform.schema.system import define_system_tables


@dataclass(frozen=True)
class Version:
    """One uploaded template of a form."""

    version: int
    file_name: str
    size: int
    sha256: str
    created_at: dt.datetime
    created_by: int | None
    note: str | None
    current: bool


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@functools.cache
def _system_tables() -> dict[str, sa.Table]:
    """The system tables in one process-wide MetaData (issue 12).

    A store is made per request (the Print menu of every list and card); building fresh
    ``Table`` objects each time cost a sixth of a list page's CPU, and since a ``Table`` is
    part of a compiled statement's cache key by identity, every request also added an entry
    pinning a whole MetaData to the engine's statement cache. The system tables do not
    depend on the configuration, so one copy serves every version. Nothing may be added to
    this MetaData.
    """
    return define_system_tables(sa.MetaData())


#: Engines whose database is known to have the print-form tables.
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


class PrintFormStore:
    """Reads and writes ``uchet_print_forms`` and ``uchet_print_templates``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        tables = _system_tables()
        self.forms = tables["uchet_print_forms"]
        self.templates = tables["uchet_print_templates"]

    def _ensure(self) -> None:
        """Create the tables in a database migrated before print forms existed (once per
        engine: a store is made per request, and the check costs a query per table)."""
        if self.engine not in _READY:
            with self.engine.begin() as conn:
                self.forms.metadata.create_all(
                    conn, tables=[self.forms, self.templates], checkfirst=True
                )
            _READY.add(self.engine)

    # -- reading --------------------------------------------------------------------------
    def all(self) -> list[dict[str, Any]]:
        """Every stored form's settings, by name."""
        self._ensure()
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(self.forms).order_by(self.forms.c.name)).mappings()
            return [dict(r) for r in rows]

    def get(self, form_id: str) -> dict[str, Any] | None:
        """One form's settings, or None."""
        self._ensure()
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(self.forms).where(self.forms.c.id == form_id))
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def template(self, form_id: str, version: int | None = None) -> tuple[str, bytes, int]:
        """``(file name, bytes, version)`` of the current (or a given) template version."""
        self._ensure()
        with self.engine.connect() as conn:
            if version is None:
                version = conn.execute(
                    sa.select(self.forms.c.version).where(self.forms.c.id == form_id)
                ).scalar()
            row = conn.execute(
                sa.select(self.templates.c.file_name, self.templates.c.data).where(
                    self.templates.c.form_id == form_id, self.templates.c.version == version
                )
            ).first()
        if row is None or version is None:
            raise NotFound(f"print form {form_id!r} has no template version {version}")
        return row.file_name, bytes(row.data), int(version)

    def versions(self, form_id: str) -> list[Version]:
        """Every version of a form's template, newest first."""
        form = self.get(form_id)
        if form is None:
            raise NotFound(f"no stored print form {form_id!r}")
        t = self.templates
        columns = [
            t.c.version,
            t.c.file_name,
            t.c.size,
            t.c.sha256,
            t.c.created_at,
            t.c.created_by,
            t.c.note,
        ]
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*columns).where(t.c.form_id == form_id).order_by(t.c.version.desc())
            ).all()
        return [
            Version(
                r.version,
                r.file_name,
                r.size,
                r.sha256,
                r.created_at,
                r.created_by,
                r.note,
                current=r.version == form["version"],
            )
            for r in rows
        ]

    # -- writing --------------------------------------------------------------------------
    def _insert_version(
        self,
        conn: Connection,
        form_id: str,
        version: int,
        file_name: str,
        data: bytes,
        user_id: int | None,
        note: str | None,
    ) -> None:
        conn.execute(
            self.templates.insert().values(
                form_id=form_id,
                version=version,
                file_name=file_name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
                note=note,
                created_at=_now(),
                created_by=user_id,
            )
        )

    def create(
        self, settings: Mapping[str, Any], file_name: str, data: bytes, user_id: int | None
    ) -> None:
        """Store a new form with its first template version, in one transaction."""
        self._ensure()
        now = _now()
        with write_transaction(self.engine) as conn:
            conn.execute(
                self.forms.insert().values(
                    **settings, version=1, created_at=now, created_by=user_id, updated_at=now
                )
            )
            self._insert_version(conn, settings["id"], 1, file_name, data, user_id, "created")

    def add_version(
        self, form_id: str, file_name: str, data: bytes, user_id: int | None, note: str | None
    ) -> int:
        """Store a new template version and make it current; returns its number."""
        self._ensure()
        t = self.templates
        with write_transaction(self.engine) as conn:
            last = conn.execute(
                sa.select(sa.func.max(t.c.version)).where(t.c.form_id == form_id)
            ).scalar()
            if last is None:
                raise NotFound(f"no stored print form {form_id!r}")
            version = int(last) + 1
            self._insert_version(conn, form_id, version, file_name, data, user_id, note)
            conn.execute(
                self.forms.update()
                .where(self.forms.c.id == form_id)
                .values(version=version, updated_at=_now())
            )
        return version

    def update(self, form_id: str, **settings: Any) -> None:
        """Change a form's settings (label, roles, output name...)."""
        self._ensure()
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                self.forms.update()
                .where(self.forms.c.id == form_id)
                .values(**settings, updated_at=_now())
            ).rowcount
        if done != 1:
            raise NotFound(f"no stored print form {form_id!r}")

    def delete(self, form_id: str) -> None:
        """Remove a form and all its versions."""
        self._ensure()
        with write_transaction(self.engine) as conn:
            conn.execute(self.templates.delete().where(self.templates.c.form_id == form_id))
            done = conn.execute(self.forms.delete().where(self.forms.c.id == form_id)).rowcount
        if done != 1:
            raise NotFound(f"no stored print form {form_id!r}")
