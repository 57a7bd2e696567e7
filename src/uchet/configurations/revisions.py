"""The database overlay: end users' changes to the configuration, kept as revisions (issue 14).

The effective configuration is ``merge(base bundle, *file overlays, database overlay)``: the
database overlay is an ordinary overlay document layered last by the same pure merge
(:mod:`uchet.configurations.overlay`). Each save is a row of ``uchet_overlay_revisions``
holding the whole document, who saved it, when, why, the configuration version it produced
and the revision the editor started from (S21, S23, S40).

Saving is all or nothing (:meth:`DatabaseOverlay.save`): the new effective configuration is
built and checked (an error names the overlay entry, nothing is written), planned by the same
planner as ``uchet migrate``, and applied by the migrator in one transaction that also records
the revision and its audit row. A save made on a revision that is no longer the latest is
refused with what changed since (:class:`StaleRevision`). Other processes notice the new
configuration version exactly as after ``uchet migrate``: by ``uchet_config``'s version.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.configurations import stored
from uchet.configurations.layers import Layers
from uchet.configurations.loader import Loaded, build_checked, parse_tree
from uchet.configurations.overlay import Overlay, merge
from uchet.configurations.overlay_diff import (
    DOCUMENT_KEYS,
    EMPTY_DOCUMENT,
    archive_dropped,
    describe_all,
    diff,
    labels_of,
)
from uchet.configurations.overlay_edit import added_field_ids, without_field
from uchet.configurations.overlay_orphans import Orphan, split_orphans
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Configuration, build_configuration, thaw
from uchet.platform.model.errors import (
    ConfigError,
    ConfigIssue,
    DestructiveChangeError,
    MigrationError,
    UchetError,
)
from uchet.platform.model.metaschema import iter_issues
from uchet.platform.records.users import User
from uchet.platform.schema import migrator
from uchet.platform.schema.operations import ConversionPolicy
from uchet.platform.schema.planner import Plan
from uchet.platform.schema.reconcile import plan_for_database
from uchet.platform.schema.system import system_table

#: ``uchet_audit.table_id`` of revision rows (``record_id`` is the revision number).
AUDIT_TABLE = "uchet_overlay_revisions"
#: ``uchet_audit.action`` of a revision.
AUDIT_ACTION = "configure"
#: What a revision records as its action.
ACTIONS = ("save", "revert", "import", "purge", "upgrade")


def overlay_file(revision: int | None) -> str:
    """The name the database overlay goes by in error messages and sources."""
    return "database overlay" if revision is None else f"database overlay, revision {revision}"


@dataclass(frozen=True)
class Revision:
    """One saved state of the database overlay."""

    number: int
    created_at: dt.datetime
    created_by: str | None
    user_id: int | None
    comment: str | None
    action: str
    overlay: Mapping[str, Any]
    config_version: int
    base_revision: int | None


class PurgeNotConfirmed(UchetError):
    """The name typed to confirm a purge is not the field's name."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"type the field's name {name!r} to confirm")


class NothingToSave(UchetError):
    """The document is the one already saved: no revision is made."""


class StaleRevision(MigrationError):
    """The save started from revision ``base`` but the database overlay is at ``current``.

    ``changes`` says, in words, what the other saves changed; the refused document is
    untouched, so nothing the user typed is lost.
    """

    def __init__(self, base: int | None, current: int | None, changes: Sequence[str]):
        self.base, self.current, self.changes = base, current, list(changes)
        listed = "; ".join(self.changes) or "nothing visible"
        super().__init__(
            f"the configuration was changed meanwhile (revision {current or 0}, "
            f"not {base or 0}): {listed}"
        )


@dataclass
class Preview:
    """What saving a document would do, computed without writing anything."""

    document: dict[str, Any]
    config: Configuration
    plan: Plan
    base_revision: int | None
    #: The changes from the latest revision's document, in words.
    changes: list[str] = field(default_factory=list)


class DatabaseOverlay:
    """The database overlay of one platform: its revisions, previews, saves and reverts."""

    def __init__(
        self,
        engine: Engine,
        loaded: Loaded,
        types: FieldTypeRegistry,
        after_apply: Callable[[Plan, int, int], None] | None = None,
    ):
        self.engine = engine
        self.loaded = loaded
        self.types = types
        self.after_apply = after_apply
        self.table = system_table(AUDIT_TABLE)
        self._audit = system_table("uchet_audit")
        self._tree, self._sources, _ = parse_tree(loaded.bundle)

    @property
    def base_tree(self) -> dict[str, Any]:
        """The bundle's tree before any overlay (stored with each applied version)."""
        return self._tree

    # -- reading ---------------------------------------------------------------------------
    def revisions(self) -> list[Revision]:
        """Every revision, newest first."""
        with self.engine.connect() as conn:
            if not self._exists(conn):
                return []
            rows = conn.execute(sa.select(self.table).order_by(self.table.c.revision.desc()))
            return [_revision(r) for r in rows]

    def get(self, number: int) -> Revision:
        """Revision ``number``; KeyError if there is none."""
        with self.engine.connect() as conn:
            row = (
                self._exists(conn)
                and conn.execute(
                    sa.select(self.table).where(self.table.c.revision == number)
                ).first()
            )
        if not row:
            raise KeyError(f"no revision {number} of the database overlay")
        return _revision(row)

    def latest(self, conn: Connection | None = None) -> Revision | None:
        """The newest revision, or None when end users changed nothing yet."""
        if conn is None:
            with self.engine.connect() as own:
                return self.latest(own)
        if not self._exists(conn):
            return None
        row = conn.execute(
            sa.select(self.table).order_by(self.table.c.revision.desc()).limit(1)
        ).first()
        return None if row is None else _revision(row)

    def document(self, revision: Revision | None = None) -> dict[str, Any]:
        """A copy of the overlay document of ``revision`` (default: the latest)."""
        revision = revision or self.latest()
        return copy.deepcopy(dict(revision.overlay) if revision else EMPTY_DOCUMENT)

    def export(self) -> dict[str, Any]:
        """The latest document as an overlay file for an integrator to keep in git."""
        revision = self.latest()
        doc = self.document(revision)
        doc["overlay"] = "database"
        if revision is not None:
            doc["description"] = f"exported from the database overlay, revision {revision.number}"
        return doc

    def effective(self, document: Mapping[str, Any], revision: int | None = None) -> Configuration:
        """The checked configuration ``base + file overlays + document``.

        Raises :class:`ConfigError` whose issues name the document's entry that is wrong
        (``database overlay:/fields/clients/0``) or the meta-schema problem.
        """
        name = overlay_file(revision)
        issues = list(iter_issues("overlay", document, name))
        if issues:
            raise ConfigError(issues)
        # Entries whose target the files no longer have are set aside, kept in the stored
        # document and listed by :meth:`orphans` (the history page): never silently dropped.
        applied, _ = split_orphans(document, self.files_ids)
        overlays = [*self.loaded.overlays, Overlay(name, applied)]
        return build_checked(
            self._tree, self._sources, overlays, self.types, set(self.loaded.bundle.files)
        )

    def effective_tree(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """The merged tree ``base + file overlays + document`` (unchecked plain data), for
        the pure edits that rewrite it (:mod:`uchet.configurations.rename`)."""
        overlays = [*self.loaded.overlays, Overlay(overlay_file(None), document)]
        return merge(self._tree, self._sources, overlays).tree

    def describe(
        self, old: Mapping[str, Any], new: Mapping[str, Any], locale: str = "ru"
    ) -> list[str]:
        """The changes from document ``old`` to ``new`` in words, objects named by label."""
        labels = labels_of(self._tree)
        for doc in (old, new):
            labels |= labels_of({"tables": doc.get("tables", ()), "forms": doc.get("forms", ()),
                                 "manifest": {}})  # fmt: skip
            for table_fields in doc.get("fields", {}).values():
                labels |= {f["id"]: f.get("label", f["name"]) for f in table_fields}
        files = self.files_layers.stages[-1][1]

        def before(target: str, prop: str) -> Any:
            return files.get(target, {}).get(prop)

        forms = {k: v for k, v in files.items() if "layout" in v}  # the files' card forms
        existing = frozenset(d["id"] for key in DOCUMENT_KEYS if key != "sections"
                             for d in self._tree.get(key, ()))  # fmt: skip
        return describe_all(old, new, labels, locale, before, forms, existing)

    # -- layers ----------------------------------------------------------------------------
    @functools.cached_property
    def files_layers(self) -> Layers:
        """The base bundle and each file overlay, merged one at a time (no database)."""
        return Layers(self._tree, self._sources, self.loaded.overlays, None)

    @functools.cached_property
    def files_ids(self) -> set[str]:
        """The ids the configuration files define (base bundle and file overlays)."""
        return set(self.files_layers.stages[-1][1])

    def layers(self, document: Mapping[str, Any] | None = None) -> Layers:
        """Every layer including the database overlay ``document`` (default: the latest),
        for :meth:`Layers.of`: a property's effective value and where it comes from."""
        doc = self.document() if document is None else document
        applied, _ = split_orphans(doc, self.files_ids)
        return Layers(self._tree, self._sources, self.loaded.overlays, applied)

    def orphans(self, document: Mapping[str, Any] | None = None) -> list[Orphan]:
        """The entries of ``document`` (default: the latest) whose target the configuration
        files no longer define: kept, not applied, and reported."""
        return split_orphans(self.document() if document is None else document,
                             self.files_ids)[1]  # fmt: skip

    # -- writing ---------------------------------------------------------------------------
    def preview(
        self, document: Mapping[str, Any], base_revision: int | None, locale: str = "ru"
    ) -> Preview:
        """Check ``document`` and plan it against the database, writing nothing.

        Raises :class:`StaleRevision` when ``base_revision`` is not the latest,
        :class:`ConfigError` when the configuration it makes is invalid, and
        :class:`NothingToSave` when it is the latest document already.
        """
        doc = copy.deepcopy(dict(document))
        with self.engine.connect() as conn:
            latest = self.latest(conn)
            self._check_base(latest, base_revision, locale, conn)
            current = self.document(latest)
            if not diff(current, doc):
                raise NothingToSave("nothing changed since the latest revision")
            # Entries set aside since an upgrade may stay; a new one naming nothing is an error.
            known = {o.target for o in self.orphans(current)}
            fresh = [o for o in self.orphans(doc) if o.target not in known]
            if fresh:
                raise ConfigError([ConfigIssue(overlay_file(None), o.pointer,
                                               f"no object with id {o.target!r}")
                                   for o in fresh])  # fmt: skip
            config = self.effective(doc)
            found = migrator.current_version(conn)
            applied = build_configuration(found[1]) if found else None
            if migrator.schema_unchanged(applied, config):
                # Only forms, lists, roles... changed (the card designer's saves): nothing to
                # reflect or migrate, so the live schema is not read (issue 15).
                plan = Plan(applied, config, (), self.types)
            else:
                plan = plan_for_database(conn, applied, config, self.types)
        return Preview(doc, config, plan, base_revision, self.describe(current, doc, locale))

    def save(
        self,
        document: Mapping[str, Any],
        *,
        base_revision: int | None,
        user: User | None = None,
        comment: str | None = None,
        action: str = "save",
        preview: Preview | None = None,
        allow_destructive: bool = False,
        on_conversion_error: ConversionPolicy = "abort",
    ) -> Revision:
        """Make ``document`` the database overlay: check, plan, apply and record it in one
        transaction, and return the new revision. On any error nothing has changed.

        ``preview`` (from :meth:`preview`, shown to the user first) is applied as it is; if
        the database moved on since, the save is refused. A plan that would lose data is
        refused (:class:`DestructiveChangeError`): the overlay hides, it never drops; only
        :meth:`purge_field` passes ``allow_destructive`` (the migrator then copies the dropped
        data to ``uchet_bak_<version>_<table>`` first). ``on_conversion_error`` is what a
        type change does with values that will not convert, as ``uchet migrate
        --on-conversion-error`` (``"abort"``, ``"set_null"``, ``("default", value)``).
        """
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        if preview is None:
            preview = self.preview(document, base_revision)
        if preview.plan.destructive and not allow_destructive:
            listed = "; ".join(op.describe() for op in preview.plan.destructive)
            raise DestructiveChangeError(
                f"this change would lose data ({listed}); hide the field or table instead",
                preview.plan.destructive,
            )
        recorded: list[Revision] = []

        def record(conn: Connection, version: int) -> None:
            # Inside the migration's transaction, after its lock: a save that raced ours and
            # committed first is seen here, and ours rolls back whole.
            latest = self.latest(conn)
            self._check_base(latest, base_revision, "ru", conn)
            number = (latest.number if latest else 0) + 1
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
            row = {
                "revision": number, "created_at": now,
                "created_by": user.login if user else None, "user_id": user.id if user else None,
                "comment": comment or None, "action": action, "overlay": preview.document,
                "config_version": version, "base_revision": base_revision,
            }  # fmt: skip
            conn.execute(self.table.insert().values(**row))
            stored.record(conn, version, base_tree=self._tree)
            before = self.document(latest)
            conn.execute(self._audit.insert().values(
                at=now, user_id=row["user_id"], user_login=row["created_by"],
                table_id=AUDIT_TABLE, record_id=number, action=AUDIT_ACTION,
                changes={"overlay": [before, preview.document], "comment": [None, comment],
                         "config_version": [None, version],
                         "summary": [None, self.describe(before, preview.document, "en")]},
            ))  # fmt: skip
            recorded.append(_revision(_Row(row)))

        source = "upgrade" if action == "upgrade" else f"overlay-{action}"
        login = user.login if user else None
        if preview.plan.is_empty and migrator.schema_unchanged(preview.plan.applied,
                                                               preview.config):  # fmt: skip
            # A layout-only revision: recorded with its configuration version, no migration.
            version = migrator.record_unchanged_schema(
                self.engine, preview.plan, preview.config, applied_by=login,
                on_applied=record, source=source,
            )  # fmt: skip
        else:
            version = migrator.apply(
                self.engine, preview.plan, preview.config, self.types, applied_by=login,
                on_applied=record, allow_destructive=allow_destructive,
                on_conversion_error=on_conversion_error, source=source,
            )  # fmt: skip
        if self.after_apply is not None:
            self.after_apply(preview.plan, version, recorded[0].number)
        return recorded[0]

    def revert(
        self, to_revision: int, *, base_revision: int | None, user: User | None = None,
        comment: str | None = None,
    ) -> Revision:  # fmt: skip
        """A new revision whose document is that of ``to_revision`` (0: no overlay at all).

        Tables and fields added since are archived (kept and hidden), not dropped, so no value
        a user entered is lost (:func:`archive_dropped`).
        """
        target = EMPTY_DOCUMENT if to_revision == 0 else self.get(to_revision).overlay
        doc = archive_dropped(self.document(), target)
        note = comment or f"revert to revision {to_revision}"
        return self.save(doc, base_revision=base_revision, user=user, comment=note,
                         action="revert")  # fmt: skip

    def import_document(
        self, document: Mapping[str, Any], *, user: User | None = None,
        comment: str | None = None,
    ) -> Revision:  # fmt: skip
        """Make an overlay file's document the database overlay, as a new revision on the
        latest one; what it lacks of the current document is archived, as by a revert."""
        issues = list(iter_issues("overlay", document, "import"))
        # A file is checked strictly: an entry naming nothing is a mistake in it.
        issues += [ConfigIssue("import", o.pointer, f"no object with id {o.target!r}")
                   for o in split_orphans(document, self.files_ids)[1]]  # fmt: skip
        if issues:
            raise ConfigError(issues)
        latest = self.latest()
        doc = archive_dropped(self.document(latest), document)
        return self.save(doc, base_revision=latest.number if latest else None, user=user,
                         comment=comment or "import", action="import")  # fmt: skip

    def purge_preview(self, field_id: str, base_revision: int | None) -> tuple[Preview, int]:
        """The preview of purging field ``field_id`` and how many values it holds.

        Only a field the database overlay added can be purged (KeyError otherwise): a field
        of the configuration files is hidden, never dropped, by an overlay.
        """
        current = self.document()
        tables = added_field_ids(current)
        if field_id not in tables:
            raise KeyError(f"{field_id!r} was not added by the database overlay")
        preview = self.preview(without_field(current, field_id), base_revision)
        applied = self.effective(current)
        table = applied.table(tables[field_id])
        column = table.field_by_id(field_id).name
        t = sa.table(table.name, sa.column(column))
        with self.engine.connect() as conn:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c[column].is_not(None))
            ).scalar_one()
        return preview, int(count)

    def purge_field(
        self, field_id: str, *, typed_name: str, base_revision: int | None,
        user: User | None = None, comment: str | None = None,
    ) -> Revision:  # fmt: skip
        """Drop field ``field_id`` (added by the database overlay) with its column and values,
        as a new revision. ``typed_name`` must be the field's name, typed by the user to
        confirm. The dropped values are copied to ``uchet_bak_<version>_<table>`` first, as
        ``uchet migrate --allow-destructive`` does."""
        tables = added_field_ids(self.document())
        if field_id not in tables:
            raise KeyError(f"{field_id!r} was not added by the database overlay")
        name = self.effective(self.document()).table(tables[field_id]).field_by_id(field_id).name
        if typed_name.strip() != name:
            raise PurgeNotConfirmed(name)
        preview, _ = self.purge_preview(field_id, base_revision)
        return self.save(preview.document, base_revision=base_revision, user=user,
                         comment=comment or f"purge {name}", action="purge", preview=preview,
                         allow_destructive=True)  # fmt: skip

    # -- helpers ---------------------------------------------------------------------------
    def _exists(self, conn: Connection) -> bool:
        return sa.inspect(conn).has_table(AUDIT_TABLE)

    def _check_base(
        self, latest: Revision | None, base: int | None, locale: str, conn: Connection
    ) -> None:
        current = latest.number if latest else None
        if (current or 0) != (base or 0):
            row = (
                base
                and conn.execute(
                    sa.select(self.table.c.overlay).where(self.table.c.revision == base)
                ).first()
            )
            old = thaw(row.overlay) if row else EMPTY_DOCUMENT
            raise StaleRevision(base, current, self.describe(old, self.document(latest), locale))


class _Row:
    """A revision row written in this transaction, read like a fetched one."""

    def __init__(self, values: Mapping[str, Any]):
        self.__dict__.update(values)


def _revision(row: Any) -> Revision:
    return Revision(
        number=row.revision, created_at=row.created_at, created_by=row.created_by,
        user_id=row.user_id, comment=row.comment, action=row.action,
        overlay=thaw(row.overlay), config_version=row.config_version,
        base_revision=row.base_revision,
    )  # fmt: skip
