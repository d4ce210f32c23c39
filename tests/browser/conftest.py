"""Fixtures for the browser journeys: headless Chromium driving the admin on a live server.

Playwright's sync API drives Debian's Chromium (`/usr/bin/chromium`, or the path in
PORTAL_TEST_CHROMIUM); Playwright's own browser download is never used. Every page may
reach only the live server on 127.0.0.1: a request to any other host is aborted and
fails the test. Screenshots go to `test-artifacts/screenshots/`; with
PORTAL_UPDATE_DOC_SCREENSHOTS=1 the ones chosen for the README are also copied to
`docs/screenshots/`.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from accounts.roles import PROCUREMENT, WAREHOUSE
from accounts.services import role_user_create
from core.badges import COLOURS
from tests.conftest import ARTIFACTS, ROOT, SandboxProcess

# Playwright's sync API runs an event loop in the test thread, so Django's async-safety
# check would reject every ORM call the test makes after the browser starts.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# pytest-django's live server binds to "localhost" unless configured otherwise, but the
# browser and the sandbox farm must connect to 127.0.0.1 only.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
# Milliseconds Playwright waits for an element or a navigation before failing the step.
STEP_TIMEOUT_MS = 15_000
SCREENSHOTS = ARTIFACTS / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
DOC_SCREENSHOT_MAX_BYTES = 200 * 1024
PASSWORD = "browser-journey-pass-7"


def css_rgb(hex_colour: str) -> str:
    """Return a `#rrggbb` colour as getComputedStyle writes it: `rgb(r, g, b)`."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


# The text colour of a red badge (lines held by mapping), as the browser computes it.
HELD_RED = css_rgb(COLOURS["red"][1])


def computed_colour(locator) -> str:
    """Return the computed CSS text colour of the element `locator` points at."""
    return locator.evaluate("element => getComputedStyle(element).color")


def screenshot(page, name: str, *, docs: bool = False, mask: list | None = None) -> Path:
    """Save the viewport as `test-artifacts/screenshots/<name>.png` and return the path.

    With `docs=True` and PORTAL_UPDATE_DOC_SCREENSHOTS=1 the file is also copied to
    `docs/screenshots/`; a picture over DOC_SCREENSHOT_MAX_BYTES is rejected there, so
    the README stays light. `mask` hides secrets such as a new token's plaintext.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, mask=mask or [], mask_color="#9ca3af")
    if docs and os.environ.get("PORTAL_UPDATE_DOC_SCREENSHOTS") == "1":
        size = path.stat().st_size
        assert size <= DOC_SCREENSHOT_MAX_BYTES, (
            f"{path.name} is {size} bytes, over {DOC_SCREENSHOT_MAX_BYTES}; "
            "show less on the page before copying it to docs/screenshots/"
        )
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SCREENSHOTS / path.name)
    return path


def admin_login(page, username: str, password: str = PASSWORD) -> None:
    """Sign in on the admin login page and wait for the admin index."""
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/admin/")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """One headless Chromium per test module.

    Playwright keeps its event loop registered on the main thread while it runs, so the
    browser is stopped after each module instead of staying up for the rest of the suite.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; set PORTAL_TEST_CHROMIUM to its path")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserSessions:
    """Browser contexts (one per signed-in person) opened by a test, closed after it."""

    browser: object
    base_url: str
    contexts: list = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def open(self, username: str | None = None):
        """Open a new context and page; sign in as `username` when one is given."""
        context = self.browser.new_context(
            viewport=VIEWPORT, base_url=self.base_url, accept_downloads=True
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        # Start with the admin's navigation sidebar folded, as a user on a 1280-pixel screen
        # would, so wide lists fit and screenshots show the page itself.
        context.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
        context.route("**/*", self._guard)
        self.contexts.append(context)
        page = context.new_page()
        if username is not None:
            admin_login(page, username)
        return page

    def _guard(self, route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


@pytest.fixture
def browser_sessions(chromium, live_server, request) -> Iterator[BrowserSessions]:
    """Open pages as different users; on failure, save a screenshot of each open page."""
    sessions = BrowserSessions(browser=chromium, base_url=live_server.url)
    yield sessions
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        failed_dir = SCREENSHOTS / "failed"
        failed_dir.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(sessions.contexts):
            for page in context.pages:
                page.screenshot(path=str(failed_dir / f"{request.node.name}-{number}.png"))
    for context in sessions.contexts:
        context.close()
    assert not sessions.blocked, f"Pages requested hosts other than 127.0.0.1: {sessions.blocked}"


@pytest.fixture
def people(transactional_db) -> Callable[..., object]:
    """Return a function that creates a staff user: a superuser, or one holding `role`."""

    def create(username: str, role: str | None = None):
        if role is None:
            return get_user_model().objects.create_superuser(
                username, f"{username}@portal.invalid", PASSWORD
            )
        return role_user_create(username=username, role=role, password=PASSWORD)

    return create


@pytest.fixture
def procurement_user(people):
    return people("paula.buyer", PROCUREMENT)


@pytest.fixture
def warehouse_user(people):
    return people("walter.dock", WAREHOUSE)


@pytest.fixture
def admin_user(people):
    return people("ada.admin")


@pytest.fixture
def sandbox_farm(demo_sandbox_farm) -> SandboxProcess:
    """The shared demo farm set-up (`tests/conftest.py`) under the journeys' name."""
    return demo_sandbox_farm


def pushes_of(sandbox: SandboxProcess, event_type: str, number: str) -> list[dict]:
    """Return the pushes of `event_type` for document `number` that the farm accepted."""
    return [
        event
        for event in sandbox.events()["events"]
        if event["eventType"] == event_type and str(event.get("number")) == str(number)
    ]
