"""The :class:`Platform`: one configuration on one database, the entry point of the library.

It ties the layers together: ``configurations`` loads and merges the bundle and overlays, and
``platform`` plans and applies schema changes and serves records. The record services always
run on the configuration version *applied* in the database, which is what the schema matches;
when another process migrates, the next call notices the new version and swaps runtimes.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from uchet.configurations import stored
from uchet.configurations.loader import Loaded, load, manifest_plugins
from uchet.configurations.overlay import Overlay
from uchet.configurations.revisions import DatabaseOverlay
from uchet.platform.features import schedules
from uchet.platform.features.dashboards import Clock, DashboardResult, run_dashboard
from uchet.platform.features.inbox import Inbox
from uchet.platform.features.jobs import Worker
from uchet.platform.features.reports import ReportResult, run_report
from uchet.platform.messaging import rules as message_rules
from uchet.platform.messaging.contract import ChannelRegistry
from uchet.platform.messaging.settings import ChannelSettingsStore
from uchet.platform.model.config import Configuration, build_configuration
from uchet.platform.model.errors import NotFound, UchetError
from uchet.platform.plugins import (
    channel_registry,
    field_type_registry,
    job_registry,
    make_plugin_manager,
)
from uchet.platform.records.audit import AuditEntry, history
from uchet.platform.records.lookup import Found
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import SYSTEM, User, UserStore
from uchet.platform.schema import migrator, planner, rollups
from uchet.platform.schema.database import create_engine, write_transaction
from uchet.platform.schema.reconcile import plan_for_database
from uchet.platform.schema.system import define_system_tables

DEFAULT_CONFIG = "sample_crm"
#: How often (seconds) a platform looks for a configuration version applied elsewhere.
VERSION_CHECK_INTERVAL = 0.5


class NotMigrated(UchetError):
    """The database holds no applied configuration yet: run ``uchet migrate`` (or ``init``)."""


#: Built-in plugins that need the Platform itself, as ``module:function(platform)``: the
#: print side's message templates offered to delivery (issue 19).
BUILTIN_PLUGIN_FACTORIES: tuple[str, ...] = ("uchet.printeditor.plugin:install",)


class Platform:
    """A configuration bound to a database. Create it with :meth:`open`."""

    def __init__(self, loaded: Loaded, engine: Engine, plugins: Iterable[Any] = ()):
        self.loaded = loaded
        self.engine = engine
        self.pm = make_plugin_manager(plugins, modules=manifest_plugins(loaded.bundle))
        for factory in BUILTIN_PLUGIN_FACTORIES:
            # By name: these live in layers above the Platform (tests/test_layers.py).
            module, _, attr = factory.partition(":")
            getattr(importlib.import_module(module), attr)(self)
        self.types = field_type_registry(self.pm)
        self.jobs = job_registry(self.pm)
        self._runtime: Runtime | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._system = define_system_tables(sa.MetaData())
        #: The administrator's settings of the message channels (issue 19).
        self.channel_settings = ChannelSettingsStore(engine, self._system["uchet_state"])
        #: The message channels (issue 19): e-mail, SMS and the plug-ins' ones.
        self.channels: ChannelRegistry = channel_registry(self.pm, self.channel_settings.get)
        #: End users' changes kept in the database, layered after the file overlays.
        self.overlay = DatabaseOverlay(engine, loaded, self.types, self._after_overlay_save)
        self._effective: tuple[int | None, Configuration] | None = None
        #: The version this process's overlay save just applied, with its configuration.
        self._just_applied: tuple[int, Configuration] | None = None

    @classmethod
    def open(
        cls,
        config: str | Path | None = None,
        database_url: str | None = None,
        overlays: Sequence[str | Path | Overlay] = (),
        plugins: Iterable[Any] = (),
        engine: Engine | None = None,
    ) -> Platform:
        """Open ``config`` (a built-in name such as ``"sample_crm"``, or a bundle path) on
        ``database_url`` (default: ``UCHET_DATABASE_URL``, else ``sqlite:///uchet.db``).

        Raises :class:`~uchet.platform.model.errors.ConfigError` listing every problem of the
        configuration.
        """
        config = config or os.environ.get("UCHET_CONFIG") or DEFAULT_CONFIG
        plugins = list(plugins)
        loaded = load(config, overlays, plugins=plugins)
        return cls(loaded, engine or create_engine(database_url), plugins)

    # -- configuration and schema ------------------------------------------------------------
    @property
    def config(self) -> Configuration:
        """The effective configuration: base bundle, file overlays, then the database overlay
        (its latest revision, as read by the last :meth:`refresh_config`)."""
        if self._effective is None:
            return self.refresh_config()
        return self._effective[1]

    def refresh_config(self) -> Configuration:
        """Read the database overlay's latest revision again and return the effective
        configuration. Raises ConfigError naming the revision's entry when the files changed
        under it (an upgrade removed what it changes): it is reported, never dropped."""
        try:
            latest = self.overlay.latest()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            latest = None  # no database yet: the files alone
        number = latest.number if latest else None
        if self._effective is None or self._effective[0] != number:
            config = (
                self.loaded.config
                if latest is None
                else self.overlay.effective(latest.overlay, number)
            )
            self._effective = (number, config)
        return self._effective[1]

    def applied(self) -> tuple[int, Configuration] | None:
        """The configuration version applied in the database, or None before the first migrate."""
        found = migrator.current_version(self.engine)
        if found is None:
            return None
        version, tree = found
        return version, build_configuration(tree)

    def plan(self) -> planner.Plan:
        """The schema changes that would bring the database to :attr:`config`."""
        applied = self.applied()
        config = applied[1] if applied else None
        self.refresh_config()
        with self.engine.connect() as conn:
            # Beyond the configurations: search tables an older uchet laid out are rebuilt
            # (terms are derived data), and owned indexes the database lacks or has defined
            # differently are made again (reconcile.py).
            return plan_for_database(conn, config, self.config, self.types)

    def migrate(
        self,
        allow_destructive: bool = False,
        on_conversion_error: Any = "abort",
        applied_by: str | None = None,
        plan: planner.Plan | None = None,
        source: str = "migrate",
    ) -> int:
        """Apply :meth:`plan` in one transaction and return the new version number.

        Destructive operations need ``allow_destructive``. Values that a type change cannot
        convert abort the migration unless ``on_conversion_error`` is ``"set_null"`` or
        ``("default", value)``. On any error the database is left exactly as it was.

        ``plan``, made by :meth:`plan` (to print it first), is applied as it is instead of
        planning again; if the database moved on since, it is refused (MigrationError).
        ``source`` is recorded with the version (``uchet config history``).
        """
        if plan is None:
            plan = self.plan()
        version = migrator.apply(
            self.engine, plan, self.config, self.types,
            allow_destructive=allow_destructive,
            on_conversion_error=on_conversion_error,
            applied_by=applied_by, source=source,
            # The bundle before overlays goes with the version: an upgrade's old base.
            on_applied=lambda conn, v: stored.record(conn, v, base_tree=self.overlay.base_tree),
        )  # fmt: skip
        self._checked_at = 0.0
        self.pm.hook.uchet_after_migrate(platform=self, plan=plan, version=version)
        return version

    def _after_overlay_save(self, plan: planner.Plan, version: int, revision: int) -> None:
        """A database overlay revision was applied: as after :meth:`migrate`. The save has
        just built and checked the configuration it applied (``plan.new``, the tree stored
        as ``version``): this process keeps it as the effective configuration and builds
        the new runtime from it, instead of building it twice more from the database (the
        designer's save and hot swap, issue 15). Other processes read it from the database."""
        self._checked_at = 0.0
        with self._lock:
            # Another process may have saved a later revision that a thread here has read
            # already: never go back to ours.
            if self._effective is None or (self._effective[0] or 0) < revision:
                self._effective = (revision, plan.new)
            self._just_applied = (version, plan.new)
        self.pm.hook.uchet_after_migrate(platform=self, plan=plan, version=version)

    # -- runtime ------------------------------------------------------------------------------
    def current_version(self) -> int | None:
        """The newest applied version number (one small indexed query)."""
        table = self._system["uchet_config"]
        try:
            with self.engine.connect() as conn:
                return conn.execute(sa.select(sa.func.max(table.c.version))).scalar()
        except sa.exc.OperationalError:
            return None  # no system tables yet
        except sa.exc.ProgrammingError:
            return None

    @property
    def runtime(self) -> Runtime:
        """The runtime of the applied version, rebuilt when another process migrates."""
        now = time.monotonic()
        rt = self._runtime
        if rt is not None and now - self._checked_at < VERSION_CHECK_INTERVAL:
            return rt
        with self._lock:
            version = self.current_version()
            self._checked_at = now
            if version is None:
                raise NotMigrated("the database has no applied configuration: run `uchet migrate`")
            if rt is None or rt.version != version:
                just, self._just_applied = self._just_applied, None
                applied = just if just is not None and just[0] == version else self.applied()
                assert applied is not None
                new = Runtime(
                    self.engine, applied[1], self.types, self.pm, applied[0], self.channels
                )
                self._runtime = new
                if rt is not None:
                    rt.dispose()
        assert self._runtime is not None
        return self._runtime

    def records(self, table: str, *, user: User, locale: str | None = None) -> RecordService:
        """The record service of ``table`` (id or name) acting as ``user``.

        There is no default user on purpose: pass :data:`uchet.SYSTEM` for CLI tasks.
        """
        if not isinstance(user, User):
            raise TypeError("records() needs user=: a User, or uchet.SYSTEM for system tasks")
        return RecordService(self.runtime, table, user, locale)

    @property
    def users(self) -> UserStore:
        """Create, find and authenticate users."""
        return UserStore(
            self.engine, self._system["uchet_users"], [r.id for r in self.config.roles]
        )

    def history(self, table: str, record_id: Any, *, user: User = SYSTEM) -> list[AuditEntry]:
        """The audit trail of a record, if ``user`` may read the record."""
        service = self.records(table, user=user)
        try:
            service.get(record_id)
        except NotFound:
            if not user.is_system:
                raise
        return history(self.runtime, service.table.id, record_id)

    # -- notifications, jobs, reports ----------------------------------------------------------
    def notifications(self, user: User) -> Inbox:
        """The in-app notifications of ``user``: ``.list()``, ``.unread_count()``,
        ``.mark_read(ids=None)``."""
        return Inbox(self.engine, self._system["uchet_notifications"], user)

    def worker(self, **options: Any) -> Worker:
        """A job worker on this database (see :class:`uchet.platform.features.jobs.Worker` for
        ``worker_id``, ``lease``, ``batch``); ``.run_once()`` or ``.run(interval)``. Each
        pass first enqueues the occasions of scheduled backups and reports that have come."""
        jobs, table = self._system["uchet_jobs"], self._system["uchet_schedules"]
        options.setdefault(
            "tickers",
            [
                lambda at: schedules.enqueue_due(self.engine, table, jobs, at),
                # Issue 19: the automatic message rules due by time (messaging/rules.py).
                lambda at: message_rules.tick(self.runtime, at),
            ],
        )
        return Worker(self.engine, jobs, self.jobs, lambda: self.runtime, **options)

    def run_jobs(self) -> int:
        """Run the jobs that are due now, once; returns how many completed."""
        return self.worker().run_once()

    def report(
        self, report_id: str, user: User, params: dict[str, Any] | None = None,
        locale: str | None = None,
    ) -> ReportResult:  # fmt: skip
        """Run a report declared in the configuration as ``user`` (row rules apply)."""
        return run_report(self.runtime, report_id, user, params, locale)

    def dashboard(
        self, user: User, dashboard_id: str | None = None, *, locale: str | None = None,
        clock: Clock | None = None,
    ) -> DashboardResult | None:  # fmt: skip
        """The dashboard ``dashboard_id`` (default: the first ``user`` may open) computed
        as ``user`` (row rules apply); None when the configuration has none for them."""
        return run_dashboard(self.runtime, user, dashboard_id, locale=locale, clock=clock)

    def recompute(self, target: str | None = None) -> dict[str, int]:
        """Compute stored rollups again from the child rows, in one transaction: all of
        them, a table's (``"invoices"``) or one (``"invoices.total"``, names or ids), with
        the stored rollups that read them. Needed only after data changed outside uchet
        (raw SQL, a restored table); returns the number of rows fixed per field id.

        Raises KeyError naming the stored rollups when ``target`` names none.
        """
        rt = self.runtime
        fields = rollups.select_fields(rt.model, target)
        with write_transaction(self.engine) as conn:
            return rollups.recompute(conn, rt.model, fields)

    def phone_lookup(self, table: str, phone: str, *, user: User) -> list[Found]:
        """Records of ``table`` with this phone (any format), also through child tables."""
        return self.records(table, user=user).find_by_phone(phone)

    def close(self) -> None:
        """Release the runtime and the engine's connections."""
        if self._runtime is not None:
            self._runtime.dispose()
            self._runtime = None
        self.engine.dispose()
