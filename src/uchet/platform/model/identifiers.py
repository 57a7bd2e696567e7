"""Names of tables and fields: validation, reserved words and derivation from labels.

A *name* is the SQL identifier of a table or field, and also the Python attribute
of the mapped class and the form field name in the generated screens. It must be a
lowercase Latin identifier, at most 63 characters long (PostgreSQL's limit), and must
not collide with a reserved word of SQLite, PostgreSQL, Python or the libraries that
turn names into attributes (SQLAlchemy declarative, WTForms, Flask-Admin).

Labels are what users type, often in Russian. :func:`derive_name` turns a label into
a valid, unused name: ``derive_name("Дата рождения") == "data_rozhdeniya"``.

This module is pure data and functions: it imports no Flask and touches no database.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Collection, Mapping

__all__ = [
    "CYRILLIC_TO_LATIN",
    "FRAMEWORK_RESERVED",
    "MAX_IDENTIFIER_LENGTH",
    "NAME_PATTERN",
    "POSTGRESQL_RESERVED",
    "PYTHON_KEYWORDS",
    "RESERVED_WORDS",
    "SQLITE_KEYWORDS",
    "SYSTEM_COLUMNS",
    "derive_name",
    "identifier_problem",
    "is_valid_identifier",
    "reserved_by",
    "transliterate",
]

#: PostgreSQL truncates identifiers longer than NAMEDATALEN - 1 = 63 bytes.
MAX_IDENTIFIER_LENGTH = 63

#: A name: a lowercase Latin letter, then lowercase letters, digits and underscores.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# --- Reserved words, grouped by source -----------------------------------------------

#: SQLite keywords, all 147 of them: https://www.sqlite.org/lang_keywords.html
#: (checked against ``sqlite3_keyword_name()`` of SQLite 3.40.1).
# fmt: off
SQLITE_KEYWORDS: frozenset[str] = frozenset((
    "abort", "action", "add", "after", "all", "alter", "always", "analyze", "and", "as", "asc",
    "attach", "autoincrement", "before", "begin", "between", "by", "cascade", "case", "cast",
    "check", "collate", "column", "commit", "conflict", "constraint", "create", "cross",
    "current", "current_date", "current_time", "current_timestamp", "database", "default",
    "deferrable", "deferred", "delete", "desc", "detach", "distinct", "do", "drop", "each",
    "else", "end", "escape", "except", "exclude", "exclusive", "exists", "explain", "fail",
    "filter", "first", "following", "for", "foreign", "from", "full", "generated", "glob",
    "group", "groups", "having", "if", "ignore", "immediate", "in", "index", "indexed",
    "initially", "inner", "insert", "instead", "intersect", "into", "is", "isnull", "join",
    "key", "last", "left", "like", "limit", "match", "materialized", "natural", "no", "not",
    "nothing", "notnull", "null", "nulls", "of", "offset", "on", "or", "order", "others",
    "outer", "over", "partition", "plan", "pragma", "preceding", "primary", "query", "raise",
    "range", "recursive", "references", "regexp", "reindex", "release", "rename", "replace",
    "restrict", "returning", "right", "rollback", "row", "rows", "savepoint", "select", "set",
    "table", "temp", "temporary", "then", "ties", "to", "transaction", "trigger", "unbounded",
    "union", "unique", "update", "using", "vacuum", "values", "view", "virtual", "when",
    "where", "window", "with", "without",
))
# fmt: on

#: PostgreSQL 15 reserved key words: the "reserved" and "reserved (can be function or
#: type)" entries of https://www.postgresql.org/docs/15/sql-keywords-appendix.html
#: (checked against ``pg_get_keywords()`` catcode 'R' and 'T' of PostgreSQL 15.18).
# fmt: off
POSTGRESQL_RESERVED: frozenset[str] = frozenset((
    # reserved
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both",
    "case", "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
    "current_date", "current_role", "current_time", "current_timestamp", "current_user",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false",
    "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
    "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
    "null", "offset", "on", "only", "or", "order", "placing", "primary", "references",
    "returning", "select", "session_user", "some", "symmetric", "table", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
    "window", "with",
    # reserved (can be function or type)
    "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze",
    "full", "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull",
    "outer", "overlaps", "right", "similar", "tablesample", "verbose",
))
# fmt: on

#: Python keywords (``keyword.kwlist``) that are valid names: a field named ``class``
#: could not be an attribute of the mapped class or the form.
PYTHON_KEYWORDS: frozenset[str] = frozenset(
    word for word in keyword.kwlist if NAME_PATTERN.match(word)
)

#: Names that break the libraries when used as a model attribute or form field name.
FRAMEWORK_RESERVED: frozenset[str] = frozenset(
    # WTForms ``BaseForm``/``Form`` attributes and methods
    # (https://wtforms.readthedocs.io/en/3.1.x/forms/): a field with one of these
    # names would shadow them.
    {"data", "errors", "form_errors", "meta", "populate_obj", "process", "validate"}
    # Flask-WTF ``FlaskForm`` (https://flask-wtf.readthedocs.io/en/1.2.x/api/) and
    # Flask-Admin's form helpers.
    | {"csrf_token", "hidden_tag", "is_submitted", "validate_on_submit", "form"}
    # SQLAlchemy declarative class attributes
    # (https://docs.sqlalchemy.org/en/20/orm/mapping_api.html), and Flask-SQLAlchemy's
    # ``Model.query`` / ``query_class``; ``session`` by convention of both.
    | {"metadata", "registry", "query", "query_class", "session"}
)

#: Every reserved word, whatever its source. System columns are separate.
RESERVED_WORDS: frozenset[str] = (
    SQLITE_KEYWORDS | POSTGRESQL_RESERVED | PYTHON_KEYWORDS | FRAMEWORK_RESERVED
)

#: Columns every table gets from the platform; a user field may not take these names.
SYSTEM_COLUMNS: frozenset[str] = frozenset(
    {"id", "version", "search_key", "created_at", "updated_at", "created_by", "updated_by"}
)

_SOURCES: tuple[tuple[str, frozenset[str]], ...] = (
    ("SQLite", SQLITE_KEYWORDS),
    ("PostgreSQL", POSTGRESQL_RESERVED),
    ("Python", PYTHON_KEYWORDS),
    ("SQLAlchemy/WTForms/Flask-Admin", FRAMEWORK_RESERVED),
)


def reserved_by(name: str) -> tuple[str, ...]:
    """Return the sources that reserve ``name``, e.g. ``("SQLite", "PostgreSQL")``."""
    return tuple(source for source, words in _SOURCES if name in words)


def identifier_problem(name: str) -> str | None:
    """Check a table or field name.

    Returns ``None`` when ``name`` is acceptable, otherwise one message in English
    that says what is wrong, for example ``"'select' is a reserved word in
    SQLite/PostgreSQL"``.
    """
    if not name:
        return "the name is empty; it must start with a lowercase Latin letter"
    if len(name) > MAX_IDENTIFIER_LENGTH:
        return (
            f"'{name}' is {len(name)} characters long; at most {MAX_IDENTIFIER_LENGTH} are allowed"
        )
    if not NAME_PATTERN.match(name):
        return f"'{name}' must start with a lowercase Latin letter and contain only a-z, 0-9 and _"
    if name in SYSTEM_COLUMNS:
        return f"'{name}' is a system column name"
    sources = reserved_by(name)
    if sources:
        return f"'{name}' is a reserved word in {'/'.join(sources)}"
    return None


def is_valid_identifier(name: str) -> bool:
    """Return whether ``name`` is an acceptable table or field name."""
    return identifier_problem(name) is None


# --- Transliteration --------------------------------------------------------------------

#: Cyrillic to Latin, GOST 7.79-2000 system B as used in Russian passports, simplified
#: to plain ASCII (ё→e, й→y, ъ and ь dropped). Also the basic Ukrainian and Belarusian
#: letters.
CYRILLIC_TO_LATIN: Mapping[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Ukrainian
    "є": "ye", "і": "i", "ї": "yi", "ґ": "g",
    # Belarusian
    "ў": "u",
}  # fmt: skip

#: Latin letters that Unicode does not decompose into a base letter plus marks.
_LATIN_SPECIAL: Mapping[str, str] = {
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d",
    "þ": "th", "ı": "i", "ħ": "h",
}  # fmt: skip


def transliterate(text: str) -> str:
    """Write Cyrillic letters in Latin, and strip diacritics from other letters.

    Case is kept: ``"Щука"`` gives ``"Shchuka"``, ``"ЩУКА"`` gives ``"SHCHUKA"``.
    Characters that are neither Cyrillic nor decomposable (digits, punctuation, CJK)
    are left as they are.
    """
    out: list[str] = []
    for index, char in enumerate(text):
        lower = char.lower()
        latin = CYRILLIC_TO_LATIN.get(lower)
        if latin is None:
            latin = _LATIN_SPECIAL.get(lower)
        if latin is None:
            if char.isascii():
                out.append(char)
            else:
                decomposed = unicodedata.normalize("NFKD", char)
                out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
            continue
        if char != lower:  # an uppercase letter
            neighbours = text[index - 1 : index] + text[index + 1 : index + 2]
            if len(latin) > 1 and any(c.isupper() for c in neighbours):
                latin = latin.upper()
            else:
                latin = latin.capitalize()
        out.append(latin)
    return "".join(out)


# --- Deriving names from labels --------------------------------------------------------

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def derive_name(label: str, taken: Collection[str] = ()) -> str:
    """Derive a valid, unused name from a user's label.

    The label is transliterated, lowercased, and every run of other characters
    becomes one ``_``. A name that would start with a digit gets the prefix ``f_``;
    an empty one becomes ``field``. A reserved word or system column name gets a
    trailing ``_``. The result is at most 63 characters long, and when it is in
    ``taken``, ``_2``, ``_3``... is appended until it is not.

    >>> derive_name("Дата рождения")
    'data_rozhdeniya'
    >>> derive_name("Select")
    'select_'
    >>> derive_name("Телефон", taken={"telefon"})
    'telefon_2'
    """
    base = _NON_ALNUM.sub("_", transliterate(label).lower()).strip("_")
    if not base:
        base = "field"
    elif base[0].isdigit():
        base = f"f_{base}"
    base = base[:MAX_IDENTIFIER_LENGTH].rstrip("_")
    if base in RESERVED_WORDS or base in SYSTEM_COLUMNS:
        base = f"{base}_"

    taken_set = frozenset(taken)
    candidate = base
    number = 1
    while candidate in taken_set or identifier_problem(candidate) is not None:
        number += 1
        suffix = f"_{number}"
        candidate = base[: MAX_IDENTIFIER_LENGTH - len(suffix)].rstrip("_") + suffix
    return candidate
