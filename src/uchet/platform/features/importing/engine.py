"""Importing a file into a table through the record service (issue 17, S31).

:class:`Importer` runs the steps of an import, the same for the screen, the CLI and a job:

1. the file's cells become field values: each by its field type's spreadsheet parser
   (:meth:`FieldType.parse_cell`: dates, decimal commas, money with spaces and ₽, phones,
   да/нет), references by the target's title or a chosen key (:class:`References`);
2. each row is judged as the record service judges a create (defaults, rights, required,
   formats, formulas' inputs, references, uniqueness) or an update;
3. everything is written in *one* transaction (:func:`shared_write_transaction`): the new
   records through ``create_many``, the changed ones through ``update``. All-or-nothing (the
   default) rolls the transaction back when any row fails, so nothing is half-written; the
   "good rows" mode writes the rows that pass and reports the rest;
4. every record written is tagged with the import's id (:mod:`.log`), so
   :func:`undo_import` can delete what it created and restore what it changed.

A dry run is a real run whose transaction is rolled back: its report is what the import
would do, row by row (row, column, value, message).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from uchet.platform.features.importing.log import tagging
from uchet.platform.features.importing.mapping import (
    Mapping,
    References,
    auto_mapping,
    importable_fields,
)
from uchet.platform.features.importing.reading import Sheet
from uchet.platform.features.importing.texts import text
from uchet.platform.fieldtypes import ParseError
from uchet.platform.model.config import Field
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.query.filters import Filter
from uchet.platform.query.listquery import MAX_LIMIT
from uchet.platform.records import bulk
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.platform.schema.database import shared_write_transaction

MODES = ("create", "upsert", "update")
#: Rows shown as they will be stored.
PREVIEW_ROWS = 20
#: Rows per progress report and per create_many call.
CHUNK = 2000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Problem:
    """One bad cell or row of the file."""

    row: int
    column: str
    value: Any
    message: str


@dataclass
class Options:
    """How to import."""

    mode: str = "create"
    #: The field that finds existing records (upsert and update modes).
    key: str | None = None
    #: All-or-nothing (True) or import the good rows and report the bad ones (False).
    all_or_nothing: bool = True
    mapping: Mapping | None = None
    file_name: str = ""
    #: Refuse new rows that duplicate an existing record by the table's ``duplicates``
    #: rule, the card's duplicate warning (S25): each is reported, none is created.
    duplicates: bool = False


@dataclass
class Report:
    """What an import did, or a dry run would do."""

    total: int = 0
    created: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: The first rows as they will be stored: header -> text in the user's language.
    preview: list[dict[str, str]] = field(default_factory=list)
    #: Reference column -> values that matched nothing.
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    mapping: Mapping = field(default_factory=Mapping)
    import_id: int | None = None
    dry_run: bool = False
    #: Whether anything was written (False for a dry run and a failed all-or-nothing run).
    written: bool = False

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})


class _Rollback(Exception):
    """Ends the shared transaction of a dry run or a failed all-or-nothing run."""


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]  # header -> cell
    values: dict[str, Any] = field(default_factory=dict)
    record_id: Any = None  # the existing record an update changes
    bad: bool = False
    #: Fields whose cell could not be read: the row is still judged without them, so the
    #: report lists its other problems too, but it is never written.
    unread: set[str] = field(default_factory=set)


class Importer:
    """Imports files into one table as one user."""

    def __init__(
        self,
        runtime: Runtime,
        table: str,
        user: User,
        locale: str | None = None,
        progress: Progress | None = None,
    ):
        self.service = RecordService(runtime, table, user, locale)
        self.rt, self.table, self.user = runtime, self.service.table, user
        self.locale = self.service.locale
        self.progress = progress or (lambda stage, done, total: None)

    # -- rights and mapping ---------------------------------------------------------------
    def check_rights(self, mode: str) -> None:
        """PermissionDenied unless the user may import into the table in ``mode``."""
        access = self.rt.permissions.access(self.user, self.table.id)
        needed = {"create": ["create"], "update": ["update"], "upsert": ["create", "update"]}
        if not access.can("import") or not all(access.can(a) for a in needed[mode]):
            label = self.table.text(self.locale)
            raise PermissionDenied(text("no_right", self.locale, table=label))

    def fields(self) -> list[Field]:
        """The fields this user may fill from a file."""
        access = self.rt.permissions.access(self.user, self.table.id)
        refused = self.service._refused_fields(access)
        names = [f.name for f in self.table.fields if f.name not in refused]
        return importable_fields(self.table, names)

    def propose(self, headers: list[str]) -> Mapping:
        """The automatic mapping of ``headers``."""
        return auto_mapping(headers, self.fields())

    # -- the run ------------------------------------------------------------------------------
    def run(
        self, sheet: Sheet, options: Options, dry_run: bool = False, conn: Any = None
    ) -> Report:
        """Import ``sheet`` (or, with ``dry_run``, report what importing it would do).
        ``conn``: a transaction to run in (a background job's), else a new one."""
        if options.mode not in MODES:
            raise ValidationError({"mode": [f"one of {', '.join(MODES)}"]})
        self.check_rights(options.mode)
        self._pending: dict[str, list[_Placeholder]] = {}
        mapping = options.mapping or self.propose(sheet.headers)
        report = Report(mapping=mapping, dry_run=dry_run)
        columns = self._columns(mapping, sheet.headers)
        key = self._key(options, columns)
        rows = [_Row(n, dict(zip(sheet.headers, cells))) for n, cells in sheet.rows]
        report.total = len(rows)
        self._convert(rows, columns, mapping, report)
        try:
            with shared_write_transaction(self.rt.engine, conn) as conn:
                import_id = self._log_start(conn, options)
                with tagging(import_id) as tags:
                    if key is not None:
                        self._find_existing(rows, key, columns, options.mode, report)
                    self._write(conn, rows, columns, options, report)
                report.created, report.updated = tags.created, tags.updated
                if dry_run or (options.all_or_nothing and report.problems):
                    raise _Rollback
                self._log_end(conn, import_id, report)
                report.import_id, report.written = import_id, True
        except _Rollback:
            pass
        place = {h: i for i, h in enumerate(sheet.headers)}
        report.problems.sort(key=lambda p: (p.row, place.get(p.column, len(place))))
        return report

    def _columns(self, mapping: Mapping, headers: list[str]) -> dict[str, Field]:
        """Header -> field of the mapped columns, checked against the fields allowed."""
        allowed = {f.name: f for f in self.fields()}
        columns: dict[str, Field] = {}
        for header, name in mapping.fields().items():
            if header not in headers:
                continue
            if name not in allowed:
                raise ValidationError(
                    {"_mapping": [text("unknown_field", self.locale, column=header, field=name)]}
                )
            columns[header] = allowed[name]
        if not columns:
            raise ValidationError({"_mapping": [text("no_columns", self.locale)]})
        return columns

    def _key(self, options: Options, columns: dict[str, Field]) -> Field | None:
        if options.mode == "create":
            return None
        if not options.key:
            raise ValidationError({"key": [text("key_needed", self.locale)]})
        key = self.table.field_by_name(options.key)
        if key not in columns.values():
            raise ValidationError(
                {"key": [text("key_not_mapped", self.locale, field=key.text(self.locale))]}
            )
        return key

    def _problem(self, report: Report, row: _Row, column: str, message: str) -> None:
        row.bad = True
        report.problems.append(Problem(row.number, column, row.cells.get(column), message))

    # -- cells to values ------------------------------------------------------------------------
    def _convert(
        self, rows: list[_Row], columns: dict[str, Field], mapping: Mapping, report: Report
    ) -> None:
        refs = References(self.service)
        resolved: dict[str, dict[str, list[Any]]] = {}
        for header, f in columns.items():
            if f.type in ("reference", "user"):
                texts = {_cell_text(r.cells.get(header)) for r in rows} - {""}
                spec = mapping.columns[header]
                resolved[header] = refs.resolve(f, spec.key, texts)
                missing = sorted(texts - resolved[header].keys())
                if missing:
                    report.unmatched[header] = missing
                    if spec.missing == "create" and f.type == "reference":
                        resolved[header].update(self._create_missing(refs, f, spec.key, missing))
        parsers = {h: self._parser(f) for h, f in columns.items() if h not in resolved}
        for done, row in enumerate(rows, start=1):
            for header, f in columns.items():
                cell = row.cells.get(header)
                if header in resolved:
                    self._reference(report, row, header, f, cell, resolved[header], mapping)
                    continue
                try:
                    row.values[f.name] = parsers[header](cell)
                except ParseError as e:
                    row.unread.add(f.name)
                    self._problem(report, row, header, e.localized(self.locale))
            if done % CHUNK == 0:
                self.progress("read", done, len(rows))
        self.progress("read", len(rows), len(rows))

    def _parser(self, f: Field) -> Callable[[Any], Any]:
        """The field type's cell parser; for types whose parse depends on the value alone
        (``cacheable_parse``), a value repeated down the column (a city, a kind) is parsed
        once. Errors are not remembered, so each bad cell is reported."""
        ftype = self.rt.types.for_field(f)
        if not getattr(ftype, "cacheable_parse", False):
            return lambda cell: ftype.parse_cell(f, cell)
        seen: dict[Any, Any] = {}

        def parse(cell: Any) -> Any:
            # Keyed by type too: 1, 1.0 and True are equal dictionary keys.
            key = (type(cell), cell)
            if key in seen:
                return seen[key]
            value = ftype.parse_cell(f, cell)
            if len(seen) < 10_000:
                seen[key] = value
            return value

        return parse

    def _reference(
        self, report: Report, row: _Row, header: str, f: Field, cell: Any,
        found: dict[str, list[Any]], mapping: Mapping,
    ) -> None:  # fmt: skip
        value = _cell_text(cell)
        if not value:
            row.values[f.name] = None
            return
        ids = found.get(value, [])
        target = (
            self.rt.config.table(f.target).text(self.locale) if f.target else f.text(self.locale)
        )
        if len(ids) == 1:
            row.values[f.name] = ids[0]
            return
        row.unread.add(f.name)
        if ids:
            self._problem(report, row, header,
                          text("ambiguous", self.locale, value=value, table=target))  # fmt: skip
        elif mapping.columns[header].missing == "empty":
            row.unread.discard(f.name)
            row.values[f.name] = None
        else:
            self._problem(report, row, header,
                          text("no_match", self.locale, value=value, table=target))  # fmt: skip

    def _create_missing(
        self, refs: References, f: Field, key: str | None, missing: list[str]
    ) -> dict[str, list[Any]]:
        """Remember to create the target records for ``missing`` in the write transaction;
        until then they map to placeholders resolved in :meth:`_write`."""
        name = refs.key_field(f, key)
        if name is None:
            return {}
        placeholders = {v: [_Placeholder(f.target or "", name, v)] for v in missing}
        self._pending.setdefault(f.target or "", []).extend(p[0] for p in placeholders.values())
        return dict(placeholders)

    def _find_existing(
        self, rows: list[_Row], key: Field, columns: dict[str, Field], mode: str, report: Report
    ) -> None:
        header = next(h for h, f in columns.items() if f is key)
        wanted: dict[Any, _Row] = {}
        for row in rows:
            if row.bad:
                continue
            value = row.values.get(key.name)
            if value is None:
                continue
            if value in wanted:
                self._problem(report, row, header, text("key_twice", self.locale))
            else:
                wanted[value] = row
        values = list(wanted)
        for start in range(0, len(values), MAX_LIMIT // 2):
            chunk = values[start : start + MAX_LIMIT // 2]
            after: str | None = None
            seen: dict[Any, list[Any]] = {}
            while True:
                page = self.service.query(filters=[Filter(key.name, "in", chunk)],
                                          columns=[key.name], limit=MAX_LIMIT, after=after,
                                          count=False)  # fmt: skip
                for rec in page.rows:
                    seen.setdefault(rec[key.name], []).append(rec["id"])
                if page.next_cursor is None or not page.rows:
                    break
                after = page.next_cursor
            for value, ids in seen.items():
                match = wanted.get(value)
                if match is None:
                    continue
                if len(ids) > 1:
                    self._problem(report, match, header, text("key_ambiguous", self.locale))
                else:
                    match.record_id = ids[0]
        if mode == "update":
            for row in wanted.values():
                if row.record_id is None and not row.bad:
                    self._problem(report, row, header, text("not_found", self.locale))

    # -- writing -----------------------------------------------------------------------------
    def _write(
        self, conn: Any, rows: list[_Row], columns: dict[str, Field], options: Options,
        report: Report,
    ) -> None:  # fmt: skip
        by_field = {f.name: h for h, f in columns.items()}
        self._create_pending(conn, rows)
        # Rows with unreadable cells are judged too (their other problems are reported),
        # without those cells; rows refused by their key are not judged again.
        new = [r for r in rows if r.record_id is None and (not r.bad or r.unread)]
        for name, value in self._own_defaults().items():
            for r in new:
                if r.values.get(name) is None:
                    r.values[name] = value
        prepared, problems = bulk.check_rows(self.service, conn, [r.values for r in new])
        for i, per_field in problems.items():
            unread = new[i].unread
            shown = {k: v for k, v in per_field.items() if k not in unread}
            self._field_problems(report, new[i], shown, by_field)
        good = [(r, p) for r, p in zip(new, prepared) if p is not None and not r.bad]
        if options.duplicates and self.table.duplicates:
            good = self._without_duplicates(report, good, by_field)
        self._preview(report, good, columns)
        # Once a row failed, an all-or-nothing run will roll back: the new rows are judged
        # already, so only the updates below still have something to tell.
        # One create_many for all the new rows: it defers the indexes of a large batch once,
        # where chunks would pay that (and its fixed costs) again and again.
        if good and not (options.all_or_nothing and report.problems):
            self.progress("write", 0, len(good))
            bulk.create_many(self.service, [p for _, p in good], checked=True)
            self.progress("write", len(good), len(good))
        changed = [r for r in rows if not r.bad and r.record_id is not None]
        for done, row in enumerate(changed, start=1):
            try:
                self.service.update(row.record_id, row.values)
            except ValidationError as e:
                self._field_problems(report, row, e.messages, by_field)
            if done % CHUNK == 0:
                self.progress("write", done, len(changed))

    def _without_duplicates(
        self, report: Report, good: list[tuple[_Row, dict[str, Any]]], by_field: dict[str, str]
    ) -> list[tuple[_Row, dict[str, Any]]]:
        """The rows that duplicate no existing record; the others are reported with the
        field that matched, by the card's rule (``find_duplicates``: phones by their digits,
        text ignoring case, as the user may see them)."""
        compared = [self.table.field_by_id(fid) for fid in self.table.duplicates]
        kept = []
        for row, data in good:
            values = {f.name: data[f.name] for f in compared if data.get(f.name) not in (None, "")}
            found = self.service.find_duplicates(values) if values else []
            if not found:
                kept.append((row, data))
                continue
            matched = self.table.field_by_id(found[0].matched[0]) if found[0].matched else None
            name = matched.name if matched is not None else next(iter(values))
            label = (matched or self.table.field_by_name(name)).text(self.locale)
            self._problem(report, row, by_field.get(name, name),
                          text("duplicate", self.locale, field=label))  # fmt: skip
        return kept

    def _own_defaults(self) -> dict[str, Any]:
        """What makes a new record the importing user's, where their row rule asks for it
        (``manager eq $user``): a manager's imported clients are their own, as a client
        they create on the card is, unless the file names a manager."""
        access = self.rt.permissions.access(self.user, self.table.id)
        if access.unrestricted or any(not rules for rules in access.row_rules):
            return {}
        for rules in access.row_rules:
            for rule in rules:
                name = rule.get("field")
                if (rule.get("op") == "eq" and rule.get("value") == "$user"
                        and isinstance(name, str) and self.table.has_field(name)
                        and self.table.field_by_name(name).type == "user"):  # fmt: skip
                    return {name: self.user.id}
        return {}

    def _field_problems(
        self, report: Report, row: _Row, messages: dict[str, list[str]], by_field: dict[str, str]
    ) -> None:
        for name, msgs in messages.items():
            header = by_field.get(name, name)
            for m in msgs:
                self._problem(report, row, header, m.localized(self.locale) if isinstance(
                    m, Text) else str(m))  # fmt: skip

    def _create_pending(self, conn: Any, rows: list[_Row]) -> None:
        """Create the reference targets the mapping said to create, and put their ids in
        the rows (inside the import's transaction, tagged like every record it writes)."""
        pending = self._pending
        for table_id, items in pending.items():
            target = RecordService(self.rt, table_id, self.user, self.locale)
            ids = target.create_many([{p.field: p.value} for p in items])
            for p, rid in zip(items, ids):
                p.id = rid
        if pending:
            for row in rows:
                for name, value in list(row.values.items()):
                    if isinstance(value, _Placeholder):
                        row.values[name] = value.id
        self._pending = {}

    def _preview(
        self, report: Report, good: list[tuple[_Row, dict[str, Any]]], columns: dict[str, Field]
    ) -> None:
        for row, data in good[:PREVIEW_ROWS]:
            shown: dict[str, str] = {}
            for header, f in columns.items():
                value = data.get(f.name)
                if f.type in ("reference", "user"):
                    shown[header] = "" if value is None else _cell_text(row.cells.get(header))
                else:
                    shown[header] = self.rt.types.for_field(f).format(f, value, self.locale)
            report.preview.append(shown)

    # -- the log ----------------------------------------------------------------------------
    def _log_start(self, conn: Any, options: Options) -> int:
        log = self.rt.model.system["uchet_imports"]
        values = {"table_id": self.table.id, "user_id": self.user.id,
                  "user_login": self.user.login, "at": _now(), "file_name": options.file_name[:255],
                  "mode": options.mode, "created": 0, "updated": 0, "skipped": 0}  # fmt: skip
        return int(conn.execute(log.insert().values(values)).inserted_primary_key[0])

    def _log_end(self, conn: Any, import_id: int, report: Report) -> None:
        log = self.rt.model.system["uchet_imports"]
        conn.execute(
            log.update()
            .where(log.c.id == import_id)
            .values(created=report.created, updated=report.updated, skipped=report.bad_rows)
        )


@dataclass
class _Placeholder:
    """A reference target the import will create (its id is known once it is)."""

    table: str
    field: str
    value: str
    id: Any = None

    def __hash__(self) -> int:
        return id(self)


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def imports_of(runtime: Runtime, table: str | None = None, limit: int = 50) -> list[Any]:
    """The latest imports (all tables, or one), newest first."""
    log = runtime.model.system["uchet_imports"]
    stmt = sa.select(log).order_by(log.c.id.desc()).limit(limit)
    if table is not None:
        stmt = stmt.where(log.c.table_id == runtime.config.table(table).id)
    with runtime.engine.connect() as conn:
        return list(conn.execute(stmt).all())
