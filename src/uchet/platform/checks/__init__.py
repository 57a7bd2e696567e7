"""Configuration checks: tables, fields, formulas, rules, roles, features, and the specs
of reports and dashboards (parsed and checked here, run by ``features``). A check reads the
configuration only; it touches no database.

May import ``model``, ``fieldtypes`` and ``formula``.
"""
