"""The one error the print engine raises on purpose: :class:`PrintError`.

Every failure of a print form (a broken template, a sandbox violation, a worker that ran out
of time or memory, a missing converter) is reported as a ``PrintError`` that names the form
and says what went wrong in words, so the web layer and the CLI can show it as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from uchet.platform.model.errors import UchetError


@dataclass(frozen=True)
class Problem:
    """One problem found in a template: where it is and what it is."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class PrintError(UchetError):
    """A print form could not be rendered, checked or stored.

    ``form`` names the print form (or the template file), ``problems`` lists every problem
    found when there are several (validation), otherwise one problem with the message.
    """

    def __init__(self, form: str, message: str, problems: Sequence[Problem] = ()):
        self.form = form
        self.message = message
        self.problems = list(problems)
        text = f"print form {form!r}: {message}"
        if self.problems:
            text += "\n" + "\n".join(f"  {p}" for p in self.problems)
        super().__init__(text)


class PrintBusy(PrintError):
    """No render slot could be had in time: the user's own prints are still running, or
    every worker is busy. Nothing was rendered; the user may try again shortly (the web
    answers 429 with ``Retry-After``)."""

    def __init__(self, form: str, message: str, retry_after: float):
        super().__init__(form, message)
        self.retry_after = retry_after
