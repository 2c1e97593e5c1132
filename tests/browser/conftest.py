"""Real-browser tests: Playwright (Python) driving Debian's chromium against the live test
server on 127.0.0.1. Nothing is downloaded at run time: the browser is /usr/bin/chromium
(`apt-get install chromium`, which `make test` and `.ci/run` do when it is missing).

Where chromium or Playwright is missing these tests skip locally, and fail under CI (`CI` set):
CI must never pass without having run them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goodword.webhooks.selectors import forget_hooks

CHROMIUM = os.environ.get("GOODWORD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing(f"{CHROMIUM} not found: apt-get install chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("Playwright is not installed: pip install -e '.[dev]'")
    # Playwright's sync API keeps an event loop in the test's thread, which Django takes for
    # async code; the ORM calls a test makes between browser steps are plain synchronous calls
    # all the same. Allowed only while the browser is up.
    # The machine running the suite may be busy: wait for the page rather than fail early.
    expect.set_options(timeout=15_000)
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: $GOODWORD_SCREENSHOT_DIR, else a temporary directory."""
    wanted = os.environ.get("GOODWORD_SCREENSHOT_DIR")
    path = Path(wanted) if wanted else tmp_path_factory.mktemp("portal-screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def shot(page: Any, screenshot_dir: Path):
    """shot("name"): a full-page screenshot of the current page as name.png."""

    def take(name: str) -> Path:
        target = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 0
        return target

    return take


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_hooks_cache():
    forget_hooks()
    yield
    forget_hooks()


def login(page: Any, base_url: str, email: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto(f"{base_url}/portal/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
