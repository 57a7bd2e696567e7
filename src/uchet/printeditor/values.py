"""The objects a print template sees: :class:`Record`, :class:`FileRef` and the helpers.

They are plain data (picklable), because user-made templates render in a worker process
that has no database: the context is built in the main process, through the record
service, and sent over.

A :class:`Record` gives attribute access to *formatted* values (``{{ client.city }}``),
prints as its title (``{{ client }}``), and exposes the raw values under ``raw``
(``{{ raw.total }}``). It has no public methods at all, so no field name can ever clash
with one, and the sandbox refuses every ``_``-prefixed name, so its internals stay hidden.
A missing or unreadable field is simply absent: it renders as empty text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Record:
    """A record for templates: formatted values by name, ``str()`` is the title."""

    __slots__ = ("_title", "_values")

    def __init__(self, values: Mapping[str, Any] | None = None, title: str = "") -> None:
        self._values: dict[str, Any] = dict(values or {})
        self._title = title

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # also keeps pickle's probing of __setstate__ & co. safe
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __bool__(self) -> bool:
        return bool(self._values) or bool(self._title)

    def __str__(self) -> str:
        return self._title

    def __repr__(self) -> str:
        return f"Record({self._title!r}, {sorted(self._values)})"

    def __getstate__(self) -> tuple[dict[str, Any], str]:
        return self._values, self._title

    def __setstate__(self, state: tuple[dict[str, Any], str]) -> None:
        self._values, self._title = state


class FileRef:
    """A file or image field's value: prints as the file name; ``image()`` inserts it.

    ``data`` holds the bytes of image fields (of the record, its references, its child rows
    and their references, and the company); other files carry only their name and type, and
    ``image()`` inserts nothing for them.
    """

    __slots__ = ("content_type", "data", "name")

    def __init__(self, name: str, content_type: str, data: bytes | None = None) -> None:
        self.name, self.content_type, self.data = name, content_type, data

    def __str__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"FileRef({self.name!r}, {self.content_type!r})"

    def __getstate__(self) -> tuple[str, str, bytes | None]:
        return self.name, self.content_type, self.data

    def __setstate__(self, state: tuple[str, str, bytes | None]) -> None:
        self.name, self.content_type, self.data = state


#: Names of the context that are not fields. A field with one of these names is still
#: available as ``record.<name>``.
HELPERS = (
    "raw",
    "id",
    "record",
    "today",
    "now",
    "user",
    "company",
    "form",
    "locale",
    "amount_in_words",
    "image",
)
