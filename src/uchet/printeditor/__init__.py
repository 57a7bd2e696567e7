"""Print forms: Word and Excel documents filled with a record's data (S19, S29, S38).

The rendering modules import no Flask; a web layer adds the editor's screens on top of
:class:`PrintForms`. See ``docs/print-forms.md``.
"""

from uchet.printeditor.errors import PrintError, Problem

__all__ = ["PrintError", "PrintForms", "Problem"]


def __getattr__(name: str) -> object:
    if name == "PrintForms":  # imported on use: the service pulls in the whole engine
        from uchet.printeditor.service import PrintForms

        return PrintForms
    raise AttributeError(f"module 'uchet.printeditor' has no attribute {name!r}")
