"""The browser fixtures (tests/browser/conftest.py) for the security tests that drive Chromium."""

from tests.browser.conftest import browser, new_page, page, screenshot, sign_in  # noqa: F401
