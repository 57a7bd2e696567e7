"""The rendering context of a print form, read through the record service.

Everything comes from :class:`~uchet.platform.records.service.RecordService` (ARCHITECTURE rule 5):
the user's table rights, row rules and field rights apply, so a field the user may not
read is simply absent from the document, and a referenced or child record outside their
rows is not there either.

What a template sees (documented in ``docs/print-forms.md``):

* the record's fields by name, **formatted** for the locale (``{{ birthday }}`` is
  ``02.01.2020`` in Russian, money carries its currency sign, a choice shows its label);
* ``raw``: the same fields unformatted (``{{ raw.total }}`` is a Decimal, a reference is
  the id), plus ``raw.today`` and ``raw.now``;
* references as records, two levels deep from the record (``client.category.name``),
  one level from a child row (``l.product.unit``); past that, the title;
* child rows: for every table with a reference to this one, a list named after that table
  (``contacts``), or ``<table>_by_<field>`` when the table references this one twice;
* helpers: ``today``, ``now``, ``user``, ``company``, ``form``, ``locale``, ``record``,
  ``amount_in_words(value, currency, locale)``, and ``image(...)`` added by the renderer.

References, child rows and files are read in batches (one query per table and level, two
per file field), never one query per row. Image fields carry their bytes wherever they are
(a product's picture in an invoice line too); other files only their name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from uchet.platform.model.config import Configuration, Field, Table, label_text
from uchet.platform.model.errors import NotFound, PermissionDenied
from uchet.platform.query.listquery import Filter
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.printeditor.values import HELPERS, FileRef, Record
from uchet.printeditor.words import AmountInWords

#: Reference levels followed from the printed record and from its child rows.
RECORD_DEPTH = 2
CHILD_DEPTH = 1
#: At most this many child rows per list (a print form is not an export).
MAX_CHILD_ROWS = 5000
#: The system columns a template can use besides the fields.
SYSTEM_VALUES = ("id", "created_at", "updated_at")
#: The manifest setting naming the table of "our company".
COMPANY_SETTING = "print_company_table"
_PAGE = 1000


def child_lists(config: Configuration, table_id: str) -> list[tuple[str, Table, Field]]:
    """``(name, child table, reference field)`` of every list of child rows of a table.

    The list is named after the child table; a table that references this one through
    several fields gets one list per field, named ``<table>_by_<field>``.
    """
    found = list(config.children_of(table_id))
    counts: dict[str, int] = {}
    for child, _ in found:
        counts[child.id] = counts.get(child.id, 0) + 1
    return [
        (child.name if counts[child.id] == 1 else f"{child.name}_by_{via.name}", child, via)
        for child, via in found
    ]


def company_table(config: Configuration) -> Table | None:
    """The table named by the manifest's ``print_company_table`` setting, if it exists."""
    table_id = config.manifest.settings.get(COMPANY_SETTING)
    if not table_id:
        return None
    try:
        return config.find_table(table_id)
    except KeyError:
        return None


def format_date(value: dt.date | None, locale: str) -> str:
    """A date as people write it: ``31.12.2024`` in Russian, ISO otherwise."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M" if locale.startswith("ru") else "%Y-%m-%d %H:%M")
    return value.strftime("%d.%m.%Y" if locale.startswith("ru") else "%Y-%m-%d")


class ContextBuilder:
    """Builds template contexts for one user in one locale."""

    def __init__(self, runtime: Runtime, user: User, locale: str | None = None) -> None:
        self.rt = runtime
        self.config = runtime.config
        self.user = user
        self.locale = locale or user.locale or runtime.config.default_locale
        self._services: dict[str, RecordService] = {}

    def service(self, table_id: str) -> RecordService:
        """The (cached) record service of a table for this user."""
        if table_id not in self._services:
            self._services[table_id] = RecordService(self.rt, table_id, self.user, self.locale)
        return self._services[table_id]

    # -- the public entry point ----------------------------------------------------------
    def build(
        self,
        table_id: str,
        record_id: Any,
        form: Mapping[str, Any] | None = None,
        lists: Collection[str] | None = None,
    ) -> dict:
        """The context of one record; :class:`NotFound` if the user may not see it.

        ``lists`` names the child lists to read (a message template reads only those it
        uses: a client has a dozen, each a query); None reads every one."""
        table = self.config.find_table(table_id)
        row = self.service(table.id).get(record_id)
        [record] = self.records(table, [row], RECORD_DEPTH)
        for name, child, via in child_lists(self.config, table.id):
            if lists is None or name in lists:
                record._values[name] = self.children(child, via, row["id"])
        context: dict[str, Any] = {k: v for k, v in record._values.items() if k not in HELPERS}
        context.update(self.helpers(form))
        context["record"] = record
        context["id"] = row["id"]
        raw: Record = record._values["raw"]
        raw._values.update(today=context["_today"], now=context["_now"])
        context["raw"] = raw
        del context["_today"], context["_now"]
        return context

    def helpers(self, form: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The names every template has besides the record: today, user, company..."""
        now = dt.datetime.now().replace(microsecond=0)
        user = self.user
        form = form or {}
        label = label_text(form.get("label") or {}, self.locale, default=form.get("name", ""))
        return {
            "today": format_date(now.date(), self.locale),
            "now": format_date(now, self.locale),
            "_today": now.date(),
            "_now": now,
            "user": Record({"id": user.id, "login": user.login, "name": user.name}, user.name),
            "company": self.company(),
            "form": Record({"id": form.get("id"), "name": form.get("name"), "label": label}, label),
            "locale": self.locale,
            "amount_in_words": AmountInWords(self.locale),
        }

    def company(self) -> Record:
        """The first record of the configured company table, or an empty record."""
        table = company_table(self.config)
        if table is None:
            return Record()
        try:
            rows = self.service(table.id).query(sort=["id"], limit=1, count=False).rows
        except PermissionDenied:
            return Record()
        if not rows:
            return Record()
        return self.records(table, rows, CHILD_DEPTH)[0]

    # -- records --------------------------------------------------------------------------
    def children(self, child: Table, via: Field, parent_id: Any) -> list[Record]:
        """The child rows of ``child`` whose ``via`` points at ``parent_id`` (may be empty)."""
        try:
            service = self.service(child.id)
            rows: list[dict[str, Any]] = []
            cursor = None
            while len(rows) < MAX_CHILD_ROWS:
                page = service.query(
                    filters=[Filter(via.name, "eq", parent_id)],
                    limit=_PAGE,
                    after=cursor,
                    count=False,
                )
                rows += page.rows
                cursor = page.next_cursor
                if cursor is None:
                    break
        except PermissionDenied:
            return []
        return self.records(child, rows[:MAX_CHILD_ROWS], CHILD_DEPTH, skip={via.name})

    def fetch(self, table: Table, ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        """Rows of ``table`` by id that the user may see (none if they may not read it)."""
        wanted = sorted(set(ids))
        found: dict[Any, dict[str, Any]] = {}
        try:
            service = self.service(table.id)
            for i in range(0, len(wanted), _PAGE):
                chunk = wanted[i : i + _PAGE]
                result = service.query(
                    filters=[Filter("id", "in", chunk)], limit=len(chunk), count=False
                )
                found.update((r["id"], r) for r in result.rows)
        except PermissionDenied:
            return {}
        return found

    def records(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        depth: int,
        skip: frozenset[str] | set[str] = frozenset(),
    ) -> list[Record]:
        """Template records of ``rows``, with references followed ``depth`` levels.

        Files come in one batch per field (:meth:`files`): images with their bytes, so
        ``image()`` can place them whether they belong to the record, a reference or a child
        row; other files by name only.
        """
        if not rows:
            return []
        resolved: dict[str, dict[Any, Record]] = {}
        present = rows[0].keys()
        if depth > 0:
            for f in table.fields:
                if f.type != "reference" or f.name not in present or f.name in skip:
                    continue
                target = self.config.table(f.target or "")
                fetched = self.fetch(target, (r[f.name] for r in rows if r[f.name] is not None))
                if fetched:
                    built = self.records(target, list(fetched.values()), depth - 1)
                    resolved[f.name] = dict(zip(fetched, built))
        files = self.files(table, rows)
        return [self.record(table, row, resolved, files) for row in rows]

    def files(
        self, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> dict[str, dict[Any, FileRef]]:
        """``{field: {record id: FileRef}}`` of the file and image fields set in ``rows``."""
        found: dict[str, dict[Any, FileRef]] = {}
        for f in table.fields:
            if f.type not in ("file", "image") or f.name not in rows[0]:
                continue  # not a file, or the user may not read it
            ids = [r["id"] for r in rows if r.get(f.name) is not None]
            if not ids:
                continue
            try:
                stored = self.service(table.id).files(ids, f.name, data=f.type == "image")
            except (NotFound, PermissionDenied):
                continue
            found[f.name] = {rid: FileRef(*value) for rid, value in stored.items()}
        return found

    def record(
        self,
        table: Table,
        row: Mapping[str, Any],
        resolved: Mapping[str, Mapping[Any, Record]],
        files: Mapping[str, Mapping[Any, FileRef]],
    ) -> Record:
        """One template record: formatted values, ``raw``, references as records."""
        values: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        for f in table.fields:
            if f.name not in row:
                continue  # the user may not read it: absent, so it renders empty
            value = row[f.name]
            raw[f.name] = value
            if f.type in ("file", "image"):
                found = files.get(f.name, {}).get(row["id"]) if value is not None else None
                values[f.name] = found if found is not None else ""
            else:
                values[f.name] = self.formatted(f, row, value, resolved)
        for name in SYSTEM_VALUES:
            if name in row:
                raw[name] = row[name]
                values[name] = row[name] if name == "id" else format_date(row[name], self.locale)
        values["raw"] = Record(raw)
        return Record(values, self.title(table, values, row))

    def formatted(
        self,
        f: Field,
        row: Mapping[str, Any],
        value: Any,
        resolved: Mapping[str, Mapping[Any, Record]],
    ) -> Any:
        """The value of one (non-file) field as a template shows it."""
        if f.type in ("reference", "user"):
            if value is None:
                return Record()
            title = row.get(f"{f.name}__title") or ""
            found = resolved.get(f.name, {}).get(value)
            if found is not None:
                return found
            return Record({"id": value, "name": title}, title)
        return self.rt.types.get(f.type).format(f, value, self.locale)

    def title(self, table: Table, values: Mapping[str, Any], row: Mapping[str, Any]) -> str:
        """What ``{{ client }}`` prints: the title field, else the first text, else #id."""
        name = None
        if table.title_field:
            name = table.field_by_id(table.title_field).name
        else:
            name = next((f.name for f in table.fields if f.type == "string"), None)
        if name and values.get(name) not in (None, ""):
            return str(values[name])
        return f"#{row.get('id')}"
