"""The :class:`PrintForms` service: the print forms a user may use, printing, and editing.

The effective list of forms is the configuration's print forms (from the bundle and its
overlays) plus the forms people made in the running system (:mod:`.store`). A user sees a
form when they may read its table and hold one of its roles (no roles: everyone who may
read the table). Printing reads the record through the record service, so permissions
apply to the data too (:mod:`.context`).

Trust decides where a template renders. Bundle templates are written by integrators and
kept in git: they render in this process. Templates people upload render in the isolated
worker (:mod:`.worker`) with time and memory limits. ``isolate=True`` forces the worker
for every form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uchet.platform.model.config import label_text, thaw
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.model.identifiers import identifier_problem
from uchet.platform.query.listquery import Filter
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User
from uchet.printeditor import output
from uchet.printeditor.context import ContextBuilder
from uchet.printeditor.errors import PrintError, Problem
from uchet.printeditor.render import kind_of, render
from uchet.printeditor.sandbox import render_file_name
from uchet.printeditor.starter import starter_docx
from uchet.printeditor.store import PrintFormStore, Version
from uchet.printeditor.validate import check_template
from uchet.printeditor.worker import WorkerPool, default_pool

if TYPE_CHECKING:
    from uchet.core import Platform

#: Most records one mass print may hold.
MAX_MASS_PRINT = 1000
#: Prefix of the ids of forms made in the running system.
STORED_PREFIX = "pf."


@dataclass(frozen=True)
class PrintForm:
    """A print form, from the bundle or the database."""

    id: str
    name: str
    label: Mapping[str, str]
    table: str
    template: str
    output_name: str | None = None
    roles: tuple[str, ...] = ()
    stored: bool = False
    version: int | None = None
    created_by: int | None = None
    based_on: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return kind_of(self.template)

    def text(self, locale: str) -> str:
        """The form's label in ``locale``."""
        return label_text(self.label, locale, default=self.name)


class PrintForms:
    """Print forms for one user: list, print, check, create, upload, restore."""

    def __init__(
        self,
        platform: Platform,
        user: User,
        locale: str | None = None,
        *,
        isolate: bool | None = None,
        pool: WorkerPool | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        if not isinstance(user, User):
            raise TypeError("PrintForms needs a User, or uchet.SYSTEM for system tasks")
        self.platform = platform
        self.user = user
        self._runtime = runtime
        config = runtime.config if runtime is not None else platform.config
        self.locale = locale or user.locale or config.default_locale
        self.isolate = isolate
        self.pool = pool
        self.store = PrintFormStore(platform.engine)

    @property
    def runtime(self) -> Runtime:
        """The configuration version forms are listed, checked and printed with.

        A web request passes its own app's runtime, so a request served by the previous app
        during a hot swap (ARCHITECTURE rule 7) prints with the version it started with;
        otherwise the platform's current one.
        """
        return self._runtime if self._runtime is not None else self.platform.runtime

    # -- the list -------------------------------------------------------------------------
    def all(self) -> list[PrintForm]:
        """Every print form, whoever may use it: bundle forms first, then stored ones."""
        forms = [
            PrintForm(
                id=d.id,
                name=d.get("name"),
                label=d.get("label"),
                table=d.get("table"),
                template=d.get("template"),
                output_name=d.get("output_name"),
                roles=tuple(d.get("roles") or ()),
                data=thaw(d.data),
            )
            for d in self.runtime.config.print_forms
        ]
        for row in self.store.all():
            forms.append(
                PrintForm(
                    id=row["id"],
                    name=row["name"],
                    label=row["label"],
                    table=row["table_id"],
                    template=f"{row['name']}.{row['kind']}",
                    output_name=row["output_name"],
                    roles=tuple(row["roles"] or ()),
                    stored=True,
                    version=row["version"],
                    created_by=row["created_by"],
                    based_on=row["based_on"],
                )
            )
        return forms

    def _superuser(self) -> bool:
        config = self.runtime.config
        return self.user.is_system or any(
            r.get("superuser") for r in config.roles if r.id in self.user.roles
        )

    def may_use(self, form: PrintForm) -> bool:
        """Whether the user may print with ``form``: table read right and one of its roles."""
        if self._superuser():
            return True
        try:
            table = self.runtime.config.find_table(form.table)
        except KeyError:
            return False
        access = self.runtime.permissions.access(self.user, table.id)
        return access.can("read") and (
            not form.roles or bool(set(form.roles) & set(self.user.roles))
        )

    def available(self, table: str | None = None) -> list[PrintForm]:
        """The forms the user may use, optionally only those of ``table`` (id or name)."""
        wanted = None
        if table is not None:
            wanted = self.runtime.config.find_table(table).id
        return [f for f in self.all() if self.may_use(f) and (wanted is None or f.table == wanted)]

    def get(self, form: str) -> PrintForm:
        """A form by id or name; NotFound, or PermissionDenied when the user may not use it."""
        for f in self.all():
            if form in (f.id, f.name):
                if not self.may_use(f):
                    raise PermissionDenied(f"{self.user.login} may not use print form {f.name!r}")
                return f
        raise NotFound(f"no print form {form!r}")

    def template(self, form: PrintForm, version: int | None = None) -> bytes:
        """The template bytes of a form (a stored form's current or given version)."""
        if form.stored:
            return self.store.template(form.id, version)[1]
        try:
            return bytes(self.platform.loaded.bundle.files[form.template])
        except KeyError:
            raise PrintError(
                form.name, f"template {form.template!r} is not in the bundle"
            ) from None

    # -- printing -------------------------------------------------------------------------
    def context(self, form: PrintForm, record_id: Any) -> dict[str, Any]:
        """The data a template of ``form`` sees for one record."""
        builder = ContextBuilder(self.runtime, self.user, self.locale)
        return builder.build(
            form.table,
            record_id,
            {**form.data, "id": form.id, "name": form.name, "label": form.label},
        )

    def _render(self, form: PrintForm, data: bytes, context: dict[str, Any]) -> bytes:
        isolate = self.isolate if self.isolate is not None else form.stored
        if isolate:
            # One slot per user at a time: a user's flood never holds another's slot.
            return (self.pool or default_pool()).render(
                form.kind, data, context, form.name, owner=self.user.id
            )
        return render(form.kind, data, context, form.name)

    def file_name(self, form: PrintForm, context: dict[str, Any], extension: str) -> str:
        """The output file name from the form's ``output_name`` pattern."""
        fallback = f"{form.text(self.locale)} {context.get('id', '')}".strip()
        return f"{render_file_name(form.output_name, context, fallback)}.{extension}"

    def render(self, form: str, record_id: Any, *, pdf: bool = False) -> output.Document:
        """Print one record with ``form``; NotFound when the user may not see the record."""
        pf = self.get(form)
        data = self.template(pf)
        context = self.context(pf, record_id)
        document = output.Document(
            self.file_name(pf, context, pf.kind), self._render(pf, data, context)
        )
        return output.to_pdf(document, pf.name) if pdf else document

    def record_ids(
        self,
        form: PrintForm,
        filters: Iterable[Filter | Mapping[str, Any]] = (),
        search: str | None = None,
        limit: int = MAX_MASS_PRINT,
    ) -> list[Any]:
        """Ids of the records a filtered list shows the user (row rules apply)."""
        service = ContextBuilder(self.runtime, self.user, self.locale).service(form.table)
        result = service.query(
            filters=list(filters),
            search=search,
            columns=[],
            limit=min(limit, MAX_MASS_PRINT),
            count=False,
        )
        return [r["id"] for r in result.rows]

    def render_many(
        self,
        form: str,
        record_ids: Sequence[Any] | None = None,
        *,
        filters: Iterable[Filter | Mapping[str, Any]] = (),
        search: str | None = None,
        merge: bool = True,
        pdf: bool = False,
    ) -> output.Document:
        """Print many records: into one merged .docx (``merge``), else a zip of documents.

        Records come from ``record_ids``, or from a filtered list of the form's table.
        Spreadsheets cannot be merged and always come as a zip.
        """
        pf = self.get(form)
        ids = list(record_ids) if record_ids is not None else self.record_ids(pf, filters, search)
        if not ids:
            raise PrintError(pf.name, "there are no records to print")
        if len(ids) > MAX_MASS_PRINT:
            raise PrintError(pf.name, f"at most {MAX_MASS_PRINT} records can be printed at once")
        data = self.template(pf)
        documents = []
        for record_id in ids:
            context = self.context(pf, record_id)
            documents.append(
                output.Document(
                    self.file_name(pf, context, pf.kind), self._render(pf, data, context)
                )
            )
        name = pf.text(self.locale)
        if merge and pf.kind == "docx":
            # docxtpl and docxcompose load only when a merged document is asked for.
            from uchet.printeditor.docx_render import merge_docx

            merged = output.Document(f"{name}.docx", merge_docx([d.data for d in documents]))
            return output.to_pdf(merged, pf.name) if pdf else merged
        if pdf:
            documents = [output.to_pdf(d, pf.name) for d in documents]
        return output.zip_documents(documents, f"{name}.zip")

    # -- checking -------------------------------------------------------------------------
    def check_data(self, data: bytes, file_name: str, table: str, form: str = "") -> list[Problem]:
        """Every problem of template bytes for ``table``; PrintError for an unreadable file."""
        try:
            kind = kind_of(file_name)
        except ValueError as e:
            raise PrintError(form or file_name, str(e)) from None
        config = self.runtime.config
        table_id = config.find_table(table).id
        return check_template(kind, data, config, table_id, self.locale, form or file_name)

    def check(self, form: str) -> list[Problem]:
        """Every problem of a form's current template."""
        pf = self.get(form)
        return self.check_data(self.template(pf), pf.template, pf.table, pf.name)

    def _require_valid(self, data: bytes, file_name: str, table: str, form: str) -> None:
        problems = self.check_data(data, file_name, table, form)
        if problems:
            raise PrintError(form, "the template has problems and was not saved", problems)

    # -- editing --------------------------------------------------------------------------
    def _may_edit(self, form: PrintForm) -> None:
        if not form.stored:
            raise PermissionDenied(
                f"print form {form.name!r} belongs to the configuration; duplicate it to edit"
            )
        if not (
            self._superuser() or (form.created_by is not None and form.created_by == self.user.id)
        ):
            raise PermissionDenied(f"{self.user.login} may not change print form {form.name!r}")

    def can_edit(self, form: PrintForm) -> bool:
        """Whether the user may change ``form`` (upload, restore, settings, delete)."""
        try:
            self._may_edit(form)
        except PermissionDenied:
            return False
        return True

    def _new_settings(self, name: str, label: Any, table: str) -> dict[str, Any]:
        problem = identifier_problem(name)
        if problem:
            raise ValidationError({"name": [problem]})
        if any(name == f.name or STORED_PREFIX + name == f.id for f in self.all()):
            raise ValidationError({"name": [f"a print form named {name!r} exists"]})
        config = self.runtime.config
        try:
            table_id = config.find_table(table).id
        except KeyError:
            raise ValidationError({"table": [f"no table {table!r}"]}) from None
        if not self.runtime.permissions.access(self.user, table_id).can("read"):
            raise PermissionDenied(f"{self.user.login} may not read {table}")
        labels = {self.locale: label} if isinstance(label, str) else dict(label or {name: name})
        return {"id": STORED_PREFIX + name, "name": name, "label": labels, "table_id": table_id}

    def create(
        self,
        name: str,
        label: Any,
        table: str,
        *,
        template: bytes | None = None,
        file_name: str = "template.docx",
        roles: Sequence[str] = (),
        output_name: str | None = None,
        based_on: str | None = None,
    ) -> PrintForm:
        """A new stored form; without a ``template``, a starter .docx for the table."""
        settings = self._new_settings(name, label, table)
        if template is None:
            template, file_name = (
                starter_docx(self.runtime.config, settings["table_id"], self.locale),
                "starter.docx",
            )
        kind = kind_of(file_name)
        self._require_valid(template, file_name, settings["table_id"], name)
        settings.update(kind=kind, output_name=output_name, roles=list(roles), based_on=based_on)
        self.store.create(settings, file_name, template, self.user.id)
        return self.get(settings["id"])

    def duplicate(self, form: str, name: str, label: Any = None) -> PrintForm:
        """A stored copy of ``form`` (bundle or stored) to change (S38)."""
        source = self.get(form)
        return self.create(
            name,
            label or {k: f"{v} (2)" for k, v in source.label.items()},
            source.table,
            template=self.template(source),
            file_name=source.template.rsplit("/", 1)[-1],  # the file, not its bundle path
            roles=source.roles,
            output_name=source.output_name,
            based_on=source.id,
        )

    def upload(self, form: str, data: bytes, file_name: str, note: str | None = None) -> int:
        """Replace a stored form's template with a new version; refused if it has problems."""
        pf = self.get(form)
        self._may_edit(pf)
        if kind_of(file_name) != pf.kind:
            raise PrintError(pf.name, f"the form needs a .{pf.kind} template, not {file_name!r}")
        self._require_valid(data, file_name, pf.table, pf.name)
        return self.store.add_version(pf.id, file_name, data, self.user.id, note)

    def versions(self, form: str) -> list[Version]:
        """Every template version of a stored form, newest first."""
        pf = self.get(form)
        if not pf.stored:
            return []
        return self.store.versions(pf.id)

    def restore(self, form: str, version: int) -> int:
        """Make an earlier version current again (as a new version; history is kept)."""
        pf = self.get(form)
        self._may_edit(pf)
        file_name, data, _ = self.store.template(pf.id, version)
        return self.store.add_version(
            pf.id, file_name, data, self.user.id, f"restored version {version}"
        )

    def update(self, form: str, **settings: Any) -> PrintForm:
        """Change a stored form's ``label``, ``roles`` or ``output_name``."""
        pf = self.get(form)
        self._may_edit(pf)
        unknown = set(settings) - {"label", "roles", "output_name"}
        if unknown:
            raise ValidationError({k: ["cannot be changed"] for k in sorted(unknown)})
        self.store.update(pf.id, **settings)
        return self.get(pf.id)

    def delete(self, form: str) -> None:
        """Remove a stored form and its versions."""
        pf = self.get(form)
        self._may_edit(pf)
        self.store.delete(pf.id)
