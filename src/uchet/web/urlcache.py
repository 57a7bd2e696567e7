"""``url_for`` answered from a per-app memo (issue 12: a page's CPU).

A list page builds about sixty URLs: the static files of Flask-Admin and uchet, the view's
own endpoints (export, save the view, bulk actions, the designer) and the menus. Each
``url_for`` costs Flask's endpoint resolution, the URL defaults, Werkzeug's builder and
the quoting of its values, about 20 µs, or some 8 % of a list page's CPU. The answers depend
only on the app's URL map, which is fixed for a configuration version (every version gets
an app of its own, :mod:`uchet.web.hotswap`), and on the request's host and script root.
So :class:`UchetFlask` keeps them per app.

Only plain calls are kept: values that are text, numbers, booleans or None; no
``_external``, ``_anchor``, ``_method`` or ``_scheme`` other than None; inside a request;
and while no blueprint has URL default functions (they could add request-dependent
values). A failed build is not kept: it goes through Flask's error handling every time.
The memo is bounded; when full it is emptied, so a stream of URLs with record ids cannot
grow a worker's memory.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.globals import request_ctx

#: Entries kept per app before the memo starts again.
LIMIT = 4096

_PLAIN = (str, int, float, bool, type(None))


class UchetFlask(Flask):
    """Flask, with :meth:`url_for` memoised per app for plain calls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url_memo: dict[tuple[Any, ...], str] = {}

    def url_for(self, endpoint: str, /, **values: Any) -> str:  # type: ignore[override]
        """Flask's ``url_for``; a plain call seen before in this app is answered from memory."""
        if not request_ctx or any(self.url_default_functions.values()):
            return super().url_for(endpoint, **values)
        key_values = []
        for name, value in values.items():
            if name[:1] == "_":
                if value is None:  # flask.url_for passes each of them, as None
                    continue
                return super().url_for(endpoint, **values)
            if not isinstance(value, _PLAIN):
                return super().url_for(endpoint, **values)
            # The type is part of the key: True == 1, but one builds "True", the other "1".
            key_values.append((name, type(value), value))
        # A relative endpoint (".export") resolves against the request's blueprint.
        blueprint = request.blueprint if endpoint[:1] == "." else None
        key = (request.host, request.script_root, blueprint, endpoint, tuple(key_values))
        url = self._url_memo.get(key)
        if url is None:
            url = super().url_for(endpoint, **values)
            if len(self._url_memo) >= LIMIT:
                self._url_memo.clear()
            self._url_memo[key] = url
        return url
