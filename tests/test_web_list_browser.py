"""The list screen in a real browser (Playwright + Debian's Chromium), as a person uses it:
sort by headers, filter from a header, search, choose, move and resize columns, group by
dragging headers, collapse groups, saved views, and a phone-sized screen (issue 3 §2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import unseed
from tests.web_support import browser_login

from uchet import SYSTEM

CITIES = ["Москва", "Тверь", "Казань"]
NAMES = ["Иванов", "Ивашкин", "Петров", "Сидоров", "Смирнова", "Иванова", "Кузнецов", "Попов",
         "Васильев"]  # fmt: skip


@pytest.fixture
def crm(live_server: Any) -> Any:
    """Three categories and nine clients (category and city cycle together)."""
    platform = live_server.platform
    unseed(platform)  # its own categories, counted from zero
    cats = platform.records("client_categories", user=SYSTEM)
    ids = [cats.create({"name": n, "sort_order": i})["id"]
           for i, n in enumerate(["VIP", "Постоянный", "Проблемный"])]  # fmt: skip
    rows = [{"name": n, "city": CITIES[i % 3], "category": ids[i % 3], "loyalty": i,
             "phone": f"+7 900 000-00-{i:02d}"} for i, n in enumerate(NAMES)]  # fmt: skip
    # Odd ones: a second city inside each category, so grouping nests two levels.
    rows += [{"name": f"Орлов {i}", "city": "Ярославль", "category": ids[i]} for i in range(2)]
    platform.records("clients", user=SYSTEM).create_many(rows)
    return live_server


def names(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("tr.uchet-row td:first-child").all_inner_texts()]


def header_fields(page: Any) -> list[str]:
    return page.eval_on_selector_all("#uchet-list th", "ths => ths.map(t => t.dataset.field)")


def open_clients(page: Any, server: Any, login: str = "admin") -> None:
    browser_login(page, server, login)
    page.goto(server.url + "/clients/")
    page.wait_for_selector("#uchet-list")


def test_sort_by_header_then_shift_click_adds_a_key(page: Any, crm: Any) -> None:
    open_clients(page, crm)
    page.click("th[data-field=city] a.uchet-sort")
    page.wait_for_url(re.compile(r"sort=city"))
    cities = page.locator("tr.uchet-row td[data-field=city]").all_inner_texts()
    assert cities == sorted(cities)
    page.click("th[data-field=name] a.uchet-sort", modifiers=["Shift"])
    page.wait_for_url(re.compile(r"sort=city%2Cname"))
    got = names(page)
    by_city = sorted(zip([*CITIES * 3, "Ярославль", "Ярославль"], [*NAMES, "Орлов 0", "Орлов 1"]))
    assert got == [n for _c, n in by_city]
    assert page.inner_text("th[data-field=city] .uchet-sort-mark") == "▲1"
    assert page.inner_text("th[data-field=name] .uchet-sort-mark") == "▲2"
    # A plain click on a sorted header flips it and drops the other keys.
    page.click("th[data-field=city] a.uchet-sort")
    page.wait_for_url(re.compile(r"sort=-city$"))
    assert page.inner_text("th[data-field=city] .uchet-sort-mark") == "▼"


def test_filter_by_choosing_a_category_in_the_header(page: Any, crm: Any) -> None:
    open_clients(page, crm)
    page.click("th[data-field=category] .uchet-filter-btn")
    menu = page.locator("#uchet-filter-menu")
    menu.locator(".uchet-filter-value", has_text="VIP").wait_for()
    counts = dict(zip(menu.locator(".uchet-filter-title").all_inner_texts(),
                      menu.locator(".uchet-filter-value .badge").all_inner_texts()))  # fmt: skip
    assert counts == {"VIP": "4", "Постоянный": "4", "Проблемный": "3"}
    page.screenshot(path=str(_shot("filter_menu_open")))
    menu.locator(".uchet-filter-value", has_text="VIP").locator("input").check()
    page.click("#uchet-filter-apply")
    page.wait_for_url(re.compile(r"f\.category="))
    cats = set(page.locator("tr.uchet-row td[data-field=category]").all_inner_texts())
    assert cats == {"VIP"} and len(names(page)) == 4
    chip = page.locator(".uchet-filter-chip")
    assert chip.inner_text().startswith("Категория: VIP")
    assert "active" in page.get_attribute("th[data-field=category] .uchet-filter-btn", "class")
    # A text condition in the same menu: name contains "ов".
    page.click("th[data-field=name] .uchet-filter-btn")
    page.select_option("#uchet-filter-op", "contains")
    page.fill("#uchet-filter-a", "ОВ")
    page.click("#uchet-filter-apply")
    page.wait_for_url(re.compile(r"f\.name\.contains="))
    assert sorted(names(page)) == ["Иванов", "Кузнецов", "Орлов 0", "Сидоров"]
    assert page.locator(".uchet-filter-chip").count() == 2
    # Removing the category chip keeps the text condition.
    page.locator(".uchet-filter-chip", has_text="Категория").locator("a").click()
    page.wait_for_load_state()
    assert "f.category" not in page.url and "f.name.contains" in page.url
    assert len(names(page)) == 9  # every name with "ов" in it, whatever the case
    assert "Ивашкин" not in names(page) and "Васильев" not in names(page)


def test_search_iva_finds_by_the_first_letters(page: Any, crm: Any) -> None:
    open_clients(page, crm)
    page.fill("#uchet-search", "ива")
    page.press("#uchet-search", "Enter")
    page.wait_for_url(re.compile(r"q=%D0%B8%D0%B2%D0%B0"))
    assert sorted(names(page)) == ["Иванов", "Иванова", "Ивашкин"]


def test_hide_a_column_reload_and_it_stays_hidden(page: Any, crm: Any, browser: Any) -> None:
    open_clients(page, crm, "anna")
    assert "phone" in header_fields(page)
    page.click("#uchet-columns-btn")
    with page.expect_navigation():
        page.locator("#uchet-column-chooser input[data-column=phone]").uncheck()
    assert "phone" not in header_fields(page)
    page.reload()
    assert "phone" not in header_fields(page)
    # Another browser (a fresh context, no shared storage) gets the same layout.
    other = browser.new_context(locale="ru-RU").new_page()
    try:
        open_clients(other, crm, "anna")
        assert "phone" not in header_fields(other)
    finally:
        other.context.close()
    # Showing it again appends it at the end.
    page.click("#uchet-columns-btn")
    with page.expect_navigation():
        page.locator("#uchet-column-chooser input[data-column=phone]").check()
    assert header_fields(page)[-1] == "phone"


def test_move_and_resize_columns(page: Any, crm: Any) -> None:
    open_clients(page, crm)
    before = header_fields(page)
    with page.expect_navigation():
        page.drag_and_drop("th[data-field=city]", "th[data-field=name]",
                           target_position={"x": 5, "y": 5})  # fmt: skip
    after = header_fields(page)
    assert after[0] == "city" and sorted(after) == sorted(before)
    # Drag the right edge of the name column 120 px wider; the width is saved.
    handle = page.locator("th[data-field=name] .uchet-resize").bounding_box()
    width0 = page.locator("th[data-field=name]").bounding_box()["width"]
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=4)
    page.mouse.move(x + 120, y, steps=4)
    with page.expect_response(re.compile(r"/prefs/")) as saved:
        page.mouse.up()
    assert saved.value.ok
    page.reload()
    width1 = page.locator("th[data-field=name]").bounding_box()["width"]
    assert abs(width1 - (width0 + 120)) < 6, (width0, width1)


def test_group_by_dragging_category_then_city_and_collapse(page: Any, crm: Any) -> None:
    open_clients(page, crm)
    with page.expect_navigation():
        page.drag_and_drop("th[data-field=category]", "#uchet-groupbar")
    assert "group=category" in page.url
    with page.expect_navigation():
        page.drag_and_drop("th[data-field=city]", "#uchet-groupbar")
    assert "group=category%2Ccity" in page.url
    chips = page.locator(".uchet-group-chip").all_inner_texts()
    assert [c.replace("×", "").strip() for c in chips] == ["Категория", "Город"]
    top = page.locator("tr.uchet-group-row[data-level='0']")
    titles = top.locator(".uchet-group-title").all_inner_texts()
    counts = top.locator(".uchet-group-count").all_inner_texts()
    assert list(zip(titles, counts)) == [("VIP", "4"), ("Постоянный", "4"), ("Проблемный", "3")]
    nested = page.locator("tr.uchet-group-row[data-level='1']")
    pairs = list(zip(nested.locator(".uchet-group-title").all_inner_texts(),
                     nested.locator(".uchet-group-count").all_inner_texts()))  # fmt: skip
    assert pairs[:2] == [("Москва", "3"), ("Ярославль", "1")]
    page.screenshot(path=str(_shot("grouped_category_city")))
    # Collapse VIP: its 2 city headers and 4 rows hide; the other groups stay.
    visible = page.locator("tr.uchet-row:visible").count()
    top.first.locator(".uchet-group-toggle").click()
    assert page.locator("tr.uchet-row:visible").count() == visible - 4
    assert nested.first.is_hidden()
    # Collapse a nested group inside Постоянный, then expand VIP: VIP's rows come back.
    nested.nth(2).locator(".uchet-group-toggle").click()
    top.first.locator(".uchet-group-toggle").click()
    assert page.locator("tr.uchet-row:visible").count() == visible - 3
    page.screenshot(path=str(_shot("grouped_collapsed")))
    # Dragging the category chip out of the bar (onto a row of the list) ungroups it. The
    # target is a row near the top: HTML5 drag and drop does not scroll the page meanwhile.
    with page.expect_navigation():
        page.drag_and_drop(".uchet-group-chip[data-field=category]", "tr.uchet-row >> nth=0")
    assert "group=city" in page.url and "category" not in page.url.split("group=")[1]
    with page.expect_navigation():
        page.click(".uchet-group-chip[data-field=city] .uchet-ungroup")
    assert "group" not in page.url


def test_save_and_share_a_view(page: Any, crm: Any) -> None:
    open_clients(page, crm, "anna")
    page.goto(crm.url + "/clients/?sort=-name&group=city")
    page.click("#uchet-views-btn")
    page.fill("#uchet-view-name", "По городам")
    page.select_option("#uchet-view-share", "manager")
    with page.expect_navigation():
        page.click("#uchet-view-save-btn")
    assert page.inner_text("#uchet-views-btn").strip() == "По городам"
    page.goto(crm.url + "/clients/")
    page.click("#uchet-views-btn")
    with page.expect_navigation():
        page.click("#uchet-views-menu a[data-view]")
    assert "group=city" in page.url and "sort=-name" in page.url


def test_phone_sized_screen_stays_usable(browser: Any, crm: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 700}, locale="ru-RU")
    page = context.new_page()
    try:
        open_clients(page, crm)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, width  # the page itself does not scroll sideways
        scroll = page.locator(".uchet-scroll")
        assert scroll.evaluate("e => e.scrollWidth > e.clientWidth")  # the table does
        box = page.locator("#uchet-search").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        # The header filter still opens inside the screen.
        page.click("th[data-field=name] .uchet-filter-btn")
        menu = page.locator("#uchet-filter-menu").bounding_box()
        assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 376
        page.screenshot(path=str(_shot("phone_list")), full_page=True)
    finally:
        context.close()


def _shot(name: str) -> Any:
    from tests.web_support import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"list_{name}.png"
