"""The token screen and the API's interactive page in a real browser, in Russian, at desktop
and phone sizes (issue 18, point 4). Screenshots go to artifacts/screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web_support import ARTIFACTS, browser_login


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_token_page_makes_a_token_and_the_docs_page_lists_tables(
    page: Any, live_server: Any, size: tuple[int, int]
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    browser_login(page, live_server, "anna")
    page.goto(live_server.url + "/-/tokens/")
    page.fill("input[name=name]", "Сайт компании")
    page.check("input[name=read_only]")
    page.click("#uchet-token-form button")
    secret = page.locator("#uchet-token-secret").inner_text()
    assert secret.startswith("uchet_")
    row = page.locator("#uchet-token-list tbody tr").first
    assert "Сайт компании" in row.inner_text() and "Только чтение" in row.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"api_tokens_{size[0]}.png"), full_page=True)
    page.goto(live_server.url + "/api/v1/docs")
    page.wait_for_selector(".opblock-tag", timeout=60_000)
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert any("Клиенты" in t for t in tags), tags
    page.screenshot(path=str(ARTIFACTS / f"api_docs_{size[0]}.png"))
