"""Permissions (S02): table rights, field rights and row rules, from the configuration's roles.

A user's rights are the union of their roles' rights: a table action is allowed when any role
allows it; the rows visible are those matching the row rules of *any* role that grants read
(each role's own rules are ANDed). Row rules become SQL conditions, so they apply inside every
query, count and group count — never as a filter after the fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from uchet.platform.model.errors import PermissionDenied
from uchet.platform.model.i18n import Text
from uchet.platform.query.filters import OPERATORS
from uchet.platform.records.users import User

if TYPE_CHECKING:
    from uchet.platform.schema.compiler import CompiledModel, CompiledTable

ACTIONS = ("create", "read", "update", "delete")
#: Rights a role grants beyond the record actions (issue 17): ``import`` lets a role load
#: files into a table it may also create or update records of; ``export`` lets it download
#: the table's lists as files (only what it may read); ``mail`` (issue 19) lets it send
#: messages about the table's records (:meth:`Permissions.can_mail`). Off unless granted.
EXTRA_RIGHTS = ("import", "export", "mail")
RIGHTS = ACTIONS + EXTRA_RIGHTS
#: Field right levels, weakest first.
LEVELS = ("none", "read", "write")


@dataclass(frozen=True)
class RoleTableRights:
    """What one role may do with one table."""

    actions: frozenset[str]
    rows: tuple[Mapping[str, Any], ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    lookup: tuple[str, ...] = ()
    duplicates: str = "exists"


@dataclass(frozen=True)
class Access:
    """The combined rights of a user on a table."""

    actions: frozenset[str]
    #: One tuple of conditions per granting role; () inside means "all rows".
    row_rules: tuple[tuple[Mapping[str, Any], ...], ...]
    #: Field name -> "none" | "read" | "write".
    fields: Mapping[str, str]
    unrestricted: bool = False
    #: Names of fields visible on every row through lookups and duplicate checks (S25),
    #: also outside the row rules.
    lookup: frozenset[str] = frozenset()
    #: What a duplicate check shows of a record outside the rows: "exists" (only that it
    #: exists) or "lookup" (its title and lookup fields); the most open role wins.
    duplicates: str = "exists"

    def can(self, action: str) -> bool:
        """Whether ``action`` is allowed on the table at all."""
        return self.unrestricted or action in self.actions

    def readable(self) -> set[str]:
        """Names of fields the user may read."""
        return {n for n, level in self.fields.items() if level != "none"}

    def writable(self) -> set[str]:
        """Names of fields the user may write."""
        return {n for n, level in self.fields.items() if level == "write"}


def _role_rights(role: Mapping[str, Any], table_id: str) -> RoleTableRights:
    default = role.get("default", {})
    entry = role.get("tables", {}).get(table_id)
    if entry is None:
        return RoleTableRights(frozenset(a for a in RIGHTS if default.get(a, False)))
    actions = frozenset(a for a in RIGHTS if entry.get(a, default.get(a, False)))
    return RoleTableRights(
        actions,
        tuple(entry.get("rows", ())),
        dict(entry.get("fields", {})),
        tuple(entry.get("lookup", ())),
        entry.get("duplicates", "exists"),
    )


class Permissions:
    """Answers what a user may do, and turns row rules into SQL."""

    def __init__(self, model: CompiledModel):
        self.model = model
        self.config = model.config

    def is_superuser(self, user: User) -> bool:
        """Whether ``user`` holds a role marked ``"superuser": true`` (or is SYSTEM)."""
        if user.is_system:
            return True
        return any((role or {}).get("superuser") for role in map(self._role, user.roles))

    def access(self, user: User, table_id: str) -> Access:
        """The rights of ``user`` on the table ``table_id``."""
        table = self.config.table(table_id)
        names = [f.name for f in table.fields]
        roles = [self._role(r) for r in user.roles]
        if user.is_system or any(r.get("superuser") for r in roles if r):
            return Access(frozenset(RIGHTS), ((),), dict.fromkeys(names, "write"), True)
        actions: set[str] = set()
        rules: list[tuple[Mapping[str, Any], ...]] = []
        levels = dict.fromkeys(names, "none")
        by_id = {f.id: f.name for f in table.fields}
        lookup: set[str] = set()
        duplicates = "exists"
        for role in roles:
            if not role:
                continue
            rights = _role_rights(role, table_id)
            actions |= rights.actions
            lookup |= {by_id[fid] for fid in rights.lookup if fid in by_id}
            if rights.duplicates == "lookup":
                duplicates = "lookup"
            if "read" in rights.actions:
                rules.append(rights.rows)
                for f in table.fields:
                    level = rights.fields.get(
                        f.id, "write" if rights.actions & {"create", "update"} else "read"
                    )
                    if LEVELS.index(level) > LEVELS.index(levels[by_id[f.id]]):
                        levels[f.name] = level
        for f in table.fields:
            if f.read_only and levels[f.name] == "write":
                levels[f.name] = "read"
        return Access(frozenset(actions), tuple(rules), levels, lookup=frozenset(lookup),
                      duplicates=duplicates)  # fmt: skip

    def can_mail(self, user: User, table_id: str) -> bool:
        """Whether ``user`` may send e-mail and SMS about records of ``table_id`` (issue 19):
        the ``mail`` right, and reading, since a message is only ever about a readable
        record and shows only readable fields."""
        access = self.access(user, table_id)
        return access.can("mail") and access.can("read")

    def _role(self, role_id: str) -> Mapping[str, Any] | None:
        try:
            return self.config.role(role_id).data
        except KeyError:
            return None  # a role removed from the configuration grants nothing

    def require(self, user: User, table_id: str, action: str) -> Access:
        """The user's access, or :class:`PermissionDenied` when ``action`` is not allowed."""
        access = self.access(user, table_id)
        if not access.can(action):
            table = self.config.table(table_id)
            raise PermissionDenied(Text("may_not", login=user.login, action=action,
                                        table=table.name, label=table))  # fmt: skip
        return access

    def row_condition(self, user: User, ct: CompiledTable, access: Access | None = None) -> Any:
        """The SQL condition limiting ``ct`` to rows ``user`` may see (None: all rows)."""
        access = access or self.access(user, ct.table.id)
        if access.unrestricted or any(len(rules) == 0 for rules in access.row_rules):
            return None
        if not access.row_rules:
            return sa.false()
        alternatives = [
            sa.and_(*(self._condition(user, ct, rule) for rule in rules))
            for rules in access.row_rules
        ]
        return sa.or_(*alternatives)

    def conditions(self, user: User, ct: CompiledTable, rules: Iterable[Mapping[str, Any]]) -> Any:
        """The SQL of conditions in the row-rule form, all of them holding, for ``user``
        (``$user`` is their id). Row rules and fields' ``changed_by`` use it."""
        return sa.and_(sa.true(), *(self._condition(user, ct, rule) for rule in rules))

    def _condition(self, user: User, ct: CompiledTable, rule: Mapping[str, Any]) -> Any:
        if "any" in rule:  # {"any": [...]}: one of the conditions (a task of my client OR mine)
            return sa.or_(*(self._condition(user, ct, r) for r in rule["any"]))
        path = tuple(rule["field"].split("."))
        expr = self.model.path_expression(ct, path, set())
        value = rule.get("value")
        if value == "$user":
            value = user.id
        elif isinstance(value, list):
            value = [user.id if v == "$user" else v for v in value]
        return OPERATORS[rule["op"]](expr, value)
