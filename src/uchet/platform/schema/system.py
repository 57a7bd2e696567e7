"""The engine's own tables (``uchet_*``): applied configurations, users, files and audit.

They are defined per MetaData so that every compiled configuration version can reference
them (a ``user`` field is a foreign key to ``uchet_users``) from its own fresh registry.
"""

from __future__ import annotations

import functools

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from uchet.platform.schema.system_api import API_TABLE_NAMES, define_api_tables
from uchet.platform.schema.system_imports import IMPORT_TABLE_NAMES, define_import_tables
from uchet.platform.schema.system_jobs import JOB_TABLE_NAMES, define_job_tables
from uchet.platform.schema.system_messaging import (
    MESSAGING_TABLE_NAMES,
    define_messaging_tables,
)
from uchet.platform.schema.system_schedules import (
    SCHEDULE_TABLE_NAMES,
    define_schedule_tables,
)

#: Integer primary keys: BIGINT on PostgreSQL, and INTEGER on SQLite, where only "INTEGER
#: PRIMARY KEY" aliases the rowid (and so autoincrements).
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")

#: The layout of the ``uchet_*`` tables, written into every backup (issue 20): raise it when
#: a change to these tables means an older uchet could not work on a newer database, so a
#: restore refuses a backup made by a newer layout than the code knows.
SYSTEM_SCHEMA_VERSION = 1

SYSTEM_TABLE_NAMES = (
    "uchet_config",
    "uchet_users",
    "uchet_files",
    "uchet_audit",
    "uchet_state",
    "uchet_prefs",
    "uchet_saved_views",
    "uchet_login_failures",
    "uchet_sessions",
    "uchet_print_forms",
    "uchet_print_templates",
    "uchet_overlay_revisions",
    *JOB_TABLE_NAMES,
    *API_TABLE_NAMES,
    *IMPORT_TABLE_NAMES,
    *SCHEDULE_TABLE_NAMES,
    *MESSAGING_TABLE_NAMES,
)


def define_system_tables(metadata: MetaData) -> dict[str, Table]:
    """Add the system tables to ``metadata`` and return them by name."""
    config = Table(
        "uchet_config",
        metadata,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("applied_at", DateTime, nullable=False),
        Column("applied_by", String(100)),
        Column("name", String(100), nullable=False),
        Column("bundle_version", String(50), nullable=False),
        Column("tree", JSON, nullable=False),
        Column("checksum", String(64), nullable=False),
        Column("plan", JSON),
        Column("base_tree", JSON),  # the bundle before overlays: an upgrade's old base
        Column("upgrade_report", JSON),  # the merge report of `uchet config upgrade`
        # Issue 16: where the version came from (``migrate``, ``init``, ``overlay-save``,
        # ``rollback``...) and what it changed, counted (see schema/config_summary.py).
        Column("source", String(50)),
        Column("summary", JSON),
    )
    users = Table(
        "uchet_users",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("login", String(100), nullable=False, unique=True),
        Column("name", String(200), nullable=False),
        Column("email", String(254)),
        Column("password_hash", String(255)),
        Column("roles", JSON, nullable=False),
        Column("locale", String(10)),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_at", DateTime, nullable=False),
    )
    files = Table(
        "uchet_files",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("table_id", String(100), nullable=False),
        Column("field_id", String(100), nullable=False),
        Column("name", String(255), nullable=False),
        Column("content_type", String(100), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", BigInteger, ForeignKey("uchet_users.id", ondelete="SET NULL")),
    )
    audit = Table(
        "uchet_audit",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("at", DateTime, nullable=False),
        Column("user_id", BigInteger),
        Column("user_login", String(100)),
        Column("table_id", String(100), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("action", String(10), nullable=False),
        Column("changes", JSON, nullable=False),
        Index("ix_uchet_audit_record", "table_id", "record_id", "id"),
    )
    state = Table(
        "uchet_state",
        metadata,
        Column("key", String(100), primary_key=True),
        Column("value", Text),
    )
    # Per-user (user_id set) or per-role (role set) settings of a screen, such as a list's
    # columns, order and widths: the web layer reads user, then role, then the configuration.
    prefs = Table(
        "uchet_prefs",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("user_id", BigInteger, ForeignKey("uchet_users.id", ondelete="CASCADE")),
        Column("role", String(100)),
        Column("table_id", String(100), nullable=False),
        Column("key", String(100), nullable=False),
        Column("value", JSON, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Index("ix_uchet_prefs_owner", "table_id", "key", "user_id", "role", unique=True),
    )
    # Named list views (filters, sort, columns, grouping): private to the owner, or shared
    # with everyone (shared_with "*") or with one role (shared_with = role id).
    saved_views = Table(
        "uchet_saved_views",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("table_id", String(100), nullable=False),
        Column("name", String(200), nullable=False),
        Column("owner_id", BigInteger, ForeignKey("uchet_users.id", ondelete="CASCADE")),
        Column("shared_with", String(100)),
        Column("state", JSON, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Index("ix_uchet_saved_views_table", "table_id", "owner_id"),
    )
    # Failed logins, for throttling across every web process (S01).
    login_failures = Table(
        "uchet_login_failures",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("login", String(100), nullable=False),
        Column("address", String(64)),
        Column("at", DateTime, nullable=False),
        Index("ix_uchet_login_failures_login", "login", "at"),
    )
    # A user's session generation (issue 13): every session cookie carries the generation it
    # was issued under, and one older than the stored value is refused. Logout, a new
    # password, new roles and deactivation bump it. A table of its own rather than a column
    # of uchet_users, so an existing database gets it from ensure_system_tables on migrate.
    sessions = Table(
        "uchet_sessions",
        metadata,
        Column("user_id", BigInteger, ForeignKey("uchet_users.id", ondelete="CASCADE"),
               primary_key=True, autoincrement=False),
        Column("generation", BigInteger, nullable=False),
        Column("ended_at", DateTime),
    )  # fmt: skip
    print_forms, print_templates = _print_form_tables(metadata)
    # The database overlay (issue 14, S21/S23/S40): end users' changes to the configuration,
    # one row per save. ``overlay`` is the whole database overlay document after the save
    # (so any revision can be restored as it is), ``config_version`` the uchet_config version
    # the save produced, and ``base_revision`` the revision the editor started from.
    revisions = Table(
        "uchet_overlay_revisions",
        metadata,
        Column("revision", Integer, primary_key=True, autoincrement=False),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", String(100)),
        Column("user_id", BigInteger),
        Column("comment", String(500)),
        Column("action", String(10), nullable=False),
        Column("overlay", JSON, nullable=False),
        Column("config_version", Integer, nullable=False),
        Column("base_revision", Integer),
    )
    tables = (config, users, files, audit, state, prefs, saved_views, login_failures,
              sessions, print_forms, print_templates, revisions)  # fmt: skip
    return (
        {t.name: t for t in tables}
        | define_job_tables(metadata, ID_TYPE)
        | define_api_tables(metadata, ID_TYPE)
        | define_import_tables(metadata, ID_TYPE)
        | define_schedule_tables(metadata, ID_TYPE)
        | define_messaging_tables(metadata, ID_TYPE)
    )


def _print_form_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Print forms made by users (``uchet.printeditor``) and every template version uploaded.

    Bundle print forms live in the configuration; these are the ones people create in the
    running system (S38). Every upload is a new row of ``uchet_print_templates`` and is kept,
    so any earlier version can be restored.
    """
    forms = Table(
        "uchet_print_forms",
        metadata,
        Column("id", String(100), primary_key=True),
        Column("name", String(63), nullable=False, unique=True),
        Column("label", JSON, nullable=False),
        Column("table_id", String(100), nullable=False),
        Column("kind", String(10), nullable=False),
        Column("output_name", String(500)),
        Column("roles", JSON, nullable=False),
        Column("version", Integer, nullable=False),
        Column("based_on", String(100)),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", BigInteger),
        Column("updated_at", DateTime, nullable=False),
    )
    templates = Table(
        "uchet_print_templates",
        metadata,
        Column(
            "form_id",
            String(100),
            ForeignKey("uchet_print_forms.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("file_name", String(255), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("note", String(500)),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", BigInteger),
    )
    return forms, templates


@functools.cache
def _shared_tables() -> dict[str, Table]:
    return dict(define_system_tables(MetaData()))


def system_table(name: str) -> Table:
    """The ``uchet_*`` table ``name`` for building statements, defined once per process.

    Defining all system tables takes a noticeable part of a small save (a tenth of a second
    per call on a loaded machine, issue 15's profile); the definitions never change, so the
    statements of hot paths (the configuration version, the overlay's revisions) share one.
    """
    return _shared_tables()[name]
