"""Bulk actions on a list's records (issue 21, point 4): set a field (assign), delete, and
whatever plugins register, applied to a *selection* one record at a time.

Unlike :func:`~uchet.platform.records.bulk_update.update_many` (the API's all-or-none
batch), a bulk action on a list is a convenience for many independent records: each record
goes through :meth:`RecordService.update` / :meth:`RecordService.delete` on its own, in its
own transaction, with every check, hook and audit row a single edit has; a record that
cannot be changed is *skipped* and reported with the reason, and the others are done.

The reasons (:data:`REASONS`):

* ``no_right`` — the role may not do this to the table or the field (``PermissionDenied``;
  a right revoked while a job waited);
* ``row_rule`` — the change would move the record out of the user's rows (a manager
  assigning a client to another manager, when their row rule is "my clients"), or the user
  may read the record but not change it under their row rules;
* ``not_found`` — the record is gone, or the user may not see it at all;
* ``validation`` — the record's values refuse the change (a required field, a reference in
  use on delete, a unique value);
* ``stale`` — the record changed since the user saw it on the list (its version differs).

A :class:`Selection` is either the ids the user ticked (with the versions they saw), or
"everything matching the filter": its filters and search are run again here, through the
record service as the user, so row rules decide what "everything" is at the moment the
action runs, never what the browser claims.

Actions are objects in an :class:`ActionRegistry` (``set_field``, ``delete``); the web adds
``print`` and ``export``, which read rather than write, and plugins may add more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from uchet.platform.model.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    UchetError,
    ValidationError,
)
from uchet.platform.model.i18n import Text, localized

if TYPE_CHECKING:
    from uchet.platform.records.service import RecordService

#: Most records one bulk action may touch (a larger selection is refused, not cut).
MAX_SELECTION = 10_000
#: Skipped records kept in an outcome (the count is always exact).
MAX_REPORTED = 500
REASONS = ("no_right", "row_rule", "not_found", "validation", "stale")
#: Records read per query when a selection is resolved.
_PAGE = 500


@dataclass(frozen=True)
class Selection:
    """What a bulk action applies to: ``ids`` ticked on the list (with the ``versions``
    the user saw, by id, when known), or every record matching ``filters`` and ``search``
    (``ids`` None), re-evaluated under the user's rights when the action runs."""

    ids: tuple[Any, ...] | None = None
    versions: Mapping[Any, int] = field(default_factory=dict)
    filters: tuple[Any, ...] = ()
    search: str | None = None

    @property
    def by_filter(self) -> bool:
        return self.ids is None


@dataclass(frozen=True)
class Skipped:
    """A record the action left alone, why (one of :data:`REASONS`) and the engine's message."""

    record_id: Any
    reason: str
    message: str


@dataclass
class Outcome:
    """What a bulk action did: ``done`` records, the ``skipped`` ones (at most
    :data:`MAX_REPORTED` kept, ``skipped_count`` exact) and ``total`` asked for."""

    total: int = 0
    done: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0

    def skip(self, item: Skipped) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_REPORTED:
            self.skipped.append(item)

    def by_reason(self) -> dict[str, int]:
        """Skipped records per reason (of those kept)."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (a job keeps it in ``uchet_state``)."""
        return {
            "total": self.total,
            "done": self.done,
            "skipped_count": self.skipped_count,
            "skipped": [
                {"id": s.record_id, "reason": s.reason, "message": s.message} for s in self.skipped
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            total=int(data.get("total", 0)),
            done=int(data.get("done", 0)),
            skipped=[Skipped(s["id"], s["reason"], s["message"]) for s in data.get("skipped", ())],
            skipped_count=int(data.get("skipped_count", 0)),
        )


class BulkAction(Protocol):
    """One bulk action. ``right`` is the table right the user needs to be offered it;
    ``check`` refuses bad parameters before any record is touched (ValidationError naming
    the parameter); ``apply`` changes one record through the service, raising the engine's
    errors, which :func:`run_action` turns into skips."""

    name: str
    right: str

    def check(self, service: RecordService, params: Mapping[str, Any]) -> dict[str, Any]: ...

    def apply(
        self,
        service: RecordService,
        record_id: Any,
        version: int | None,
        params: Mapping[str, Any],
    ) -> None: ...


class SetField:
    """Set one field to one value on every selected record (assign is setting the
    responsible-user field). Only a field the user may write and that is stored is offered;
    the value is validated once up front, so a bad value touches no record."""

    name = "set_field"
    right = "update"

    def check(self, service: RecordService, params: Mapping[str, Any]) -> dict[str, Any]:
        name = str(params.get("field") or "")
        if name not in editable_fields(service):
            raise ValidationError({"field": [Text("bulk_field_not_editable", name=name)]})
        raw = params.get("value")
        value = None if raw == "" else raw
        # The service's own parsing and validation of the one value (its messages, in the
        # user's language): a bad value is refused before any record is touched.
        service._prepare({name: value}, creating=False)
        return {"field": name, "value": value}

    def apply(
        self,
        service: RecordService,
        record_id: Any,
        version: int | None,
        params: Mapping[str, Any],
    ) -> None:
        service.update(record_id, {params["field"]: params["value"]}, version)


class Delete:
    """Delete every selected record (a record others still reference is skipped)."""

    name = "delete"
    right = "delete"

    def check(self, service: RecordService, params: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def apply(
        self,
        service: RecordService,
        record_id: Any,
        version: int | None,
        params: Mapping[str, Any],
    ) -> None:
        service.delete(record_id, version)


class ActionRegistry:
    """Bulk actions by name; ``set_field`` and ``delete`` are built in."""

    def __init__(self) -> None:
        self._actions: dict[str, BulkAction] = {}
        self.register(SetField())
        self.register(Delete())

    def register(self, action: BulkAction) -> None:
        """Add (or replace) an action under its ``name``."""
        self._actions[action.name] = action

    def get(self, name: str) -> BulkAction:
        """The action ``name``; KeyError if unknown."""
        return self._actions[name]

    def names(self) -> list[str]:
        return list(self._actions)

    def available(self, service: RecordService) -> list[BulkAction]:
        """The actions the user's role lets them run on the table."""
        access = service.rt.permissions.access(service.user, service.table.id)
        return [a for a in self._actions.values() if access.can(a.right)]


#: The registry the web's list screens use; plugins register theirs here.
ACTIONS = ActionRegistry()


def editable_fields(service: RecordService) -> list[str]:
    """Names of the fields a bulk "set" may change: stored, not files, not the record's
    own bookkeeping, and writable for the user."""
    access = service.rt.permissions.access(service.user, service.table.id)
    if not access.can("update"):
        return []
    names = []
    for f in service.table.fields:
        kind = service.rt.types.get(f.type)
        if not kind.stored or f.type in ("file", "image") or f.read_only:
            continue
        if access.unrestricted or f.name in access.writable():
            names.append(f.name)
    return names


def resolve(service: RecordService, selection: Selection) -> list[tuple[Any, int | None]]:
    """The (id, version) pairs the action applies to. Ticked ids are kept in their order
    (an id the user may not see stays in, and is reported as skipped); a filter is run
    through the record service as the user, in pages by id. More than
    :data:`MAX_SELECTION` records are refused."""
    if selection.ids is not None:
        ids = list(dict.fromkeys(selection.ids))
        if len(ids) > MAX_SELECTION:
            raise ValidationError({"ids": [Text("bulk_too_many", limit=MAX_SELECTION)]})
        return [(i, _version(selection.versions, i)) for i in ids]
    found: list[tuple[Any, int | None]] = []
    for row in _matching(service, selection):
        found.append((row["id"], None))
        if len(found) > MAX_SELECTION:
            raise ValidationError({"ids": [Text("bulk_too_many", limit=MAX_SELECTION)]})
    return found


def count(service: RecordService, selection: Selection) -> int:
    """How many records the action would touch (shown before it runs)."""
    if selection.ids is not None:
        return len(dict.fromkeys(selection.ids))
    result = service.query(
        filters=list(selection.filters), search=selection.search, columns=[], limit=1,
        count=True, count_limit=MAX_SELECTION + 1,
    )  # fmt: skip
    return int(result.total or 0)


def _matching(service: RecordService, selection: Selection) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        result = service.query(
            filters=list(selection.filters), search=selection.search, columns=[],
            sort=["id"], limit=_PAGE, after=after, count=False,
        )  # fmt: skip
        yield from result.rows
        if result.next_cursor is None or not result.rows:
            return
        after = result.next_cursor


def _version(versions: Mapping[Any, int], record_id: Any) -> int | None:
    v = versions.get(record_id, versions.get(str(record_id)))
    return int(v) if v is not None else None


def run_action(
    service: RecordService,
    action: BulkAction,
    targets: Sequence[tuple[Any, int | None]],
    params: Mapping[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Apply ``action`` (``params`` already :meth:`~BulkAction.check`-ed) to each target,
    one record and one transaction at a time; a refused record is skipped with its
    reason. ``progress(done_or_skipped, total)`` is called after each record."""
    outcome = Outcome(total=len(targets))
    for n, (record_id, version) in enumerate(targets, start=1):
        try:
            action.apply(service, record_id, version, params)
            outcome.done += 1
        except UchetError as e:
            outcome.skip(_skipped(service, record_id, e))
        if progress is not None:
            progress(n, len(targets))
    return outcome


def _skipped(service: RecordService, record_id: Any, error: UchetError) -> Skipped:
    """Why a record was refused, in words the user reads."""
    if isinstance(error, ConflictError):
        reason = "stale"
    elif isinstance(error, PermissionDenied):
        outside = getattr(error.args[0] if error.args else None, "key", None) == "outside_rows"
        reason = "row_rule" if outside else "no_right"
    elif isinstance(error, NotFound):
        # Readable but outside this action's rows, or not there (for this user) at all.
        reason = "row_rule" if _readable(service, record_id) else "not_found"
    elif isinstance(error, ValidationError):
        reason = "validation"
    else:
        reason = "validation"
    return Skipped(record_id, reason, _text(error, service.locale))


def _readable(service: RecordService, record_id: Any) -> bool:
    try:
        service.get(record_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def _text(error: UchetError, locale: str) -> str:
    messages = getattr(error, "messages", None)
    if isinstance(messages, Mapping):
        parts = []
        for key, texts in messages.items():
            items = texts if isinstance(texts, (list, tuple)) else [texts]
            text = " ".join(localized(t, locale) for t in items)
            parts.append(text if str(key).startswith("_") else f"{key}: {text}")
        return "; ".join(parts)
    return localized(error.args[0] if error.args else error, locale)
