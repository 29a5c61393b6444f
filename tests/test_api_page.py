"""The API page of each mock, in a real browser: headless Chromium (Debian's, driven by Playwright)
opens /docs/swagger on a served mock and shows every documented operation, with nothing fetched
from beyond the machine."""

from __future__ import annotations

import pytest

from browserkit import needs_browser, opened
from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.mocks.serve import ServedSuite
from kipu_harness.plugin_manager import make_plugin_manager

pytestmark = needs_browser  # before the served mocks start


@pytest.fixture(scope="module")
def served():
    suite = MockSuite(make_plugin_manager())
    running = ServedSuite(suite)
    yield running
    running.stop()
    suite.close()


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_api_page_shows_every_operation(served, browser, system):
    import requests

    url = served.urls[system]
    doc = requests.get(f"{url}/openapi.json", timeout=10).json()
    operations = sum(len(item) for item in doc["paths"].values())
    with opened(browser, f"{url}/docs/swagger", (url, "data:", "blob:")) as watched:
        page = watched.page
        page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI has read the document
        assert page.locator(".info .title").first.inner_text().startswith(doc["info"]["title"])
        assert page.locator(".opblock").count() == operations
        tags = {t.get_attribute("data-tag") for t in page.locator(".opblock-tag").all()}
        assert "mock control" in tags
    assert not watched.outside, f"the page fetched from outside the mock: {watched.outside}"
