"""The database schema of a configuration: compiling it to SQLAlchemy tables and mapped
classes, the system tables, engines, schema-change operations (plain data), the planner,
the runner that owns their implementations, the data checks a plan passes first, the
migrator, reconciling with a live database, search tables and stored rollups.

May import ``model``, ``fieldtypes``, ``formula`` and ``checks``.
"""
