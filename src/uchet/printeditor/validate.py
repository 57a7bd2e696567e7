"""Checking a template before anyone prints with it: syntax errors and unknown placeholders.

Every problem is reported with the place a person has to look:

* ``.docx``: ``paragraph 3`` for body text, ``table 1, row 2, column 3`` inside tables
  (rows and columns count from 1, tables in document order), prefixed with ``header 1:``
  or ``footer 1:`` for those parts. The text checked is the XML *after* docxtpl's
  preprocessing (tags split across Word runs are joined), exactly what will render.
* ``.xlsx``: ``sheet 'Invoice', cell B3``.

Syntax is checked tag by tag (so every broken tag is listed, not just the first one
Jinja meets), then block structure (``for``/``if`` without their ``end``), then the whole
template. Placeholders are checked against :func:`uchet.printeditor.catalog.catalog`:
``{{ client.nme }}`` is reported as unknown with a suggestion (``client.name``), loop
variables are followed into child rows, and names a template sets itself are accepted.
"""

from __future__ import annotations

import re

from uchet.platform.model.config import Configuration
from uchet.printeditor.catalog import Node, catalog
from uchet.printeditor.checker import check_source, docx_tags
from uchet.printeditor.errors import Problem
from uchet.printeditor.validate_xlsx import check_xlsx


# -- entry points ----------------------------------------------------------------------------
def docx_sources(data: bytes, form: str) -> list[tuple[str, str]]:
    """``(location prefix, template source)`` of the body, headers and footers, exactly as
    docxtpl renders them."""
    # docxtpl loads on the first .docx checked, not with the print service (render.py and
    # worker.py keep it out of processes that never render a .docx).
    from uchet.printeditor.docx_render import open_template

    template = open_template(data, form)
    parts = [("", template.get_xml())]
    for prefix, uri in (("header", template.HEADER_URI), ("footer", template.FOOTER_URI)):
        for n, (_key, part) in enumerate(template.get_headers_footers(uri), start=1):
            parts.append((f"{prefix} {n}: ", template.get_part_xml(part)))
    return [(p, re.sub(r"<w:p([ >])", r"\n<w:p\1", template.patch_xml(x))) for p, x in parts]


def check_docx(data: bytes, root: Node, form: str = "template") -> list[Problem]:
    """Every problem of a .docx template against the catalog ``root``."""
    problems: list[Problem] = []
    for prefix, source in docx_sources(data, form):
        problems += check_source(source, docx_tags(source, prefix), root)
    return problems


def check_template(
    kind: str, data: bytes, config: Configuration, table_id: str, locale: str, form: str
) -> list[Problem]:
    """Every problem of template ``data`` (``"docx"`` or ``"xlsx"``) for ``table_id``."""
    root = catalog(config, table_id, locale)
    if kind == "docx":
        return check_docx(data, root, form)
    return check_xlsx(data, root, form)
