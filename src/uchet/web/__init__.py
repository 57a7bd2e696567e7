"""The web layer: a Flask app per configuration version with generated Flask-Admin screens.

Public API: :func:`create_app` (the app factory), :class:`UchetAdmin` (mount the screens
in an existing Flask app) and :class:`WebSettings`.

Inside, the arrows point one way: base modules (settings, i18n, context, screen, forms,
views and the screens' helpers) < the feature screens, the print editor's among them
(:mod:`uchet.printeditor.views`) < :mod:`uchet.web.builder` < :mod:`uchet.web.app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uchet.web.settings import WebSettings

if TYPE_CHECKING:
    from uchet.web.app import UchetAdmin, create_app

__all__ = ["UchetAdmin", "WebSettings", "create_app"]


def __getattr__(name: str) -> object:
    # The factory is at the top of the web layer, and this package is the parent of every
    # module below it: importing it here would make the first ``import uchet.web.context``
    # (from the print editor's views, say) build the whole assembly before that module has
    # run, which comes back to the half-run module through the builder.
    if name in ("UchetAdmin", "create_app"):
        from uchet.web import app

        return getattr(app, name)
    raise AttributeError(f"module 'uchet.web' has no attribute {name!r}")
