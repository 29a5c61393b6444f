"""What the tests that look at a page share: headless Chromium (Debian's, driven by Playwright; the
session's one browser is conftest.py's ``browser`` fixture), a page that records what went wrong on
it, and screenshots kept in build/test-artifacts/ (and $KIPU_SCREENSHOTS_DIR, if set)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PLAYWRIGHT = importlib.util.find_spec("playwright") is not None  # found, not imported: most tests need no browser
# Without these, Chromium phones home at start (refused here) and may keep the page busy.
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
NO_PLAYWRIGHT = "playwright is in the test extras"
NO_CHROMIUM = "no Chromium on this machine (apt-get install chromium)"
_MISSING = NO_PLAYWRIGHT if not PLAYWRIGHT else NO_CHROMIUM if CHROMIUM is None else ""
# On a test or as a module's pytestmark: skipped before its fixtures start anything (served mocks, a run).
needs_browser = pytest.mark.skipif(bool(_MISSING), reason=_MISSING or "Playwright and Chromium are here")


def sync_api() -> Any:
    """playwright.sync_api (its ``expect`` too), or the test skipped."""
    return pytest.importorskip("playwright.sync_api", reason=NO_PLAYWRIGHT)


@dataclass
class Watched:
    """A page and what went wrong on it: ``errors`` (console messages of the kinds watched, script
    errors, dialogs) and ``outside`` (every request to an address the test did not allow)."""

    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.errors + self.outside


@contextmanager
def opened(browser: Any, url: str, allowed: tuple[str, ...], *, viewport: tuple[int, int] | None = None,
           console: tuple[str, ...] = ("error", "warning")) -> Iterator[Watched]:
    """A new page (its own browser context: nothing carried over from another test) watched from
    before it loads ``url``; closed on leaving."""
    size = {"viewport": {"width": viewport[0], "height": viewport[1]}} if viewport else {}  # else Playwright's
    page = browser.new_page(**size)
    watched = Watched(page)
    page.on("console", lambda m: watched.errors.append(f"console {m.type}: {m.text}") if m.type in console else None)
    page.on("pageerror", lambda e: watched.errors.append(f"page error: {e}"))
    page.on("dialog", lambda d: (watched.errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(allowed) else watched.outside.append(r.url))
    try:
        page.goto(url)
        yield watched
    finally:
        page.close()


def keep(page: Any, name: str, full_page: bool = False) -> Path:
    """A screenshot of ``page`` as build/test-artifacts/NAME, copied to $KIPU_SCREENSHOTS_DIR when set."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    page.screenshot(path=str(shot), full_page=full_page)
    if os.environ.get("KIPU_SCREENSHOTS_DIR"):
        Path(os.environ["KIPU_SCREENSHOTS_DIR"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(os.environ["KIPU_SCREENSHOTS_DIR"]) / name)
    return shot
