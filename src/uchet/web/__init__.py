"""The web layer: a Flask app per configuration version with generated Flask-Admin screens.

Public API: :func:`create_app` (the app factory) and :class:`UchetAdmin` (mount the screens
in an existing Flask app).
"""

from uchet.web.app import UchetAdmin, create_app
from uchet.web.settings import WebSettings

__all__ = ["UchetAdmin", "WebSettings", "create_app"]
