"""Import of xlsx, xls, ods, csv and tsv files into a table (issue 17, S31).

The engine part, with no web: :func:`read_sheet` reads a file, :class:`Importer` maps,
parses, judges and writes it through the record service, :func:`undo_import` takes an
import back. The screens (``uchet.web.importviews``) and ``uchet import`` are built on it.
"""

from uchet.platform.features.importing.engine import (
    MODES,
    Importer,
    Options,
    Problem,
    Report,
    imports_of,
)
from uchet.platform.features.importing.mapping import Column, Mapping, auto_mapping
from uchet.platform.features.importing.plugin import ImportLogPlugin
from uchet.platform.features.importing.reading import Sheet, detect_encoding, read_sheet
from uchet.platform.features.importing.undo import undo_import

__all__ = [
    "MODES",
    "Column",
    "ImportLogPlugin",
    "Importer",
    "Mapping",
    "Options",
    "Problem",
    "Report",
    "Sheet",
    "auto_mapping",
    "detect_encoding",
    "imports_of",
    "read_sheet",
    "undo_import",
]
