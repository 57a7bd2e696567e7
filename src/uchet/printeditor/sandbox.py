"""The Jinja sandbox every print template runs in (ARCHITECTURE rule 8).

Print templates are written by users, so they never see Python: the environment is an
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`, which refuses attribute access to
``__class__``, ``__globals__`` and the like, and any method that mutates a list or dict.
On top of the sandbox this module limits what the sandbox alone does not:

* ``*`` on a string or list may not build a value longer than :data:`MAX_SEQUENCE`, and
  ``**`` may not raise to a power above :data:`MAX_POWER` (``'a' * 10**9`` would otherwise
  allocate a gigabyte before anything could stop it);
* ``range()`` is capped by the sandbox itself (100 000 items).

CPU and memory bombs that stay within these rules (a nested ``{% for %}``) are stopped by
the worker process that renders user-uploaded templates (:mod:`uchet.printeditor.worker`).

``.docx`` parts are XML, so they render with ``autoescape=True``: a value holding ``&``,
``<`` or quotes arrives as text, never as markup (docxtpl's own default is off, which
drops or breaks such values). Spreadsheet cells and file names are plain text and
openpyxl escapes XML itself, so those render with the same sandbox and autoescape off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections import OrderedDict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from uchet.printeditor.words import amount_in_words

#: Longest string or list ``*`` may build in a template.
MAX_SEQUENCE = 100_000
#: Largest exponent ``**`` accepts.
MAX_POWER = 100
#: Compiled templates kept per environment (the XML of a .docx is the same for every record
#: of a form, and compiling it costs more than rendering it).
TEMPLATE_CACHE_SIZE = 32
#: Longest output file name, without the extension.
MAX_FILE_NAME = 150

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_SPACES = re.compile(r"\s+")


class PrintSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with size limits on ``*`` and ``**`` and a compile cache."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, autoescape: bool) -> None:
        super().__init__(autoescape=autoescape, keep_trailing_newline=True)
        self.filters.update(
            money=format_money,
            number=format_number,
            date=format_date,
            words=amount_in_words,
            initials=initials,
        )
        self._compiled: OrderedDict[str, Template] = OrderedDict()

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """Fail loudly on a forbidden attribute: the stock sandbox renders it as empty text,
        which hides an attack (or a mistake) from the person who wrote the template."""
        raise SecurityError(
            f"access to attribute {attribute!r} of a {type(obj).__name__!r} object is not allowed"
        )

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse ``*`` and ``**`` whose result would be huge, before computing it."""
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise SecurityError(f"the power {right} is too large (at most {MAX_POWER})")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                too_long = (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_SEQUENCE
                )
                if too_long:
                    raise SecurityError(
                        f"repeating a value {times} times makes it too long "
                        f"(at most {MAX_SEQUENCE} items)"
                    )
        return super().call_binop(context, operator, left, right)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        """Compile ``source`` once and reuse it: docxtpl recompiles the whole document XML
        for every record otherwise, which costs more than the rendering itself."""
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            found = super().from_string(source)
            self._compiled[source] = found
            if len(self._compiled) > TEMPLATE_CACHE_SIZE:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(source)
        return found


_ENVIRONMENTS: dict[bool, PrintSandbox] = {}


def environment(autoescape: bool = True) -> PrintSandbox:
    """The process-wide sandbox: ``autoescape=True`` for .docx XML, False for cells and names."""
    env = _ENVIRONMENTS.get(autoescape)
    if env is None:
        env = _ENVIRONMENTS[autoescape] = PrintSandbox(autoescape)
    return env


# -- filters -------------------------------------------------------------------------------
def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None


def format_number(value: Any, digits: int = 2, locale: str = "ru", trim: bool = False) -> str:
    """``{{ raw.total|number(2) }}``: a number with thousands separators for ``locale``.

    ``trim=True`` drops trailing zeros of the fraction, for quantities: ``2``, ``1,5``.
    """
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    places = max(0, min(int(digits), 20))
    # Documents round half up (12.345 -> 12.35), not to even as Python's format does.
    with contextlib.suppress(InvalidOperation):  # past Decimal's precision: as it is
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{number:,.{places}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if locale.startswith("ru"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€"}


def format_money(value: Any, currency: str = "RUB", locale: str = "ru") -> str:
    """``{{ raw.total|money('USD') }}``: an amount with two decimals and the currency sign."""
    text = format_number(value, 2, locale)
    return f"{text}\u00a0{_SYMBOLS.get(currency, currency)}" if text else text


#: Month names for ``date('long')``: Russian in the genitive, as dates are written.
_MONTHS = {
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def format_date(value: Any, pattern: str = "%d.%m.%Y", locale: str = "ru") -> str:
    """``{{ raw.birthday|date('%d.%m.%y') }}``: a raw date or datetime in a strftime pattern.

    ``%B`` is the month's name in ``locale`` (Russian in the genitive, as dates are written:
    ``date('«%d» %B %Y г.')`` gives ``«05» марта 2024 г.``); ``date('long')`` is ``5 марта
    2024 г.`` in Russian and ``5 March 2024`` otherwise.
    """
    if not isinstance(value, dt.date):
        return "" if value is None else str(value)
    lang = "ru" if locale.startswith("ru") else "en"
    if pattern == "long":
        pattern = f"{value.day} %B %Y" + (" г." if lang == "ru" else "")
    pattern = pattern[:100].replace("%B", _MONTHS[lang][value.month - 1].replace("%", ""))
    return value.strftime(pattern)


def initials(name: Any) -> str:
    """``{{ company.director|initials }}``: ``Соколов Андрей Викторович`` → ``Соколов А. В.``,
    the short form under a signature."""
    parts = str(name or "").split()
    if len(parts) < 2:
        return " ".join(parts)
    return " ".join([parts[0], *(f"{p[0]}." for p in parts[1:3])])


# -- output names --------------------------------------------------------------------------
def sanitize_file_name(text: str, fallback: str) -> str:
    """A file name safe on every system: no path separators, control or reserved characters,
    no leading dots, at most :data:`MAX_FILE_NAME` characters."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE_NAME.sub("_", text)
    text = _SPACES.sub(" ", text).strip(" ._")
    return text[:MAX_FILE_NAME].rstrip(" .") or fallback


def render_file_name(pattern: str | None, context: dict[str, Any], fallback: str) -> str:
    """Render an ``output_name`` pattern in the sandbox and sanitize the result.

    A pattern that fails to render gives ``fallback`` rather than failing the whole print:
    the document matters more than its name.
    """
    if not pattern:
        return sanitize_file_name(fallback, "document")
    try:
        text = environment(autoescape=False).from_string(pattern).render(context)
    except Exception:
        text = fallback
    return sanitize_file_name(text, sanitize_file_name(fallback, "document"))
