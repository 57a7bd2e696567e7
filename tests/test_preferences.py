"""The engine's preference and saved-view stores, without the web layer (both databases)."""

from __future__ import annotations

from typing import Any

import pytest

from uchet import SYSTEM, NotFound, PermissionDenied, ValidationError
from uchet.platform.features.preferences import Preferences
from uchet.platform.features.saved_views import SavedViews


def stores(platform: Any) -> tuple[Preferences, SavedViews]:
    system = platform.runtime.model.system
    prefs = Preferences(platform.engine, system["uchet_prefs"])
    views = SavedViews(platform.engine, system["uchet_saved_views"], ["main", "manager", "viewer"])
    return prefs, views


def test_preferences_resolve_user_then_roles_in_order(platform: Any) -> None:
    prefs, _ = stores(platform)
    both = platform.users.create("both", "pw-123456789", name="Both", roles=["viewer", "manager"])
    prefs.set_for_role("clients", "manager", "cols", ["name"])
    prefs.set_for_role("clients", "viewer", "cols", ["city"])
    prefs.set_for_role("clients", "manager", "widths", {"name": 100})
    got = prefs.resolve("clients", both, ["cols", "widths", "other"])
    assert got["cols"].value == ["city"] and got["cols"].source == "role:viewer"
    assert got["widths"].source == "role:manager" and "other" not in got
    prefs.set_for_user("clients", both, "cols", ["name", "city"])
    prefs.set_for_user("clients", both, "cols", ["city", "name"])  # replaces, no duplicate
    got = prefs.resolve("clients", both, ["cols"])
    assert got["cols"].value == ["city", "name"] and got["cols"].source == "user"
    assert len(prefs.layers("clients", both, ["cols"])["cols"]) == 3
    prefs.clear_user("clients", both, ["cols"])
    assert prefs.resolve("clients", both, ["cols"])["cols"].source == "role:viewer"
    assert prefs.resolve("contacts", both, ["cols"]) == {}  # per table
    with pytest.raises(ValidationError, match="too large"):
        prefs.set_for_user("clients", both, "cols", ["x" * 30_000])
    with pytest.raises(ValidationError):
        prefs.set_for_user("clients", SYSTEM, "cols", ["name"])


def test_saved_views_visibility_and_ownership(platform: Any) -> None:
    _, views = stores(platform)
    anna = platform.users.create("anna", "pw-123456789", name="Anna", roles=["manager"])
    boris = platform.users.create("boris", "pw-123456789", name="Boris", roles=["manager"])
    vera = platform.users.create("vera", "pw-123456789", name="Vera", roles=["viewer"])
    mine = views.save("clients", anna, "Мои", [["sort", "-name"]])
    team = views.save("clients", anna, "Команда", [["group", "city"]], shared_with="manager")
    views.save("clients", anna, "Всем", [], shared_with="*")

    def names(user: Any, admin: bool = False) -> list[str]:
        return [v.name for v in views.visible("clients", user, admin)]

    assert names(anna) == ["Всем", "Команда", "Мои"]
    assert names(boris) == ["Всем", "Команда"] and names(vera) == ["Всем"]
    assert names(vera, admin=True) == ["Всем", "Команда", "Мои"]
    assert views.visible("contacts", anna) == []
    with pytest.raises(NotFound):
        views.get(mine.id, boris)
    with pytest.raises(PermissionDenied):
        views.delete(team.id, boris)
    with pytest.raises(PermissionDenied):
        views.save("clients", boris, "x", [], view_id=team.id)
    with pytest.raises(ValidationError, match="shares a view with another role"):
        views.save("clients", anna, "Им", [], shared_with="viewer")
    with pytest.raises(ValidationError, match="unknown role"):
        views.save("clients", anna, "Им", [], shared_with="ghost")
    with pytest.raises(ValidationError, match="pairs"):
        views.save("clients", anna, "Плохо", [["only-one"]])
    with pytest.raises(ValidationError, match="another view"):
        views.save("clients", anna, "Мои", [], view_id=team.id)
    # Same name again: the owner's view is overwritten, not doubled.
    again = views.save("clients", anna, "Мои", [["sort", "city"]])
    assert again.id == mine.id and views.get(mine.id, anna).state == (("sort", "city"),)
    views.delete(mine.id, boris, admin=True)
    assert names(anna) == ["Всем", "Команда"]
