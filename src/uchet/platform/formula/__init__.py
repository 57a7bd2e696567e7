"""The formula language: the tree, the parser, the functions and their type rules, and the
compilation of a formula to a SQLAlchemy expression (never ``eval``).

May import ``model`` and ``fieldtypes``.
"""
