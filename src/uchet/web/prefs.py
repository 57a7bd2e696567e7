"""A list's layout per user (S05, S06): which columns, in what order, how wide.

Precedence, per setting: the URL (``cols=``, temporary), then the user's own saved value,
then the default saved for one of the user's roles (an administrator saves it), then the
configuration's ``list.columns``. Values live in ``uchet_prefs`` through
:class:`uchet.platform.features.preferences.Preferences`; this module only knows what a list keeps
there and who may write what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uchet.platform.features.preferences import Preferences, names_list, widths_map
from uchet.platform.features.saved_views import SavedViews
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.records.users import User
from uchet.web.context import WebContext

COLUMNS, WIDTHS = "list.columns", "list.widths"
LIST_KEYS = (COLUMNS, WIDTHS)


def preferences(c: WebContext) -> Preferences:
    """The preference store of the app's database."""
    return Preferences(c.runtime.engine, c.runtime.model.system["uchet_prefs"])


def saved_views(c: WebContext) -> SavedViews:
    """The saved-view store, knowing the configuration's role ids."""
    table = c.runtime.model.system["uchet_saved_views"]
    return SavedViews(c.runtime.engine, table, [r.id for r in c.config.roles])


def is_admin(c: WebContext, user: User) -> bool:
    """Whether ``user`` has a superuser role (MAIN): may set role defaults and manage views."""
    for role_id in user.roles:
        try:
            if c.config.role(role_id).data.get("superuser"):
                return True
        except KeyError:
            continue
    return bool(user.is_system)


@dataclass(frozen=True)
class ListLayout:
    """The effective columns and widths of one list for one user."""

    columns: list[str] | None  # None: the configuration's default
    widths: dict[str, int] = field(default_factory=dict)
    #: Where the columns came from: "url", "user", "role:<id>" or "config".
    source: str = "config"


def list_layout(
    c: WebContext, table_id: str, user: User, url_columns: tuple[str, ...]
) -> ListLayout:
    """Resolve the layout (one indexed query; none for the system user)."""
    resolved = preferences(c).resolve(table_id, user, LIST_KEYS) if user.id is not None else {}
    widths = resolved[WIDTHS].value if WIDTHS in resolved else {}
    widths = {k: int(v) for k, v in widths.items() if isinstance(v, int | float)}
    if url_columns:
        return ListLayout(list(url_columns), widths, "url")
    if COLUMNS in resolved and isinstance(resolved[COLUMNS].value, list):
        return ListLayout(list(resolved[COLUMNS].value), widths, resolved[COLUMNS].source)
    return ListLayout(None, widths, "config")


def save_layout(c: WebContext, table_id: str, user: User, readable: list[str],
                data: dict[str, Any]) -> None:  # fmt: skip
    """Store what the list's JS sent: ``columns`` and/or ``widths`` (JSON), for the user,
    or for a role when ``scope`` is ``role:<id>`` (administrators only). ``reset`` forgets
    the user's own values."""
    scope = str(data.get("scope") or "user")
    if data.get("reset"):
        preferences(c).clear_user(table_id, user, LIST_KEYS)
        return
    values: dict[str, Any] = {}
    if data.get("columns") is not None:
        values[COLUMNS] = names_list(data["columns"], readable)
        if not values[COLUMNS]:
            raise ValidationError({"columns": ["at least one column must stay visible"]})
    if data.get("widths") is not None:
        values[WIDTHS] = widths_map(data["widths"], readable)
    if not values:
        raise ValidationError({"_schema": ["nothing to save: send columns or widths"]})
    store = preferences(c)
    if scope == "user":
        for key, value in values.items():
            store.set_for_user(table_id, user, key, value)
        return
    role = scope.removeprefix("role:")
    if not scope.startswith("role:") or role not in {r.id for r in c.config.roles}:
        raise ValidationError({"scope": [f"unknown scope {scope!r}: user or role:<role id>"]})
    if not is_admin(c, user):
        raise PermissionDenied(f"{user.login} may not set the defaults of role {role!r}")
    for key, value in values.items():
        store.set_for_role(table_id, role, key, value)
