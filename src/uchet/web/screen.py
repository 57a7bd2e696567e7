"""What every screen of the web layer builds on, below the screens themselves.

* :class:`TranslatedRender`: the mixin that routes Flask-Admin's template texts through the
  configuration's translations (every view of uchet, the print editor's included, uses it).
* :class:`TableScreen`: what the helpers of a table's screens (the list page, its filters,
  the card's history) need of the table's view. :class:`~uchet.web.views.TableView` is one;
  the helpers name this protocol instead of importing the view, which imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field, Table
from uchet.platform.records.permissions import Access
from uchet.web.context import WebContext, ctx

if TYPE_CHECKING:
    from uchet.web.listcells import RowRenderer


class TranslatedRender:
    """Flask-Admin's templates translate through ``_gettext``: route it through the
    configuration's translations first (S43), then uchet's and Flask-Admin's catalogs."""

    def render(self, template: str, **kwargs: Any) -> str:
        c = ctx()
        self._template_args.update(  # type: ignore[attr-defined]
            _gettext=lambda s, **kw: c.gettext(s, **kw)
        )
        return super().render(template, **kwargs)  # type: ignore[misc]


class TableScreen(Protocol):
    """The screen of one table as its helpers see it: the context, the table, the current
    user's rights and record service, and how a value is shown."""

    @property
    def c(self) -> WebContext: ...

    @property
    def table(self) -> Table: ...

    @property
    def types(self) -> FieldTypeRegistry: ...

    def access(self) -> Access:
        """The current user's rights on the table."""
        ...

    def records(self, table_id: str | None = None) -> Any:
        """The record service of the table (or of ``table_id``) as the current user."""
        ...

    def label(self, field: Field) -> str:
        """A field's label in the user's locale."""
        ...

    def text(self, field: Field, row: dict[str, Any]) -> str:
        """A field's value in ``row`` as plain text."""
        ...

    def cell(self, field: Field, row: dict[str, Any]) -> Any:
        """A field's value in ``row`` as list-cell HTML."""
        ...

    def row_renderer(self, columns: Sequence[Field], sized: Sequence[bool]) -> RowRenderer:
        """The renderer of the list's rows for ``columns`` (``sized``: has a saved width)."""
        ...
