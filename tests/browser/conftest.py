"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

Fixtures:
  browser                 one headless Chromium for the session
  page                    a fresh context (own cookies, 1440×900) on the live server
  new_page(**options)     another fresh context, e.g. to compare two people side by side; options go to
                          new_context (viewport=…, bypass_csp=True for axe-core: tests/browser/axe.py)
  sign_in(page, u, pw)    signs in through the real login form (accounts:login) and waits to land
  screenshot(page, name)  saves artifacts/screenshots/<name>.png (git-ignored) and returns its path

`live_server` makes these tests transactional (pytest-django adds `transactional_db`), so the server thread
sees the test's rows, and data is built through services as in production.
"""

import os
import re
import shutil

# Sync Playwright keeps an asyncio loop in the test thread; Django refuses ORM calls next to a running loop
# unless told this process is a test harness. Must be set before Django touches the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
NOTES_SHOTS = Path("/work/notes/shots")
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: sync Playwright keeps an asyncio loop running in this thread while it is
    # started, and later tests that call asyncio.run() (tests/journeys/test_live*.py) would fail.
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (separate cookies) on the live server."""
    contexts = []

    def open_page(**options):
        # Reduced motion: no CSS transitions, so hover tools are "stable" for Playwright at once.
        options = {"viewport": VIEWPORT, "locale": "en-US", "reduced_motion": "reduce", **options}
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def sign_in():
    """Sign in through the login form (Django's AuthenticationForm: `username`, `password`)."""

    def do(page, username: str, password: str):
        login_url = reverse("accounts:login")
        page.goto(login_url)
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("form button[type=submit]").click()
        # Landing anywhere but the login page means the form accepted the credentials.
        expect(page).not_to_have_url(re.compile(re.escape(login_url)))
        return page

    return do


@pytest.fixture
def screenshot():
    """save(page, name, full_page=False): a screenshot in artifacts/screenshots/<name>.png, copied to
    NOTES_SHOTS too when that folder exists (a session's notes, to look at)."""

    def save(page, name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if NOTES_SHOTS.is_dir():
            shutil.copy(path, NOTES_SHOTS / f"{name}.png")
        return path

    return save
