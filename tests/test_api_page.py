"""The API page of each mock, in a real browser: headless Chromium (Debian's, driven by Playwright)
opens /docs/swagger on a served mock and shows every documented operation, with nothing fetched
from beyond the machine."""

from __future__ import annotations

import shutil

import pytest

from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.mocks.serve import ServedSuite
from kipu_harness.plugin_manager import make_plugin_manager

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)")

# Without these, Chromium phones home at start (refused here) and may keep the page busy.
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def served():
    suite = MockSuite(make_plugin_manager())
    running = ServedSuite(suite)
    yield running
    running.stop()
    suite.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_api_page_shows_every_operation(served, browser, system):
    import requests

    url = served.urls[system]
    doc = requests.get(f"{url}/openapi.json", timeout=10).json()
    operations = sum(len(item) for item in doc["paths"].values())
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else outside.append(r.url))
    try:
        page.goto(f"{url}/docs/swagger")
        page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI has read the document
        assert page.locator(".info .title").first.inner_text().startswith(doc["info"]["title"])
        assert page.locator(".opblock").count() == operations
        tags = {t.get_attribute("data-tag") for t in page.locator(".opblock-tag").all()}
        assert "mock control" in tags
    finally:
        page.close()
    assert not outside, f"the page fetched from outside the mock: {outside}"
