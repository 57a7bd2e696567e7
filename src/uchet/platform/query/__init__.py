"""List queries: what a name means in SQL and who may read it, filter operators, sort keys
and cursors, the checked query state (``base``), its plan, its statements, running them
(on SQLite through the driver), group counts and the statement cache. ``listquery`` ties
them together and is the only module that builds a ``ListQuery``.

May import ``model``, ``fieldtypes``, ``formula``, ``checks`` and ``schema``.
"""
