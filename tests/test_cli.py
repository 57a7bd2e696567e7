"""The `uchet` command: init, migrate (plan, apply, refusals and their exit codes), users."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

import uchet
import uchet.core
from uchet.cli import main

SAMPLE = Path(str(resources.files("uchet") / "sample_crm"))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("UCHET_CONFIG", raising=False)
    monkeypatch.delenv("UCHET_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # a stray default uchet.db lands in tmp, never in the repo


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.db'}"


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A private copy of the sample CRM to change."""
    target = tmp_path / "crm"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def edit(bundle: Path, file: str, change: Callable[[Any], Any]) -> None:
    path = bundle / file
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def field(table: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in table["fields"] if f["name"] == name)


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def columns(url: str, table: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


@pytest.fixture
def platform_of() -> Iterator[Callable[..., uchet.Platform]]:
    """Open platforms for assertions, closed at the end of the test."""
    opened: list[uchet.Platform] = []

    def open_(config: str | Path, url: str) -> uchet.Platform:
        p = uchet.Platform.open(config=str(config), database_url=url)
        opened.append(p)
        return p

    yield open_
    for p in opened:
        p.close()


def init(config: str | Path, url: str, *extra: str) -> Result:
    return run("init", "--config", str(config), "--database", url, *extra)


def migrate(config: str | Path, url: str, *extra: str) -> Result:
    return run("migrate", "--config", str(config), "--database", url, *extra)


# ------------------------------------------------------------------------------------ init


def test_init_creates_schema_and_admin(db_url: str, platform_of: Any) -> None:
    result = init("sample_crm", db_url, "--admin-password", "s3cret-pass")
    assert result.exit_code == 0, result.output
    assert "Initialised the database at version 1" in result.output
    assert "crm.db" in result.output
    assert "sample_crm 0.1.0" in result.output
    assert re.search(r"clients\s+0 rows", result.output)
    assert re.search(r"contacts\s+0 rows", result.output)
    assert "admin (created, role main)" in result.output
    assert "s3cret-pass" not in result.output  # a given password is never echoed

    assert {"id", "version", "name", "city", "category"} <= columns(db_url, "clients")
    p = platform_of("sample_crm", db_url)
    assert p.applied()[0] == 1
    admin = p.users.authenticate("admin", "s3cret-pass")
    assert admin is not None and admin.roles == ("main",)
    assert p.users.authenticate("admin", "wrong-password") is None


def test_init_generates_and_prints_a_password(db_url: str, platform_of: Any) -> None:
    result = init("sample_crm", db_url, "--admin-login", "boss")
    assert result.exit_code == 0, result.output
    found = re.search(r"password:\s+(\S+)", result.output)
    assert found, result.output
    p = platform_of("sample_crm", db_url)
    assert p.users.authenticate("boss", found.group(1)) is not None


def test_init_twice_is_idempotent(db_url: str, platform_of: Any) -> None:
    assert init("sample_crm", db_url, "--admin-password", "s3cret-pass").exit_code == 0
    p = platform_of("sample_crm", db_url)
    p.records("clients", user=uchet.SYSTEM).create({"name": "ООО Ромашка"})

    again = init("sample_crm", db_url)
    assert again.exit_code == 0, again.output
    assert "already initialised (version 1)" in again.output
    assert "admin (exists, roles main)" in again.output
    assert "password:" not in again.output
    assert re.search(r"clients\s+1 row\b", again.output)
    assert [u.login for u in p.users.all()] == ["admin"]
    assert p.users.authenticate("admin", "s3cret-pass") is not None  # password unchanged
    assert p.applied()[0] == 1


def test_init_again_migrates_a_changed_configuration(
    db_url: str, bundle: Path, platform_of: Any
) -> None:
    assert init(bundle, db_url, "--admin-password", "s3cret-pass").exit_code == 0
    new = {"id": "clients.fax", "name": "fax", "type": "phone", "label": "Fax"}
    edit(bundle, "tables/clients.json", lambda t: t["fields"].append(new))
    result = init(bundle, db_url)
    assert result.exit_code == 0, result.output
    assert "already initialised (version 1)" in result.output
    assert "migrated to version 2" in result.output
    assert "fax" in columns(db_url, "clients")


def test_init_invalid_configuration_exits_1(db_url: str, bundle: Path, tmp_path: Path) -> None:
    edit(bundle, "tables/clients.json", lambda t: field(t, "name").update(type="strng"))
    result = init(bundle, db_url)
    assert result.exit_code == 1
    assert "tables/clients.json:/fields/1/type: unknown field type 'strng'" in result.output
    assert not (tmp_path / "crm.db").exists()


def test_init_needs_a_superuser_role(db_url: str, bundle: Path) -> None:
    edit(bundle, "roles/roles.json", lambda roles: roles[0].pop("superuser"))
    result = init(bundle, db_url)
    assert result.exit_code == 1
    assert 'no role with "superuser": true' in result.output


def test_environment_defaults(db_url: str, bundle: Path, platform_of: Any) -> None:
    env = {"UCHET_CONFIG": str(bundle), "UCHET_DATABASE_URL": db_url}
    result = run("init", "--admin-password", "s3cret-pass", env=env)
    assert result.exit_code == 0, result.output
    assert platform_of(bundle, db_url).applied()[0] == 1
    assert run("migrate", env=env).output.startswith("Nothing to do")
    assert run("config", "check", env=env).output.startswith("OK sample_crm")


# --------------------------------------------------------------------------------- migrate


def test_migrate_fresh_database_then_nothing_to_do(db_url: str) -> None:
    plan = migrate("sample_crm", db_url, "--plan")
    assert plan.exit_code == 0, plan.output
    assert "+ create table clients" in plan.output
    assert "DESTRUCTIVE" not in plan.output
    assert "clients" not in table_names(db_url)  # --plan changed nothing

    first = migrate("sample_crm", db_url)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("Migrated to version 1")
    again = migrate("sample_crm", db_url)
    assert again.exit_code == 0
    assert again.output == "Nothing to do: the database is at version 1.\n"
    assert migrate("sample_crm", db_url, "--plan").output.startswith("Nothing to do")


def test_migrate_plans_once_and_builds_the_applied_configuration_once(
    db_url: str, bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan that is printed is the plan that is applied: made once, from the applied
    configuration built once (it was planned twice and built three or four times)."""
    assert migrate("sample_crm", db_url).exit_code == 0
    edit(bundle, "tables/clients.json", lambda t: t["fields"].append(
        {"id": "clients.bonus", "name": "bonus", "type": "integer", "label": {"en": "Bonus"}}
    ))  # fmt: skip
    calls: Counter[str] = Counter()

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(
        "uchet.core.plan_for_database", counted("plan", uchet.core.plan_for_database)
    )
    monkeypatch.setattr(
        "uchet.core.build_configuration", counted("build", uchet.core.build_configuration)
    )
    result = migrate(str(bundle), db_url)
    assert result.output == "Migrated to version 2 (1 operation).\n"
    assert calls == {"plan": 1, "build": 1}
    calls.clear()
    assert migrate(str(bundle), db_url, "--plan").output.startswith("Nothing to do")
    assert calls == {"plan": 1, "build": 1}


def test_plan_shows_sql(db_url: str) -> None:
    result = migrate("sample_crm", db_url, "--plan", "--sql")
    assert result.exit_code == 0, result.output
    assert "-- SQL for sqlite" in result.output
    assert "CREATE TABLE clients" in result.output
    sql_only = migrate("sample_crm", db_url, "--sql")  # --sql implies --plan
    assert sql_only.exit_code == 0
    assert "CREATE TABLE clients" in sql_only.output
    assert migrate("sample_crm", db_url).output.startswith("Migrated to version 1")


def test_rename_is_planned_and_keeps_the_data(db_url: str, bundle: Path, platform_of: Any) -> None:
    assert migrate(bundle, db_url).exit_code == 0
    clients = platform_of(bundle, db_url).records("clients", user=uchet.SYSTEM)
    created = clients.create({"name": "ООО Ромашка", "address": "Казань, ул. Баумана, 1"})

    edit(bundle, "tables/clients.json", lambda t: field(t, "address").update(name="postal_address"))
    plan = migrate(bundle, db_url, "--plan")
    assert plan.exit_code == 0, plan.output
    assert "+ rename field clients.address -> postal_address" in plan.output
    assert "drop field" not in plan.output and "add field" not in plan.output
    assert "address" in columns(db_url, "clients")  # --plan changed nothing

    result = migrate(bundle, db_url)
    assert result.exit_code == 0, result.output
    assert "Migrated to version 2" in result.output
    assert "postal_address" in columns(db_url, "clients")
    assert "address" not in columns(db_url, "clients")
    record = platform_of(bundle, db_url).records("clients", user=uchet.SYSTEM).get(created["id"])
    assert record["postal_address"] == "Казань, ул. Баумана, 1"
    assert record["name"] == "ООО Ромашка"


def test_drop_needs_allow_destructive(db_url: str, bundle: Path, platform_of: Any) -> None:
    assert migrate(bundle, db_url).exit_code == 0
    platform_of(bundle, db_url).records("clients", user=uchet.SYSTEM).create(
        {"name": "ООО Ромашка", "notes": "важный"}
    )

    def drop_notes(t: dict[str, Any]) -> None:
        t["fields"] = [f for f in t["fields"] if f["name"] != "notes"]

    edit(bundle, "tables/clients.json", drop_notes)
    edit(
        bundle,
        "forms/client_card.json",
        lambda form: form["layout"][0]["sections"][3]["rows"].remove(["clients.notes"]),
    )
    assert run("config", "check", str(bundle)).exit_code == 0

    plan = migrate(bundle, db_url, "--plan")
    assert plan.exit_code == 0
    assert re.search(r"! drop field clients\.notes.*\[DESTRUCTIVE\]", plan.output), plan.output

    refused = migrate(bundle, db_url)
    assert refused.exit_code == 3, refused.output
    assert "drop field clients.notes" in refused.output
    assert "--allow-destructive" in refused.output
    assert "notes" in columns(db_url, "clients")  # nothing changed
    assert platform_of(bundle, db_url).applied()[0] == 1

    allowed = migrate(bundle, db_url, "--allow-destructive")
    assert allowed.exit_code == 0, allowed.output
    assert "Migrated to version 2" in allowed.output
    assert "notes" not in columns(db_url, "clients")


def _color_as_text(bundle: Path) -> None:
    """The categories' colour as plain text (the CRM's is the stricter ``color`` type), so
    the tests can store values that will not convert to an integer."""
    edit(bundle, "tables/client_categories.json",
         lambda t: field(t, "color").update(type="string"))  # fmt: skip


def _retype_color_to_integer(bundle: Path) -> None:
    def retype(t: dict[str, Any]) -> None:
        field(t, "color").update(type="integer")
        field(t, "color").pop("max_length")
        t.pop("seed")  # its colours are text

    edit(bundle, "tables/client_categories.json", retype)


def test_values_that_will_not_convert_exit_4(db_url: str, bundle: Path, platform_of: Any) -> None:
    _color_as_text(bundle)
    assert migrate(bundle, db_url).exit_code == 0
    categories = platform_of(bundle, db_url).records("client_categories", user=uchet.SYSTEM)
    for seeded in categories.query().rows:  # the seed rows' colours are "#rrggbb"
        categories.delete(seeded["id"])
    bad = categories.create({"name": "VIP", "color": "золотой"})
    good = categories.create({"name": "Обычные", "color": "42"})
    _retype_color_to_integer(bundle)

    plan = migrate(bundle, db_url, "--plan")
    assert "change type of client_categories.color" in plan.output
    assert migrate(bundle, db_url).exit_code == 3  # string -> integer can lose data
    refused = migrate(bundle, db_url, "--allow-destructive")
    assert refused.exit_code == 4, refused.output
    assert "client_categories.color: 1 value will not convert" in refused.output
    assert f"#{bad['id']}='золотой'" in refused.output
    assert "--on-conversion-error set-null" in refused.output
    assert "--default-value" in refused.output
    assert platform_of(bundle, db_url).applied()[0] == 1

    result = migrate(bundle, db_url, "--allow-destructive", "--on-conversion-error", "set-null")
    assert result.exit_code == 0, result.output
    after = platform_of(bundle, db_url).records("client_categories", user=uchet.SYSTEM)
    assert after.get(bad["id"])["color"] is None
    assert after.get(good["id"])["color"] == 42


def test_default_value_replaces_values_that_will_not_convert(
    db_url: str, bundle: Path, platform_of: Any
) -> None:
    _color_as_text(bundle)
    assert migrate(bundle, db_url).exit_code == 0
    categories = platform_of(bundle, db_url).records("client_categories", user=uchet.SYSTEM)
    bad = categories.create({"name": "Золото", "color": "золотой"})
    _retype_color_to_integer(bundle)
    result = migrate(bundle, db_url, "--allow-destructive", "--default-value", "7")
    assert result.exit_code == 0, result.output
    after = platform_of(bundle, db_url).records("client_categories", user=uchet.SYSTEM)
    assert after.get(bad["id"])["color"] == 7


def test_migrate_invalid_configuration_exits_1(db_url: str, bundle: Path, tmp_path: Path) -> None:
    edit(bundle, "tables/contacts.json", lambda t: field(t, "client").update(target="customers"))
    result = migrate(bundle, db_url)
    assert result.exit_code == 1
    assert (
        "tables/contacts.json:/fields/0/target: target 'customers' is not a table" in result.output
    )
    assert result.output.splitlines()[-1].endswith(f"in {bundle}")
    assert not (tmp_path / "crm.db").exists()


def test_migration_failure_exits_5(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: Any, **kwargs: Any) -> int:
        raise uchet.MigrationError("disk full")

    monkeypatch.setattr(uchet.Platform, "migrate", fail)
    result = migrate("sample_crm", db_url)
    assert result.exit_code == 5
    assert "rolled back" in result.output and "disk full" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["migrate", "--on-conversion-error", "set-null", "--default-value", "0"],
        ["migrate", "--on-conversion-error", "default"],
        ["migrate", "--on-conversion-error", "ignore"],
        ["migrate", "--no-such-option"],
        ["users", "add", "bob"],
    ],
)
def test_usage_errors_exit_2(args: list[str], db_url: str) -> None:
    assert run(*args, "--database", db_url).exit_code == 2


def test_help_documents_exit_codes() -> None:
    for command in (["migrate"], ["init"], ["config", "check"], []):
        output = run(*command, "--help").output
        assert "Exit codes:" in output
        assert "3  destructive change refused" in output


# ----------------------------------------------------------------------------------- users


def test_users_add_and_list(db_url: str, platform_of: Any) -> None:
    assert init("sample_crm", db_url, "--admin-password", "s3cret-pass").exit_code == 0
    added = run(
        "users", "add", "petrov", "--role", "manager", "--password", "petrov-pass",
        "--name", "Пётр Петров", "--database", db_url,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added user petrov" in added.output
    generated = run("users", "add", "viewer1", "-r", "viewer", "--database", db_url)
    assert generated.exit_code == 0, generated.output
    password = re.search(r"Password: (\S+)", generated.output)
    assert password

    p = platform_of("sample_crm", db_url)
    assert p.users.authenticate("petrov", "petrov-pass").roles == ("manager",)
    assert p.users.authenticate("viewer1", password.group(1)) is not None

    listed = run("users", "list", "--database", db_url)
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert [line.split()[0] for line in lines] == ["admin", "petrov", "viewer1"]
    assert "Пётр Петров" in lines[1] and "manager" in lines[1]


def test_users_add_refusals_exit_1(db_url: str) -> None:
    assert init("sample_crm", db_url, "--admin-password", "s3cret-pass").exit_code == 0
    unknown = run("users", "add", "x", "--role", "boss", "--database", db_url)
    assert unknown.exit_code == 1
    assert "Unknown role(s): boss" in unknown.output
    taken = run("users", "add", "admin", "--role", "main", "--database", db_url)
    assert taken.exit_code == 1
    assert "taken" in taken.output


def test_users_before_init_exit_1(db_url: str) -> None:
    result = run("users", "list", "--database", db_url)
    assert result.exit_code == 1
    assert "uchet migrate" in result.output


# ------------------------------------------------------------------------- UCHET_PLUGINS

PLUGIN_MODULE = '''
import sqlalchemy as sa

from uchet import FieldType, ParseError, hookimpl


class Percent(FieldType):
    """A whole percentage, 0 to 100."""

    name = "percent_from_env"

    def column_type(self, field):
        return sa.Integer()

    def parse(self, field, value):
        return None if value in (None, "") else int(value)


@hookimpl
def uchet_register_field_types(registry):
    registry.register(Percent())
'''


def test_uchet_plugins_names_a_module_whose_field_type_config_check_accepts(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "acme_percent.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(plugins))
    edit(bundle, "tables/clients.json", lambda t: t["fields"].append(
        {"id": "clients.discount", "name": "discount", "type": "percent_from_env",
         "label": {"en": "Discount"}}
    ))  # fmt: skip
    unknown = run("config", "check", str(bundle))
    assert unknown.exit_code == 1 and "percent_from_env" in unknown.output
    checked = run("config", "check", str(bundle), env={"UCHET_PLUGINS": " acme_percent ,"})
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("OK ")


def test_uchet_plugins_naming_a_missing_module_is_one_clear_error(bundle: Path) -> None:
    result = run("config", "check", str(bundle), env={"UCHET_PLUGINS": "no_such_plugin_xyz"})
    assert result.exit_code == 1
    assert "no_such_plugin_xyz" in result.output and "UCHET_PLUGINS" in result.output
    assert "Traceback" not in result.output


def test_manifest_plugins_name_a_module_for_config_check_and_the_platform(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """Issue 11, point 8b: a configuration names its plug-ins in the manifest's ``plugins``;
    the checks know their field types, and the platform's records use them."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "acme_percent_manifest.py").write_text(
        PLUGIN_MODULE.replace("percent_from_env", "percent_from_manifest"), encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(plugins))
    edit(bundle, "tables/clients.json", lambda t: t["fields"].append(
        {"id": "clients.discount", "name": "discount", "type": "percent_from_manifest",
         "label": {"en": "Discount"}}
    ))  # fmt: skip
    unknown = run("config", "check", str(bundle))
    assert unknown.exit_code == 1 and "percent_from_manifest" in unknown.output
    edit(bundle, "manifest.json", lambda m: m.__setitem__("plugins", ["acme_percent_manifest"]))
    checked = run("config", "check", str(bundle))
    assert checked.exit_code == 0, checked.output

    from uchet import SYSTEM, Platform

    platform = Platform.open(bundle, database_url=db_url)
    try:
        platform.migrate()
        created = platform.records("clients", user=SYSTEM).create(
            {"name": "Плагин", "discount": "15"}
        )
        assert created["discount"] == 15
    finally:
        platform.close()


def test_manifest_plugin_that_cannot_be_imported_is_an_error_at_its_pointer(
    bundle: Path,
) -> None:
    edit(bundle, "manifest.json", lambda m: m.__setitem__("plugins", ["first_xyz", "no_such_xyz"]))
    result = run("config", "check", str(bundle))
    assert result.exit_code == 1
    assert "manifest.json:/plugins/0" in result.output and "first_xyz" in result.output
    assert "manifest.json:/plugins/1" in result.output and "no_such_xyz" in result.output
    assert "Traceback" not in result.output


def test_manifest_plugins_must_be_module_names(bundle: Path) -> None:
    edit(bundle, "manifest.json", lambda m: m.__setitem__("plugins", ["not a module!"]))
    result = run("config", "check", str(bundle))
    assert result.exit_code == 1
    assert "manifest.json:/plugins/0" in result.output and "not a module!" in result.output
