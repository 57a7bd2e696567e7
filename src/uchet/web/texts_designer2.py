"""Interface texts of the card designer's second round (issue 15: re-applying a refused save
on the new version), merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are
the English texts, as there."""

from __future__ import annotations

DESIGNER2_TEXTS: dict[str, dict[str, str]] = {
    "Drag onto the card or click": {"ru": "Перетащите на карточку или нажмите"},
    "Apply my changes to the new version": {"ru": "Применить мои изменения к новой версии"},
    "Your layout does not fit the new version: %(problems)s": {
        "ru": "Ваша раскладка не подходит к новой версии: %(problems)s"
    },
}
