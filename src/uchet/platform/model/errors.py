"""The errors of the public API. Each one carries enough detail for a precise message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from uchet.platform.model.i18n import Text


class UchetError(Exception):
    """Base class of every error uchet raises on purpose."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a configuration: the file, the JSON pointer and the problem in words."""

    file: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.pointer or '/'}: {self.message}"


class ConfigError(UchetError):
    """A configuration is invalid. ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: Iterable[ConfigIssue]):
        self.issues: list[ConfigIssue] = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid configuration")


class ValidationError(UchetError):
    """Record values are invalid. ``messages`` maps a field name to its messages.

    The key ``"_schema"`` holds problems that belong to no single field.
    """

    def __init__(self, messages: Mapping[str, Sequence[str]], row: int | None = None):
        self.messages: dict[str, list[str]] = {k: list(v) for k, v in messages.items()}
        self.row = row
        where = f"row {row}: " if row is not None else ""
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.messages.items())
        super().__init__(where + text)


class ConflictError(UchetError):
    """A record changed (or was deleted) since the caller read it: a stale edit.

    ``current`` holds the record as it is now (``None`` if deleted), so a UI can show what
    changed without losing the user's input.
    """

    def __init__(self, table: str, record_id: Any, expected: Any, current: Mapping | None):
        self.table, self.record_id, self.expected, self.current = (
            table,
            record_id,
            expected,
            current,
        )
        actual = current.get("version") if current else None
        state = "was deleted" if current is None else f"is now at version {actual}"
        key = "deleted_meanwhile" if current is None else "changed_meanwhile"
        super().__init__(Text(key, table=table, id=record_id, expected=expected, state=state))


class PermissionDenied(UchetError):
    """The acting user may not do this."""


class NotFound(UchetError):
    """No such record, or the acting user may not see it (the two are indistinguishable)."""


class DestructiveChangeError(UchetError):
    """A schema change would lose data and was not allowed. ``operations`` lists them."""

    def __init__(self, message: str, operations: Sequence[Any] = ()):
        self.operations = list(operations)
        super().__init__(message)


class ConversionError(DestructiveChangeError):
    """A type change would fail for some existing values.

    ``problems`` maps a field (``table.field``) to ``(count, [(id, value), ...first 20])``.
    """

    def __init__(self, problems: Mapping[str, tuple[int, list[tuple[Any, Any]]]]):
        self.problems = dict(problems)
        lines = []
        for key, (count, sample) in self.problems.items():
            shown = ", ".join(f"#{rid}={val!r}" for rid, val in sample)
            lines.append(f"{key}: {count} value(s) will not convert: {shown}")
        super().__init__(
            "type change refused (choose on_conversion_error='set_null' or a default):\n"
            + "\n".join(lines)
        )


class DatabaseBusy(UchetError):
    """A write could not get the database after waiting and retrying (SQLite's write lock
    held by another process, PostgreSQL serialization failures or deadlocks, issue 13).
    Nothing was written; the same request can simply be sent again."""


class MigrationError(UchetError):
    """Applying a plan failed; the database was left exactly as it was."""


class DataPresent(ValueError):
    """Demo data was asked for a database that already holds data: nothing was loaded.

    ``uchet init --demo`` reports it and goes on, so the README's first command can be run
    again on the same database."""
