"""The card's buttons that make a document from the record (``derive`` rules of the table,
:mod:`uchet.platform.features.derive`): «Выставить счёт» on an order's card (issue 19, S18).

:class:`DeriveRoutes` is a mixin of :class:`~uchet.web.views.TableView`. A button shows when
the user may create records of the target table; the POST checks CSRF first, makes the
document as the logged-in user through the record service (one transaction) and opens the
new document's card. A refusal (rights, a value the target refuses, a busy database) goes
back to the source card with the engine's message in the user's language; nothing is made.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask_admin.base import expose

from uchet.platform.features.derive import derive, rules
from uchet.platform.model.errors import DatabaseBusy, NotFound, PermissionDenied, ValidationError
from uchet.web.auth import check_csrf
from uchet.web.converters import form_id

#: The mixin's methods run on a TableView (its c, table, records()...).
_Base: Any = object


class DeriveRoutes(_Base):
    """The «make a document» buttons of a card and their POST route."""

    def derive_buttons(self, record: dict[str, Any] | None) -> list[tuple[str, str]]:
        """(text, action URL) of each rule the user may use on ``record`` (none on a new card)."""
        if record is None:
            return []
        locale = self.c.locale()
        return [
            (rule.text(locale), url_for(".derive_view", rule=rule.id))
            for rule in rules(self.table)
            if self.c.access(rule.target).can("create")
        ]

    @expose("/derive/<rule>/", methods=("POST",))
    def derive_view(self, rule: str) -> Any:
        check_csrf()  # first: a forged request learns nothing about records or rules
        record_id = form_id()
        if record_id is None:
            abort(404)
        back = url_for(".edit_view", id=record_id)
        try:
            made = derive(self.c.runtime, self.c.user(), self.table.id, rule, record_id,
                          self.c.locale())  # fmt: skip
        except NotFound:
            abort(404)
        except (PermissionDenied, ValidationError, DatabaseBusy) as exc:
            if isinstance(exc, DatabaseBusy):
                text = self.c.gettext("The database is busy, try again.")
            else:
                text = self.c.error_text(exc, self.table)
            flash(f"{self.c.gettext('The document was not made:')} {text}", "danger")
            return redirect(back)
        source = self.card_title(self.records().get(record_id))
        target = self.c.runtime.table(made.table).table
        flash(self.c.gettext("Made from %(source)s. Rows copied: %(count)s.", source=source,
                             count=made.children), "success")  # fmt: skip
        return redirect(url_for(f"t_{target.name}.edit_view", id=made.record_id))
