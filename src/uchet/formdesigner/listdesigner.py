"""The list layout designer page (issue 15, point 2): per table, the default columns, their
order and widths, the header filters, the quick-search fields and the default sort.

Reached from a list by «Настроить список» (holders of the ``configure`` right and
superusers, as the structure editor). The page is one form: every field of the table is a
row that can be dragged (SortableJS) or moved with its buttons and Alt+↑/↓ (keyboard), with
its checkboxes and width; undo and redo replay snapshots of the form in the browser. Saving
writes one revision of the database overlay with the user's comment, through the same
:class:`~uchet.configurations.revisions.DatabaseOverlay` as the structure editor, so its
history, diff and revert apply. A save whose base revision is no longer the latest is
refused with what changed meanwhile, the posted design kept on the page.

The model of the design is :mod:`uchet.formdesigner.listdesign` (no Flask).
"""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_admin import expose
from flask_babel import LazyString
from werkzeug.routing import BuildError

from uchet.configurations.revisions import NothingToSave, StaleRevision
from uchet.formdesigner import listdesign
from uchet.formdesigner.listdesign import ListDesign, Problem
from uchet.formdesigner.views import ConfigureOnly
from uchet.platform.model.config import Field, Table, thaw
from uchet.platform.model.errors import ConfigError, DestructiveChangeError, MigrationError
from uchet.web.listfilters import type_filter_kind

#: Longest revision comment kept (the history shows it in one line).
MAX_COMMENT = 500


class ListDesignerView(ConfigureOnly):
    """``/-/list-designer/<table id>``: the designer of one table's list."""

    def is_visible(self) -> bool:
        return False  # reached from each list («Настроить список»), not a menu entry

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("uchet_structure.index"))

    @expose("/<table_id>", methods=("GET", "POST"))
    def design(self, table_id: str) -> Any:
        table = self._table(table_id)
        t = self.c.gettext
        filterable = self.filterable(table)
        problems: list[Problem] = []
        errors: list[str] = []
        comment = ""
        if request.method == "POST":
            design, problems = listdesign.read_form(table, request.form, filterable)
            comment = (request.form.get("comment") or "").strip()[:MAX_COMMENT]
            if not problems:
                saved = self._save(table, design, comment, errors)
                if saved is not None:
                    return redirect(url_for(".design", table_id=table.id, saved=saved))
        else:
            design = listdesign.current(table)
        saved_number = request.args.get("saved", "")
        return self.render(
            "uchet/list_designer.html",
            table=table,
            design=design,
            fields=self.rows(table, design),
            filterable=filterable,
            searchable=listdesign.search_offered(table),
            problems={p.where: t(p.msgid, **p.params) for p in reversed(problems)},
            errors=errors,
            comment=comment,
            base=self._base() if request.method == "POST" else self.base_revision(),
            saved=saved_number if saved_number.isdigit() else None,
            list_url=self.list_url(table),
            min_width=listdesign.MIN_WIDTH,
            max_width=listdesign.MAX_WIDTH,
        )

    # -- helpers ---------------------------------------------------------------------------
    def filterable(self, table: Table) -> set[str]:
        """The fields whose type can offer a header filter."""
        types = self.c.runtime.types
        return {f.id for f in table.fields if type_filter_kind(types, f) is not None}

    def rows(self, table: Table, design: ListDesign) -> list[Field]:
        """The table's fields in the design's order."""
        by_id = {f.id: f for f in listdesign.designable(table)}
        return [by_id[i] for i in design.order if i in by_id]

    def list_url(self, table: Table) -> str | None:
        try:
            return url_for(f"t_{table.name}.index_view")
        except BuildError:  # a hidden table has no list to go back to
            return None

    def _save(self, table: Table, design: ListDesign, comment: str, errors: list[str]) -> Any:
        """Save ``design`` as one overlay revision; its number, or None with ``errors``."""
        t = self.c.gettext
        implicit = listdesign.default_columns(table)
        props = listdesign.table_properties(thaw(listdesign.table_data(table)), design, implicit)
        doc = listdesign.overlay_with(self.overlay.document(), table.id, props)
        try:
            default = t("List layout of %(table)s", table=self.c.table_label(table))
            rev = self.overlay.save(doc, base_revision=self._base(), user=self.c.user(),
                                    comment=comment or default)  # fmt: skip
        except StaleRevision as exc:
            errors.append(t("Someone changed the structure meanwhile: %(changes)s",
                            changes="; ".join(exc.changes)))  # fmt: skip
        except NothingToSave:
            errors.append(t("Nothing changed."))
        except ConfigError as exc:
            errors += [t("The configuration check failed: %(problem)s", problem=str(i))
                       for i in exc.issues]  # fmt: skip
        except DestructiveChangeError:
            errors.append(t("Nothing was saved: the change would lose data; hide it instead."))
        except MigrationError as exc:
            errors.append(t("Nothing was saved: %(problem)s", problem=str(exc)))
        else:
            return rev.number
        return None


def add_views(admin: Any, c: Any) -> None:
    """Register the designer (no menu entry: each list links to its own)."""
    name = LazyString(lambda: c.gettext("List layout"))
    admin.add_view(ListDesignerView(c, name, "uchet_list_designer", "/-/list-designer"))
