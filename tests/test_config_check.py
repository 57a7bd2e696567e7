"""`uchet config check` and `load()` on broken configurations.

Each case copies the sample CRM bundle, breaks one thing, and checks that both the loader and
the command name the exact file, JSON pointer and problem.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from uchet.cli import main
from uchet.configurations.loader import load
from uchet.platform.model.errors import ConfigError, ConfigIssue

SAMPLE = Path(str(resources.files("uchet") / "sample_crm"))

# Positions of fields in the sample's tables (asserted by test_sample_positions).
CLIENTS = {
    "kind": 0,
    "name": 1,
    "category": 2,
    "status": 3,
    "city": 4,
    "tax_id": 9,
    "loyalty": 11,
    "contact_count": 15,
}
CONTACTS = {"client": 0, "name": 1, "position": 2, "client_city": 7}


# ------------------------------------------------------------------------------ helpers


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A private copy of the sample CRM bundle."""
    target = tmp_path / "crm"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def edit(bundle: Path, file: str, change: Callable[[Any], Any]) -> None:
    """Apply ``change`` (it edits the data in place) to the JSON of ``file``."""
    path = bundle / file
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def write_overlay(bundle: Path, data: dict[str, Any], name: str = "customer.json") -> Path:
    path = bundle.parent / "overlays" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        json.dumps({"overlay": "customer", **data}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def load_issues(path: Path, overlays: list[Path] = ()) -> list[ConfigIssue]:  # type: ignore[assignment]
    with pytest.raises(ConfigError) as info:
        load(path, list(overlays))
    return info.value.issues


def run_check(path: Path | str, overlays: list[Path] = ()) -> Any:  # type: ignore[assignment]
    args = ["config", "check", str(path)]
    for o in overlays:
        args += ["--overlay", str(o)]
    return CliRunner().invoke(main, args)


def field(table: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in table["fields"] if f["name"] == name)


# ---------------------------------------------------------------------- the broken cases


@dataclass
class Case:
    """One way to break the sample: what to do, and where the problem must be reported."""

    id: str
    breaks: Callable[[Path], list[Path] | None]  # returns overlay paths, if any
    file: str  # relative to the bundle; "@overlay" means the (first) overlay file
    pointer: str
    phrase: str


def _bad_json(b: Path) -> None:
    (b / "tables" / "clients.json").write_text('{\n  "id": "clients",\n  "name" "clients"\n}\n')


def _set_field(file: str, which: str, /, **props: Any) -> Callable[[Path], None]:
    def breaks(b: Path) -> None:
        edit(b, file, lambda t: field(t, which).update(props))

    return breaks


def _del_field_prop(file: str, name: str, prop: str) -> Callable[[Path], None]:
    def breaks(b: Path) -> None:
        edit(b, file, lambda t: field(t, name).pop(prop))

    return breaks


def _set_table(file: str, /, **props: Any) -> Callable[[Path], None]:
    def breaks(b: Path) -> None:
        edit(b, file, lambda t: t.update(props))

    return breaks


def _add_fields(file: str, *fields: dict[str, Any]) -> Callable[[Path], None]:
    def breaks(b: Path) -> None:
        edit(b, file, lambda t: t["fields"].extend(fields))

    return breaks


def _duplicate_id(b: Path) -> None:
    edit(b, "tables/contacts.json", lambda t: field(t, "position").update(id="contacts.name"))


def _circular(b: Path) -> None:
    edit(
        b,
        "tables/client_categories.json",
        lambda t: t["fields"].extend(
            [
                {
                    "id": "client_categories.a",
                    "name": "a",
                    "type": "formula",
                    "formula": "b + 1",
                    "label": "A",
                },
                {
                    "id": "client_categories.b",
                    "name": "b",
                    "type": "formula",
                    "formula": "a + 1",
                    "label": "B",
                },
            ]
        ),
    )


def _role_rule(b: Path) -> None:
    edit(
        b,
        "roles/roles.json",
        lambda roles: roles[1]["tables"]["clients"]["rows"][0].update(field="managr"),
    )


def _role_missing_table(b: Path) -> None:
    edit(b, "roles/roles.json", lambda roles: roles[2]["tables"].update(deals={"read": True}))


def _form_field(b: Path) -> None:
    edit(
        b,
        "forms/client_card.json",
        lambda f: f["layout"][0]["sections"][1]["rows"][0].__setitem__(1, "clients.fax"),
    )


def _form_table(b: Path) -> None:
    edit(b, "forms/client_card.json", lambda f: f.update(table="customers"))


def _form_children(b: Path) -> None:
    edit(b, "forms/client_card.json", lambda f: f["layout"][1].update(children="contacts.name"))


def _overlay_set_missing(b: Path) -> list[Path]:
    return [write_overlay(b, {"set": {"clients.fax": {"label": "Fax"}}})]


def _overlay_fields_missing_table(b: Path) -> list[Path]:
    new = {"id": "deals.total", "name": "total", "type": "money", "label": "Total"}
    return [write_overlay(b, {"fields": {"deals": [new]}})]


def _overlay_protected(b: Path) -> list[Path]:
    # A field's type may change (issue 14: the structure editor retypes); a table's fields
    # are its structure, never set whole.
    return [write_overlay(b, {"set": {"clients": {"fields": []}}})]


def _overlay_makes_invalid(b: Path) -> list[Path]:
    return [write_overlay(b, {"set": {"clients.city": {"max_length": "long"}}})]


def _overlay_hide_missing(b: Path) -> list[Path]:
    return [write_overlay(b, {"hide": ["clients.fax"]})]


def _overlay_remove_table(b: Path) -> list[Path]:
    return [write_overlay(b, {"remove": ["contacts"]})]


def _overlay_unset_missing(b: Path) -> list[Path]:
    return [write_overlay(b, {"unset": [{"target": "clients.fax", "properties": ["help"]}]})]


def _overlay_bad_field(b: Path) -> list[Path]:
    new = {"id": "clients.fax", "name": "fax", "type": "phon", "label": "Fax"}
    return [write_overlay(b, {"fields": {"clients": [new]}})]


def _overlay_schema(b: Path) -> list[Path]:
    return [write_overlay(b, {"sett": {}})]


def _missing_manifest(b: Path) -> None:
    (b / "manifest.json").unlink()


C, K, CC = "tables/clients.json", "tables/contacts.json", "tables/client_categories.json"
f = CLIENTS
g = CONTACTS

CASES = [
    Case("bad JSON syntax", _bad_json, C, "", "invalid JSON at line 3, column 10"),
    Case(
        "unknown field type",
        _set_field(C, "name", type="strng"),
        C,
        f"/fields/{f['name']}/type",
        "unknown field type 'strng'",
    ),
    Case(
        "duplicate id",
        _duplicate_id,
        K,
        f"/fields/{g['position']}/id",
        "duplicate id 'contacts.name'",
    ),
    Case(
        "duplicate field name",
        _set_field(C, "city", name="name"),
        C,
        f"/fields/{f['city']}/name",
        "duplicate field name 'name'",
    ),
    Case(
        "duplicate table name",
        _set_table(K, name="clients"),
        K,
        "/name",
        "duplicate table name 'clients'",
    ),
    Case(
        "bad identifier",
        _set_field(C, "city", name="Name-1"),
        C,
        f"/fields/{f['city']}/name",
        "does not match",
    ),
    Case(
        "reserved word",
        _set_field(C, "city", name="select"),
        C,
        f"/fields/{f['city']}/name",
        "'select' is a reserved word",
    ),
    Case(
        "reserved table name",
        _set_table(CC, name="order"),
        CC,
        "/name",
        "'order' is a reserved word",
    ),
    Case(
        "engine table prefix",
        _set_table(CC, name="uchet_categories"),
        CC,
        "/name",
        "reserved for the engine",
    ),
    Case(
        "system column name",
        _set_field(C, "city", name="version"),
        C,
        f"/fields/{f['city']}/name",
        "'version' is a system column",
    ),
    Case(
        "reference to a missing table",
        _set_field(C, "category", target="categories"),
        C,
        f"/fields/{f['category']}/target",
        "target 'categories' is not a table",
    ),
    Case(
        "set_null on a required reference",
        _set_field(K, "client", on_delete="set_null"),
        K,
        f"/fields/{g['client']}/on_delete",
        "cannot be used on a required field",
    ),
    Case(
        "rollup over a table that is not a child",
        _set_field(
            C,
            "contact_count",
            rollup={
                "table": "client_categories",
                "via": "client_categories.name",
                "aggregate": "count",
            },
        ),
        C,
        f"/fields/{f['contact_count']}/rollup/via",
        "is not a child of 'clients'",
    ),
    Case(
        "rollup over a missing table",
        _set_field(
            C,
            "contact_count",
            rollup={"table": "deals", "via": "deals.client", "aggregate": "count"},
        ),
        C,
        f"/fields/{f['contact_count']}/rollup/table",
        "no table with id 'deals'",
    ),
    Case(
        "rollup sum of text",
        _set_field(
            C,
            "contact_count",
            rollup={
                "table": "contacts",
                "via": "contacts.client",
                "field": "contacts.name",
                "aggregate": "sum",
            },
        ),
        C,
        f"/fields/{f['contact_count']}/rollup/field",
        "cannot sum the string field 'name'",
    ),
    Case(
        "formula naming a missing field",
        _set_field(K, "client_city", formula="client.town"),
        K,
        f"/fields/{g['client_city']}/formula",
        "no field 'client.town' in table 'clients'",
    ),
    Case(
        "formula syntax error",
        _set_field(K, "client_city", formula="client.city +"),
        K,
        f"/fields/{g['client_city']}/formula",
        "formula syntax error",
    ),
    Case(
        "formula unknown function",
        _set_field(K, "client_city", formula="shout(client.city)"),
        K,
        f"/fields/{g['client_city']}/formula",
        "shout",
    ),
    Case("circular formulas", _circular, CC, "/fields/3/formula", "circular formulas"),
    Case(
        "formula field without formula",
        _del_field_prop(K, "client_city", "formula"),
        K,
        f"/fields/{g['client_city']}",
        'needs "formula"',
    ),
    Case(
        "choice default not among the choices",
        _set_field(C, "status", default="vip"),
        C,
        f"/fields/{f['status']}/default",
        "default 'vip' is not among the choices",
    ),
    Case(
        "choice value listed twice",
        _set_field(
            C,
            "kind",
            choices=[{"value": "a", "label": "A"}, {"value": "a", "label": "B"}],
            default="a",
        ),
        C,
        f"/fields/{f['kind']}",
        "choice value 'a' is listed twice",
    ),
    Case(
        "default of the wrong type",
        _set_field(CC, "sort_order", default="first"),
        CC,
        "/fields/2/default",
        "default 'first' is not a valid integer",
    ),
    Case(
        "unknown property",
        _set_field(C, "city", colour="red"),
        C,
        f"/fields/{f['city']}",
        "unknown property 'colour'",
    ),
    Case(
        "missing required property",
        _del_field_prop(C, "city", "label"),
        C,
        f"/fields/{f['city']}",
        "'label' is required",
    ),
    Case(
        "wrong JSON type",
        _set_field(C, "city", max_length="long"),
        C,
        f"/fields/{f['city']}/max_length",
        "'long' is not of type 'integer'",
    ),
    Case(
        "bad enum value",
        _set_field(K, "client", on_delete="explode"),
        K,
        f"/fields/{g['client']}/on_delete",
        "'explode' is not one of",
    ),
    Case(
        "title_field naming a missing field",
        _set_table(C, title_field="clients.title"),
        C,
        "/title_field",
        "no field with id 'clients.title'",
    ),
    Case(
        "list column naming a missing field",
        _set_table(K, list={"columns": ["contacts.name", "contacts.fax"]}),
        K,
        "/list/columns/1",
        "no field with id 'contacts.fax'",
    ),
    Case(
        "search field naming a missing field",
        _set_table(CC, search_fields=["client_categories.title"]),
        CC,
        "/search_fields/0",
        "no field with id 'client_categories.title'",
    ),
    Case(
        "index on a computed field",
        _set_table(C, indexes=[{"id": "clients.ix_contacts", "fields": ["clients.contact_count"]}]),
        C,
        "/indexes/0/fields/0",
        "is computed and cannot be indexed",
    ),
    Case(
        "undeclared section",
        _set_table(C, section="sec_deals"),
        C,
        "/section",
        "section 'sec_deals' is not declared",
    ),
    Case(
        "role row rule on a missing field",
        _role_rule,
        "roles/roles.json",
        "/1/tables/clients/rows/0/field",
        "no field 'managr' in table 'clients'",
    ),
    Case(
        "role rights on a missing table",
        _role_missing_table,
        "roles/roles.json",
        "/2/tables/deals",
        "no table with id 'deals'",
    ),
    Case(
        "form layout naming a missing field",
        _form_field,
        "forms/client_card.json",
        "/layout/0/sections/1/rows/0/1",
        "no field with id 'clients.fax'",
    ),
    Case(
        "form of a missing table",
        _form_table,
        "forms/client_card.json",
        "/table",
        "no table with id 'customers'",
    ),
    Case(
        "form children not a reference",
        _form_children,
        "forms/client_card.json",
        "/layout/1/children",
        "is not a reference to 'clients'",
    ),
    Case(
        "min > max",
        _set_field(C, "loyalty", min=10, max=0),
        C,
        f"/fields/{f['loyalty']}/min",
        "min 10 is greater than max 0",
    ),
    Case(
        "invalid regex pattern",
        _set_field(C, "tax_id", pattern="^([0-9]{10}$"),
        C,
        f"/fields/{f['tax_id']}/pattern",
        "not a valid regular expression",
    ),
    Case(
        "property that does not apply to the type",
        _set_field(C, "city", choices=[{"value": "msk", "label": "Moscow"}]),
        C,
        f"/fields/{f['city']}/choices",
        "property 'choices' does not apply to a string field",
    ),
    Case(
        "target on a string",
        _set_field(C, "city", target="clients"),
        C,
        f"/fields/{f['city']}/target",
        "property 'target' does not apply to a string field",
    ),
    Case(
        "scale larger than precision",
        _add_fields(
            CC,
            {
                "id": "client_categories.rate",
                "name": "rate",
                "type": "decimal",
                "precision": 4,
                "scale": 6,
                "label": "Rate",
            },
        ),
        CC,
        "/fields/3/scale",
        "scale 6 is larger than precision 4",
    ),
    Case(
        "computed field marked required",
        _set_field(K, "client_city", required=True),
        K,
        f"/fields/{g['client_city']}/required",
        "cannot be required",
    ),
    Case(
        "default_locale not in locales",
        lambda b: edit(b, "manifest.json", lambda m: m.update(default_locale="de")),
        "manifest.json",
        "/default_locale",
        "'de' is not in locales",
    ),
    Case("missing manifest", _missing_manifest, "manifest.json", "", "has no manifest.json"),
    Case(
        "overlay target missing",
        _overlay_set_missing,
        "@overlay",
        "/set/clients.fax",
        "no object with id 'clients.fax' to set",
    ),
    Case(
        "overlay adding a field to a missing table",
        _overlay_fields_missing_table,
        "@overlay",
        "/fields/deals",
        "no table with id 'deals' to add fields to",
    ),
    Case(
        "overlay changing a protected property",
        _overlay_protected,
        "@overlay",
        "/set/clients/fields",
        "'fields' cannot be changed by an overlay",
    ),
    Case(
        "overlay making a field invalid",
        _overlay_makes_invalid,
        "@overlay",
        "/set/clients.city",
        "after this change, clients/fields/4/max_length",
    ),
    Case(
        "overlay hiding a missing field",
        _overlay_hide_missing,
        "@overlay",
        "/hide/0",
        "no object with id 'clients.fax' to hide",
    ),
    Case(
        "overlay removing a table",
        _overlay_remove_table,
        "@overlay",
        "/remove/0",
        "hide it instead",
    ),
    Case(
        "overlay unsetting on a missing object",
        _overlay_unset_missing,
        "@overlay",
        "/unset/0",
        "no object with id 'clients.fax'",
    ),
    Case(
        "overlay adding a field of an unknown type",
        _overlay_bad_field,
        "@overlay",
        "/fields/clients/0/type",
        "unknown field type 'phon'",
    ),
    Case("overlay with an unknown key", _overlay_schema, "@overlay", "", "unknown property 'sett'"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_configuration(case: Case, bundle: Path) -> None:
    overlays = case.breaks(bundle) or []
    file = str(overlays[0]) if case.file == "@overlay" else case.file

    issues = load_issues(bundle, overlays)
    matching = [
        i
        for i in issues
        if i.file == file and i.pointer == case.pointer and case.phrase in i.message
    ]
    assert matching, f"expected {file}:{case.pointer}: ...{case.phrase}... in:\n" + "\n".join(
        map(str, issues)
    )

    result = run_check(bundle, overlays)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    expected = f"{file}:{case.pointer or '/'}: "
    assert any(line.startswith(expected) and case.phrase in line for line in lines), result.output
    assert lines[-1] == f"{len(issues)} problem{'s' if len(issues) != 1 else ''} in {bundle}"
    assert "Traceback" not in result.output


def test_case_kinds_are_distinct() -> None:
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)


def test_sample_positions() -> None:
    """The field positions the cases rely on match the sample."""
    clients = json.loads((SAMPLE / "tables" / "clients.json").read_text(encoding="utf-8"))
    contacts = json.loads((SAMPLE / "tables" / "contacts.json").read_text(encoding="utf-8"))
    assert {
        f["name"]: i for i, f in enumerate(clients["fields"]) if f["name"] in CLIENTS
    } == CLIENTS
    assert {
        f["name"]: i for i, f in enumerate(contacts["fields"]) if f["name"] in CONTACTS
    } == CONTACTS


def test_bad_json_reports_line_and_column(bundle: Path) -> None:
    (bundle / "forms" / "client_card.json").write_text(
        '{"id": "form_client",\n\n   "table": clients}'
    )
    [issue] = load_issues(bundle)
    assert (issue.file, issue.pointer) == ("forms/client_card.json", "")
    assert "line 3, column 13" in issue.message


# ------------------------------------------------------------------ several problems at once


def test_every_schema_problem_is_reported(bundle: Path) -> None:
    edit(bundle, C, lambda t: field(t, "city").update(colour="red"))
    edit(bundle, C, lambda t: field(t, "phone").pop("label"))
    edit(bundle, K, lambda t: t.update(title_field=5))
    (bundle / "forms" / "client_card.json").write_text("{")
    issues = load_issues(bundle)
    where = sorted((i.file, i.pointer) for i in issues)
    assert where == sorted(
        [
            (C, f"/fields/{f['city']}"),
            (C, "/fields/6"),
            (K, "/title_field"),
            ("forms/client_card.json", ""),
            # Issue 16: the later stages ran on the rest; what they found about the two
            # left-out tables is counted on their files, not listed as a cascade.
            (C, ""),
            (K, ""),
        ]
    )
    assert all("checked again once it is fixed" in i.message for i in issues if not i.pointer
               and i.file != "forms/client_card.json")  # fmt: skip
    result = run_check(bundle)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"6 problems in {bundle}"
    assert len(result.output.splitlines()) == 7


def test_every_semantic_problem_is_reported(bundle: Path) -> None:
    edit(bundle, C, lambda t: field(t, "status").update(default="vip"))
    edit(bundle, C, lambda t: field(t, "loyalty").update(min=10, max=0))
    edit(bundle, C, lambda t: t.update(title_field="clients.title"))
    edit(bundle, K, lambda t: field(t, "client_city").update(formula="client.town"))
    edit(bundle, C, lambda t: field(t, "tax_id").update(pattern="[0-9"))
    _role_rule(bundle)
    _form_field(bundle)
    issues = load_issues(bundle)
    assert len(issues) == 7, "\n".join(map(str, issues))
    assert {i.file for i in issues} == {C, K, "roles/roles.json", "forms/client_card.json"}
    result = run_check(bundle)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == f"7 problems in {bundle}"
    assert lines[:-1] == [str(i) for i in issues]


def test_every_overlay_problem_is_reported(bundle: Path) -> None:
    overlay = write_overlay(
        bundle,
        {
            "set": {"clients.fax": {"label": "Fax"}, "clients": {"fields": []}},
            "fields": {
                "deals": [{"id": "deals.total", "name": "total", "type": "money", "label": "T"}]
            },
            "hide": ["contacts.skype"],
        },
    )
    issues = load_issues(bundle, [overlay])
    assert {i.file for i in issues} == {str(overlay)}
    assert sorted(i.pointer for i in issues) == [
        "/fields/deals",
        "/hide/0",
        "/set/clients.fax",
        "/set/clients/fields",
    ]
    result = run_check(bundle, [overlay])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"4 problems in {bundle}"


# ------------------------------------------------------------------------- valid bundles


def test_sample_passes() -> None:
    result = run_check("sample_crm")
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == "OK sample_crm 0.1.0: 22 tables, 186 fields, 10 forms, 6 print forms, 7 reports, "
        "1 dashboard, 4 roles, 0 overlays\n"
    )


def test_copied_directory_passes(bundle: Path) -> None:
    result = run_check(bundle)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK sample_crm 0.1.0: 22 tables, 186 fields")


@pytest.mark.parametrize("top_folder", [False, True], ids=["flat", "with-top-folder"])
def test_zip_bundle(bundle: Path, tmp_path: Path, top_folder: bool) -> None:
    archive = tmp_path / "crm.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in bundle.rglob("*"):
            if path.is_file():
                name = path.relative_to(bundle).as_posix()
                zf.write(path, f"crm/{name}" if top_folder else name)
    assert len(load(archive).config.tables) == 22
    result = run_check(archive)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK sample_crm 0.1.0: 22 tables")


def test_broken_zip_names_the_file_inside(bundle: Path, tmp_path: Path) -> None:
    edit(bundle, C, lambda t: field(t, "name").update(type="strng"))
    archive = tmp_path / "crm.zip"
    shutil.make_archive(str(archive.with_suffix("")), "zip", bundle)
    result = run_check(archive)
    assert result.exit_code == 1
    assert f"{C}:/fields/{f['name']}/type: unknown field type 'strng'" in result.output


def test_valid_overlay_applies(bundle: Path) -> None:
    overlay = write_overlay(
        bundle,
        {
            "set": {
                "clients.city": {"label": {"en": "Town"}},
                "clients": {"section": "sec_directories"},
            },
            "fields": {
                "clients": [
                    {
                        "id": "clients.fax",
                        "name": "fax",
                        "type": "phone",
                        "label": {"ru": "Факс", "en": "Fax"},
                    }
                ]
            },
            "hide": ["clients.website"],
        },
    )
    config = load(bundle, [overlay]).config
    clients = config.table("clients")
    city = clients.field_by_id("clients.city")
    assert city.label == {"ru": "Город", "en": "Town"}  # labels merge per locale
    assert clients.section == "sec_directories"
    fax = clients.field_by_id("clients.fax")
    assert (fax.name, fax.type, fax.source.file, fax.source.pointer) == (
        "fax",
        "phone",
        str(overlay),
        "/fields/clients/0",
    )
    assert clients.field_by_id("clients.website").hidden
    # the base bundle on disk is untouched
    assert not load(bundle).config.table("clients").has_field("fax")

    result = run_check(bundle, [overlay])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "OK sample_crm 0.1.0: 22 tables, 187 fields, 10 forms, 6 print forms, 7 reports, "
        "1 dashboard, 4 roles, 1 overlay\n"
    )


def test_overlay_directory_applies_in_name_order(bundle: Path) -> None:
    write_overlay(bundle, {"set": {"clients.city": {"label": "First"}}}, "10-first.json")
    second = write_overlay(bundle, {"set": {"clients.city": {"label": "Second"}}}, "20-second.json")
    config = load(bundle, [second.parent]).config
    assert config.table("clients").field_by_id("clients.city").label == {"*": "Second"}
    result = run_check(bundle, [second.parent])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("2 overlays\n")


def test_missing_overlay_file(bundle: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    issues = load_issues(bundle, [missing])
    assert [(i.file, i.pointer) for i in issues] == [(str(missing), "")]
    result = run_check(bundle, [missing])
    assert result.exit_code == 1
    assert f"{missing}:/: overlay file does not exist" in result.output


def test_missing_bundle(tmp_path: Path) -> None:
    result = run_check(tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "no configuration bundle at" in result.output
    assert "Traceback" not in result.output


def test_usage_error_exit_code() -> None:
    result = CliRunner().invoke(main, ["config", "check"], env={"UCHET_CONFIG": ""})
    assert result.exit_code == 2


# ------------------------------------------------- every stage in one run (issue 16, point 6)


def test_errors_of_several_files_and_stages_in_one_run(bundle: Path) -> None:
    """A meta-schema error in contacts.json no longer hides a semantic error in clients.json,
    nor an overlay entry whose target is gone, nor a semantic error in a form: all are
    reported in one run, each as FILE:POINTER: message, and the cascade of "no table
    'contacts'" the left-out document would cause is counted on its file, not listed."""
    edit(bundle, K, lambda t: field(t, "name").update(name="Bad Name"))
    edit(bundle, C, lambda t: field(t, "city").update(type="nosuchtype"))
    edit(bundle, "forms/client_card.json", lambda f: f.update(table="no_such_table"))
    overlays = [write_overlay(bundle, {"set": {"clients.fax": {"label": "Fax"}}})]
    issues = load_issues(bundle, overlays)
    found = {(i.file, i.pointer): i.message for i in issues}
    assert "does not match" in found[(K, f"/fields/{CONTACTS['name']}/name")]
    assert "unknown field type 'nosuchtype'" in found[(C, f"/fields/{CLIENTS['city']}/type")]
    assert "clients.fax" in found[(str(overlays[0]), "/set/clients.fax")]
    assert "no_such_table" in found[("forms/client_card.json", "/table")]
    assert "checked again once it is fixed" in found[(K, "")]
    assert not any("'contacts'" in i.message for i in issues)  # no cascade listed
    result = run_check(bundle, overlays)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == f"{len(issues)} problems in {bundle}"
    assert f"{C}:/fields/{CLIENTS['city']}/type: unknown field type 'nosuchtype'" in result.output
    assert all(line.count(":") >= 2 for line in lines[:-1])  # FILE:POINTER: message
