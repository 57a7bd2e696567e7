"""The metadata model: a configuration as immutable, validated data (ARCHITECTURE rule 1).

A configuration arrives as a *tree*: plain JSON-compatible dicts, one key per document kind
(``manifest``, ``tables``, ``forms``, ``print_forms``, ``roles``, ``reports``, ``dashboards``,
``translations``). :func:`build_configuration` turns a tree into frozen dataclasses. Building
touches no database and performs no semantic checks;
:mod:`uchet.platform.checks.configuration` does those and reports every problem at once.

Every object keeps the :class:`Source` (file and JSON pointer) it came from, so an error found
later can still name the place a person has to edit.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Labels = Mapping[str, str]

#: Columns the engine adds to every table. Configuration fields may not use these names.
SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by")

#: The kinds of documents a bundle holds, mapped to the tree key that lists them.
DOCUMENT_KINDS = {
    "table": "tables",
    "form": "forms",
    "print_form": "print_forms",
    "role": "roles",
    "report": "reports",
    "dashboard": "dashboards",
    "translation": "translations",
    "message_template": "message_templates",
}


@dataclass(frozen=True)
class Source:
    """Where an object was written: a file inside a bundle or overlay, and a JSON pointer."""

    file: str
    pointer: str = ""

    def child(self, *parts: str | int) -> Source:
        """The source of a value nested below this one."""
        escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
        return Source(self.file, self.pointer + "".join("/" + p for p in escaped))

    def __str__(self) -> str:
        return f"{self.file}:{self.pointer or '/'}"


def freeze(value: Any) -> Any:
    """Return a deeply read-only copy of JSON data (dicts become mapping proxies)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`: plain dicts and lists again, for JSON output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def as_labels(value: Any) -> Labels:
    """Normalise a label: a plain string applies to every locale (key ``"*"``)."""
    if value is None:
        return MappingProxyType({})
    if isinstance(value, str):
        return MappingProxyType({"*": value})
    return MappingProxyType(dict(value))


def label_text(labels: Labels, locale: str, fallback: str = "en", default: str = "") -> str:
    """Pick the text of ``labels`` for ``locale``, falling back sensibly."""
    for key in (locale, locale.split("_")[0], "*", fallback):
        if key in labels:
            return labels[key]
    return next(iter(labels.values()), default)


@dataclass(frozen=True)
class Choice:
    """One option of a choice field."""

    value: str
    label: Labels
    color: str | None = None
    #: Kept on the records that hold it, never given to a record anew (issue 14).
    retired: bool = False


@dataclass(frozen=True)
class Rollup:
    """An aggregate over the child rows of ``table`` whose reference ``via`` points here."""

    table: str
    via: str
    aggregate: str
    field: str | None = None


@dataclass(frozen=True)
class Grid:
    """How the rows of a child table are edited inside their document's card (issue 21):
    the reference to the document, the columns and totals shown, and the field keeping the
    rows' order (all field ids of the child table)."""

    parent: str
    columns: tuple[str, ...]
    totals: tuple[str, ...] = ()
    order: str | None = None


@dataclass(frozen=True)
class Field:
    """A field of a table; ``type`` names a registered field type."""

    id: str
    name: str
    type: str
    label: Labels
    source: Source = field(compare=False, repr=False, default=Source("<memory>"))
    help: Labels = field(default_factory=lambda: MappingProxyType({}))
    required: bool = False
    unique: bool = False
    indexed: bool = False
    read_only: bool = False
    hidden: bool = False
    default: Any = None
    min: Any = None
    max: Any = None
    pattern: str | None = None
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    currency: str | None = None
    choices: tuple[Choice, ...] = ()
    target: str | None = None
    on_delete: str = "restrict"
    related_label: Labels = field(default_factory=lambda: MappingProxyType({}))
    formula: str | None = None
    result_type: str | None = None
    rollup: Rollup | None = None
    #: Rollup fields: keep the value in a column maintained on every write (rollups.py).
    stored: bool = False
    max_size: int | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: ``{"pattern", "reset", "date_field"}`` of a numbered document field (numbering.py).
    numbering: Mapping[str, Any] | None = None
    #: ``"product.price"``: on create, a missing value is copied through a reference.
    default_from: str | None = None
    #: ``"our_company.vat_default"``: the id of a field of a single-record table (the
    #: company's details); a value still missing after ``default_from`` is copied from that
    #: table's first record (fill.py).
    default_from_single: str | None = None
    #: ``{"when": field id[, "equals": value]}`` or ``{}``: filled with the actor or the
    #: time (fill.py).
    stamp: Mapping[str, Any] | None = None
    #: Reference fields: ``{target field id: own field id}`` narrowing the card's look-up
    #: to target records that match the card's current values (``lookup_match``).
    lookup_match: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Row-rule conditions an existing record must meet for a user to change the value
    #: (records/changerights.py); empty: the table's update right decides alone.
    changed_by: tuple[Mapping[str, Any], ...] = ()

    def text(self, locale: str) -> str:
        """The field's label in ``locale``."""
        return label_text(self.label, locale, default=self.name)


@dataclass(frozen=True)
class Index:
    """An index (or unique constraint when ``unique``) over field ids."""

    id: str
    fields: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class SortKey:
    """One column of a sort order."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class Table:
    """A table of the configuration."""

    id: str
    name: str
    label: Labels
    fields: tuple[Field, ...]
    source: Source = field(compare=False, repr=False, default=Source("<memory>"))
    item_label: Labels = field(default_factory=lambda: MappingProxyType({}))
    section: str | None = None
    hidden: bool = False
    title_field: str | None = None
    indexes: tuple[Index, ...] = ()
    unique: tuple[Index, ...] = ()
    default_sort: tuple[SortKey, ...] = ()
    list_columns: tuple[str, ...] = ()
    list_filters: tuple[str, ...] = ()
    #: Field ids whose header offers a filter (issue 15); None: every filterable column.
    list_header_filters: tuple[str, ...] | None = None
    #: Default column widths in pixels by field id (issue 15; a user's own override them).
    list_widths: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    page_size: int = 50
    search_fields: tuple[str, ...] = ()
    #: Field ids compared by the duplicate warning (S25).
    duplicates: tuple[str, ...] = ()
    #: Search field ids the top bar's Find searches this table by (issue 21); () when
    #: the table is not findable (unless the manifest's ``lookup_tables`` names it).
    findable: tuple[str, ...] = ()
    #: Rows inserted when the table is created.
    seed: tuple[Mapping[str, Any], ...] = ()
    #: Records may carry attached files (S37).
    attachments: bool = False
    #: Notification and reminder rules (validated documents, see notify.py).
    notifications: tuple[Mapping[str, Any], ...] = ()
    #: Calendar and kanban views of the records (issue 21; see features/boards.py).
    views: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Documents made from a record of this table (an invoice from an order; derive.py).
    derive: tuple[Mapping[str, Any], ...] = ()
    #: The rows are edited as a grid in the parent's card (issue 21), see :class:`Grid`.
    grid: Grid | None = None

    def field_by_id(self, field_id: str) -> Field:
        """The field with ``field_id``; KeyError if the table has none."""
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def field_by_name(self, name: str) -> Field:
        """The field named ``name``; KeyError if the table has none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        """Whether a field named ``name`` exists."""
        return any(f.name == name for f in self.fields)

    def text(self, locale: str) -> str:
        """The table's label in ``locale``."""
        return label_text(self.label, locale, default=self.name)


@dataclass(frozen=True)
class Document:
    """A document kept as validated, frozen JSON (forms, print forms, roles, reports...).

    These kinds are interpreted by the subsystems that use them (permissions, form designer,
    print editor), so the model keeps their data whole rather than duplicating each schema.
    """

    id: str
    data: Mapping[str, Any]
    source: Source = field(compare=False, repr=False, default=Source("<memory>"))

    def get(self, key: str, default: Any = None) -> Any:
        """A top-level property of the document."""
        return self.data.get(key, default)


@dataclass(frozen=True)
class Manifest:
    """The bundle's manifest."""

    name: str
    version: str
    title: Labels
    locales: tuple[str, ...]
    default_locale: str
    sections: tuple[Document, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    source: Source = field(compare=False, repr=False, default=Source("manifest.json"))


@dataclass(frozen=True)
class Configuration:
    """An effective configuration: a base bundle with its overlays merged in.

    ``tree`` is the plain-data form it was built from; it is what the database stores as the
    applied configuration and what diffs and merges work on.
    """

    manifest: Manifest
    tables: tuple[Table, ...]
    forms: tuple[Document, ...] = ()
    print_forms: tuple[Document, ...] = ()
    roles: tuple[Document, ...] = ()
    reports: tuple[Document, ...] = ()
    dashboards: tuple[Document, ...] = ()
    translations: tuple[Document, ...] = ()
    #: Message templates (issue 19): e-mail and SMS bodies with placeholders.
    message_templates: tuple[Document, ...] = ()
    tree: Mapping[str, Any] = field(
        compare=False, repr=False, default_factory=lambda: MappingProxyType({})
    )

    def table(self, table_id: str) -> Table:
        """The table with ``table_id``; KeyError if none."""
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)

    def table_by_name(self, name: str) -> Table:
        """The table named ``name``; KeyError if none."""
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def find_table(self, id_or_name: str) -> Table:
        """A table by id or by name, for public APIs that accept either."""
        for t in self.tables:
            if t.id == id_or_name or t.name == id_or_name:
                return t
        raise KeyError(id_or_name)

    def role(self, role_id: str) -> Document:
        """The role with ``role_id`` (or that name); KeyError if none."""
        for r in self.roles:
            if r.id == role_id or r.get("name") == role_id:
                return r
        raise KeyError(role_id)

    def all_fields(self) -> Iterator[tuple[Table, Field]]:
        """Every (table, field) pair."""
        for t in self.tables:
            for f in t.fields:
                yield t, f

    def children_of(self, table_id: str) -> Iterator[tuple[Table, Field]]:
        """Reference fields in any table whose target is ``table_id``."""
        for t, f in self.all_fields():
            if f.target == table_id and f.type == "reference":
                yield t, f

    @property
    def default_locale(self) -> str:
        """The manifest's default locale."""
        return self.manifest.default_locale


# --------------------------------------------------------------------------------------------
# Building from a tree


def _labels(data: Mapping[str, Any], key: str) -> Labels:
    return as_labels(data.get(key))


def _build_field(data: Mapping[str, Any], source: Source) -> Field:
    rollup = data.get("rollup")
    return Field(
        id=data["id"],
        name=data["name"],
        type=data["type"],
        label=_labels(data, "label"),
        source=source,
        help=_labels(data, "help"),
        required=bool(data.get("required", False)),
        unique=bool(data.get("unique", False)),
        indexed=bool(data.get("indexed", False)),
        read_only=bool(data.get("read_only", False)),
        hidden=bool(data.get("hidden", False)),
        default=freeze(data.get("default")),
        min=data.get("min"),
        max=data.get("max"),
        pattern=data.get("pattern"),
        max_length=data.get("max_length"),
        precision=data.get("precision"),
        scale=data.get("scale"),
        currency=data.get("currency"),
        choices=tuple(
            Choice(c["value"], as_labels(c["label"]), c.get("color"), bool(c.get("retired")))
            for c in data.get("choices", ())
        ),
        target=data.get("target"),
        on_delete=data.get("on_delete", "restrict"),
        related_label=_labels(data, "related_label"),
        formula=data.get("formula"),
        result_type=data.get("result_type"),
        rollup=Rollup(rollup["table"], rollup["via"], rollup["aggregate"], rollup.get("field"))
        if rollup
        else None,
        stored=bool(data.get("stored", False)),
        max_size=data.get("max_size"),
        options=freeze(data.get("options", {})),
        numbering=freeze(data.get("numbering")),
        default_from=data.get("default_from"),
        default_from_single=data.get("default_from_single"),
        stamp=freeze(data.get("stamp")),
        changed_by=tuple(freeze(c) for c in data.get("changed_by", ())),
        lookup_match=MappingProxyType(dict(data.get("lookup_match", {}))),
    )


def _sort_key(text: str) -> SortKey:
    return SortKey(text[1:], True) if text.startswith("-") else SortKey(text, False)


def build_table(
    data: Mapping[str, Any], source: Source, sources: Mapping[str, Source] | None = None
) -> Table:
    """Build a :class:`Table` from a schema-valid table document.

    ``sources`` overrides where individual fields came from (an overlay adds fields to a
    table written elsewhere).
    """
    sources = sources or {}
    lst = data.get("list", {})
    return Table(
        id=data["id"],
        name=data["name"],
        label=_labels(data, "label"),
        fields=tuple(
            _build_field(f, sources.get(f["id"], source.child("fields", i)))
            for i, f in enumerate(data["fields"])
        ),
        source=source,
        item_label=_labels(data, "item_label"),
        section=data.get("section"),
        hidden=bool(data.get("hidden", False)),
        title_field=data.get("title_field"),
        indexes=tuple(Index(i["id"], tuple(i["fields"])) for i in data.get("indexes", ())),
        unique=tuple(Index(u["id"], tuple(u["fields"]), True) for u in data.get("unique", ())),
        default_sort=tuple(_sort_key(s) for s in data.get("default_sort", ())),
        list_columns=tuple(lst.get("columns", ())),
        list_filters=tuple(lst.get("filters", ())),
        list_header_filters=(
            tuple(lst["header_filters"]) if lst.get("header_filters") is not None else None
        ),
        list_widths=MappingProxyType({k: int(v) for k, v in lst.get("widths", {}).items()}),
        page_size=int(lst.get("page_size", 50)),
        search_fields=tuple(data.get("search_fields", ())),
        duplicates=tuple(data.get("duplicates", {}).get("fields", ())),
        findable=tuple(data.get("findable", {}).get("fields", ())),
        seed=tuple(freeze(data.get("seed", ()))),
        attachments=bool(data.get("attachments", False)),
        notifications=tuple(freeze(data.get("notifications", ()))),
        views=freeze(data.get("views", {})),
        derive=tuple(freeze(data.get("derive", ()))),
        grid=_grid(data.get("grid")),
    )


def _grid(data: Mapping[str, Any] | None) -> Grid | None:
    if not data:
        return None
    return Grid(data["parent"], tuple(data["columns"]), tuple(data.get("totals", ())),
                data.get("order"))  # fmt: skip


def _documents(tree: Mapping[str, Any], key: str, sources: Mapping[str, Source]) -> tuple:
    return tuple(
        Document(
            d.get("id", d.get("locale", "")),
            freeze(d),
            sources.get(d.get("id", ""), Source(f"{key}/{i}")),
        )
        for i, d in enumerate(tree.get(key, ()))
    )


def build_configuration(
    tree: Mapping[str, Any], sources: Mapping[str, Source] | None = None
) -> Configuration:
    """Build an immutable :class:`Configuration` from a schema-valid tree.

    ``sources`` maps object ids to where they were written; objects without an entry get a
    source naming their document kind.
    """
    sources = sources or {}
    m = tree["manifest"]
    manifest = Manifest(
        name=m["name"],
        version=m["version"],
        title=as_labels(m["title"]),
        locales=tuple(m["locales"]),
        default_locale=m["default_locale"],
        sections=tuple(
            Document(s["id"], freeze(s), Source("manifest.json", f"/sections/{i}"))
            for i, s in enumerate(m.get("sections", ()))
        ),
        settings=freeze(m.get("settings", {})),
    )
    tables = tuple(
        build_table(t, sources.get(t["id"], Source(f"tables/{t['name']}.json")), sources)
        for t in tree.get("tables", ())
    )
    return Configuration(
        manifest=manifest,
        tables=tables,
        forms=_documents(tree, "forms", sources),
        print_forms=_documents(tree, "print_forms", sources),
        roles=_documents(tree, "roles", sources),
        reports=_documents(tree, "reports", sources),
        dashboards=_documents(tree, "dashboards", sources),
        translations=_documents(tree, "translations", sources),
        message_templates=_documents(tree, "message_templates", sources),
        tree=freeze(copy.deepcopy(dict(tree))),
    )
