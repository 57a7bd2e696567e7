"""Who may confirm a task: a field's ``changed_by`` (S16, issue 21), on SQLite and PostgreSQL.

The assignee may edit their task and mark it done, but "the manager or the responsible
person confirms the execution": ``work.confirmed`` is changed only by the task's author or
the client's manager (and superusers). Checked in the record service (every path: screens,
API, import) and on the card, which shows the field read-only to the assignee.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from tests.test_web_card import form_data
from tests.web_support import WebClient

from uchet import SYSTEM, ValidationError
from uchet.configurations.loader import load
from uchet.platform.model.errors import ConfigError


def _task(platform: Any, users: dict[str, Any]) -> dict[str, Any]:
    anna, boris = users["anna"], users["boris"]
    client = platform.records("clients", user=anna).create({"name": "ООО «Ромашка»",
                                                             "manager": anna.id})  # fmt: skip
    return platform.records("work", user=anna).create(
        {"client": client["id"], "title": "Позвонить", "assignee": boris.id}
    )


def test_the_assignee_cannot_confirm_but_the_author_and_a_superuser_can(web_platform: Any) -> None:
    users = web_platform.test_users
    task = _task(web_platform, users)
    as_boris = web_platform.records("work", user=users["boris"])
    done = as_boris.update(task["id"], {"done": True, "percent": 100})
    assert done["done"] and not done["confirmed"]
    with pytest.raises(ValidationError) as refused:
        web_platform.records("work", user=users["boris"], locale="en").update(
            task["id"], {"confirmed": True}
        )
    assert refused.value.messages == {
        "confirmed": ["Only the people responsible for this record may change this field."]
    }
    # Nothing was written: the version and the value are as before.
    again = web_platform.records("work", user=SYSTEM).get(task["id"])
    assert (again["version"], again["confirmed"]) == (done["version"], False)
    # Writing the same value it has is not a change, so an unrelated save still works.
    assert as_boris.update(task["id"], {"confirmed": False, "notes": "Звонил"})["notes"] == "Звонил"
    # In Russian, for the screens.
    ru = web_platform.records("work", user=users["boris"], locale="ru")
    with pytest.raises(ValidationError) as refused_ru:
        ru.update(task["id"], {"confirmed": True})
    assert refused_ru.value.messages["confirmed"] == [
        "Это поле в этой записи могут менять только ответственные за неё."
    ]
    confirmed = web_platform.records("work", user=users["anna"]).update(
        task["id"], {"confirmed": True}
    )
    assert confirmed["confirmed"] and confirmed["confirmed_by"] == users["anna"].id
    # A superuser may undo it; then the client's manager (Anna is both here) may again.
    admin = web_platform.records("work", user=users["admin"])
    assert not admin.update(task["id"], {"confirmed": False})["confirmed"]


def test_the_clients_manager_confirms_a_task_someone_else_assigned(web_platform: Any) -> None:
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    client = web_platform.records("clients", user=anna).create({"name": "ИП Петров",
                                                                 "manager": anna.id})  # fmt: skip
    # The administrator assigns a task on Anna's client to Boris: Anna is not the author,
    # but she is the client's manager, so she may confirm; Boris may not.
    task = web_platform.records("work", user=users["admin"]).create(
        {"client": client["id"], "title": "Выставить счёт", "assignee": boris.id}
    )
    with pytest.raises(ValidationError):
        web_platform.records("work", user=boris).update(task["id"], {"confirmed": True})
    ok = web_platform.records("work", user=anna).update(task["id"], {"confirmed": True})
    assert ok["confirmed"]


def test_the_card_shows_confirmation_read_only_to_the_assignee(
    web_platform: Any, web_app: Any
) -> None:
    users = web_platform.test_users
    task = _task(web_platform, users)
    boris, anna = WebClient(web_app), WebClient(web_app)
    assert boris.login("boris").status_code == 302 and anna.login("anna").status_code == 302
    url = f"/work/edit/?id={task['id']}"
    assert 'name="confirmed"' not in boris.get(url).text
    assert 'name="confirmed"' in anna.get(url).text
    # A forged post of the box by the assignee changes nothing (the field is not taken).
    data = form_data(lxml.html.fromstring(boris.get(url).text))
    assert "confirmed" not in data
    response = boris.post(url, {**data, "confirmed": "y", "notes": "Позвонил"})
    assert response.status_code == 302, response.text[:500]
    stored = web_platform.records("work", user=SYSTEM).get(task["id"])
    assert stored["notes"] == "Позвонил" and not stored["confirmed"]
    # The author's card posts it.
    data = form_data(lxml.html.fromstring(anna.get(url).text))
    assert anna.post(url, {**data, "confirmed": "y"}).status_code == 302
    assert web_platform.records("work", user=SYSTEM).get(task["id"])["confirmed"]


def test_the_configuration_check_names_a_bad_changed_by_path(tmp_path: Path) -> None:
    bundle = tmp_path / "crm"
    shutil.copytree(Path(str(resources.files("uchet") / "sample_crm")), bundle,
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    path = bundle / "tables" / "work.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    index = next(i for i, f in enumerate(data["fields"]) if f["id"] == "work.confirmed")
    data["fields"][index]["changed_by"] = [
        {"any": [{"field": "author", "op": "eq", "value": "$user"},
                 {"field": "client.nowhere", "op": "eq", "value": "$user"}]}
    ]  # fmt: skip
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError) as failed:
        load(bundle)
    pointers = [(issue.pointer, issue.message) for issue in failed.value.issues]
    assert any(
        pointer == f"/fields/{index}/changed_by/0/any/1/field" and "nowhere" in message
        for pointer, message in pointers
    ), pointers


def test_a_field_rename_rewrites_changed_by() -> None:
    """Renaming a field that ``changed_by`` names (directly or through a path) follows it."""
    from uchet.configurations.loader import base_tree_of
    from uchet.configurations.rename import rename_field

    def rules(tree: dict[str, Any]) -> Any:
        work = next(t for t in tree["tables"] if t["id"] == "work")
        return next(f for f in work["fields"] if f["id"] == "work.confirmed")["changed_by"]

    base = base_tree_of("sample_crm")
    assert rules(rename_field(base, "work.author", "creator").tree)[0]["any"][0]["field"] == (
        "creator"
    )
    assert rules(rename_field(base, "clients.manager", "owner").tree)[0]["any"][1]["field"] == (
        "client.owner"
    )
