"""URL rules whose builders are compiled on first use (issue 15: the hot swap's cost).

Every configuration version gets a Flask app of its own (:mod:`uchet.web.hotswap`), with
about 700 URL rules: each table's Flask-Admin views, the designers, the API. Werkzeug
compiles two URL *builders* per rule when the rule is added (Python source generated with
``ast`` and passed to ``compile``), which was the largest single cost of building an app:
about a third of the «first card on the new version» after a designer's save. A page calls
``url_for`` for a few dozen endpoints, so nearly all of that work was never used.

:class:`LazyBuilderRule` is Werkzeug's :class:`~werkzeug.routing.Rule` with the builder
compiled the first time the rule builds a URL. Matching is unchanged (the matcher does not
use builders), and so is every URL built: the compiled builder is Werkzeug's own. Two
threads building the same rule's first URL at once may both compile it; the results are
equal. Installed through Flask's ``url_rule_class``. Should a later Werkzeug stop calling
``_compile_builder``, the override is simply never used and rules compile eagerly again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

Builder = Callable[..., tuple[str, str]]


class LazyBuilderRule(Rule):
    """A Werkzeug rule that compiles each of its two URL builders when first called."""

    def _compile_builder(self, append_unknown: bool = True) -> Builder:
        compiled: list[Builder] = []
        eager = super()._compile_builder

        # Positional-only: a route's own argument may be called ``rule`` (Werkzeug names
        # its builder's first parameter ``.self`` for the same reason).
        def build(rule: Rule, /, *args: Any, **kwargs: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(eager(append_unknown))
            return compiled[0](rule, *args, **kwargs)

        return build
