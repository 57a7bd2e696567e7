"""Who may send messages about a table's records (issue 19).

The ``mail`` right (role.json: ``"mail": true`` per table, off by default) lets a role send
messages about the records of a table; the recipients are still only the records the sender
may read (the record service checks every one). The check itself is
:meth:`Permissions.can_mail`; this module adds the refusal the delivery code raises.
"""

from __future__ import annotations

from uchet.platform.model.errors import PermissionDenied
from uchet.platform.records.permissions import Permissions
from uchet.platform.records.users import User

MAIL = "mail"


def can_mail(permissions: Permissions, user: User, table_id: str) -> bool:
    """Whether ``user`` may send messages about records of ``table_id``: the ``mail``
    right and the ``read`` right together (a superuser and the system user always)."""
    return permissions.can_mail(user, table_id)


def require_mail(permissions: Permissions, user: User, table_id: str) -> None:
    """Raise PermissionDenied unless :func:`can_mail`."""
    if not can_mail(permissions, user, table_id):
        raise PermissionDenied(f"{user} may not send messages about {table_id}")
