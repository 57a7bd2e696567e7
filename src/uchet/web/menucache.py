"""The top bar's menu, rendered once per role set, locale and page (issue 12, point 5).

The menu walks every view of the app, asks each whether the user may open it and builds
its URL: about 30 ``url_for`` calls and as many permission checks per page, for HTML that
depends only on the configuration version (one app per version, ``web/hotswap.py``), the
user's roles, the locale, the mount point and which entry is active. :class:`MenuCache`
keeps that HTML on the app and renders it again only for a new key.

Whether a menu entry is shown is decided by the user's roles alone (table, report, print
and settings rights are all granted to roles), which is why the roles, and not the user,
are in the key. ``tests/test_list_cells.py`` checks that two users of different roles get
their own menus and that a cached menu is the one the template renders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from markupsafe import Markup

#: Entries kept before the cache starts again: far more than role sets × locales × pages
#: of any configuration, so in practice it never clears; the bound only caps memory.
MAX_ENTRIES = 2048

MenuKey = tuple[tuple[str, ...], str, str, str]


class MenuCache:
    """Rendered menus of one app, by (roles, locale, mount point, active view)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: dict[MenuKey, Markup] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    @staticmethod
    def key(roles: Iterable[str], locale: str, script_root: str, endpoint: str) -> MenuKey:
        """The cache key of a page's menu."""
        return (tuple(sorted(roles)), locale, script_root, endpoint)

    def get(self, key: MenuKey, render: Callable[[], str]) -> Markup:
        """The menu of ``key``, rendered by ``render`` the first time."""
        found = self._items.get(key)
        if found is None:
            found = Markup(render())
            with self._lock:
                if len(self._items) >= self._max:
                    self._items.clear()
                self._items[key] = found
        return found

    def __len__(self) -> int:
        return len(self._items)
