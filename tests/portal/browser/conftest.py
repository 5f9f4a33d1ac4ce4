"""End-to-end tests of the portal in headless Chromium (Debian's `chromium`, driven by Playwright).

The portal runs in pytest-django's `live_server` on the test database; each test builds the API
tests' network (tests/api/conftest.py) in committed rows, because the server thread cannot see the
rows of an open test transaction. `playwright install` downloads nothing here: Playwright drives
/usr/bin/chromium (`.ci/run` installs Debian's package; PORTAL_TEST_CHROMIUM names another
binary). Without it the tests are skipped, saying why. They are marked `browser`.

SCREENSHOTS=1 writes a screenshot of every page at 375 and 1280 px, in English and Dutch, to
test-artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """The sync Playwright API keeps an event loop in the main thread, which Django takes for async
    code: its ORM calls from these tests (building the network, reading what a page wrote) are safe.
    Set only once a browser test runs, never at import; the tests that start a deployment's
    `check --deploy` leave it out of the child's environment (tests/core/test_settings.py)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS_DIR = ROOT / "test-artifacts" / "screenshots"
PHONE, DESKTOP = 375, 1280

NO_CHROMIUM = f"no {CHROMIUM}: `apt-get install chromium` (.ci/run does) to run the browser tests"


def pytest_collection_modifyitems(config, items):
    # Marked `browser` (-m "not browser" leaves them out); skipped, saying why, without Chromium.
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@pytest.fixture(autouse=True)
def _portal_test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The live server speaks plain http: a Secure cookie would not come back from the browser.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    # Pages answer at once (no Celery worker in these tests); mail goes to mail.outbox.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def bnet(live_server):
    """The API tests' network, committed (the live server's thread reads it)."""
    from django.core.cache import cache

    from tests.api.conftest import build_network

    cache.clear()
    network = build_network()
    yield network
    cache.clear()


@pytest.fixture
def s1(live_server):
    """The spec's example S1 closed for 2026-10, with a login for A (the Team Leader)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from distributors.models import Distributor
    from tests.api.conftest import PASSWORD
    from tests.commissions.closing import EXAMPLES, close, default_plan

    call_command("import_network", str(EXAMPLES / "s1"), stdout=open("/dev/null", "w"))  # noqa: SIM115
    default_plan()
    run = close("2026-10")
    assert run.status == "succeeded", run.error
    user = get_user_model().objects.create_user("a-login", email="a@example.nl", password=PASSWORD)
    Distributor.objects.filter(external_id="A").update(user=user)
    return user


@dataclass
class Watch:
    """What a page reported while it was open: CSP violations and uncaught errors."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.csp.clear()
        self.errors.clear()


# Reports a violation of the Content-Security-Policy to the console in a form `watch` recognises
# (Chromium logs most violations itself; this catches the rest). Injected by Playwright, not by the
# page, so the policy does not apply to it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + (event.blockedURI || "inline")
    + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""
CSP_MESSAGE = re.compile(r"Content Security Policy|CSP violation", re.IGNORECASE)


def watch(page) -> Watch:
    seen = Watch()
    page.add_init_script(CSP_LISTENER)

    def on_console(message) -> None:
        if message.type in ("error", "warning") and CSP_MESSAGE.search(message.text):
            seen.csp.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.errors.append(f"{page.url}: {error}"))
    return seen


@dataclass
class Portal:
    """A browser page on the live server, signed in or not, watched for CSP violations."""

    page: Any
    base: str
    watch: Watch

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str, **kwargs):
        response = self.page.goto(self.url(path), **kwargs)
        return response

    def path(self) -> str:
        return self.page.url.removeprefix(self.base)

    def sign_in(self, username: str, password: str) -> None:
        self.goto("/portal/login/")
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(password)
        self.page.locator("form.form button[type=submit]").click()
        self.page.wait_for_load_state()

    def scroll_width(self) -> int:
        return self.page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def open_portal(new_context, live_server) -> Callable[..., Portal]:
    """open_portal(who=None, width=1280, language="en") -> a Portal, signed in as `who` (a member of
    the network: "anna") through the sign-in form, in a browser context of its own."""

    def make(
        who: Any = None, *, width: int = DESKTOP, language: str = "en", password: str | None = None
    ) -> Portal:
        from tests.api.conftest import PASSWORD

        context = new_context(
            viewport={"width": width, "height": 900}, locale="nl-NL" if language == "nl" else "en-GB"
        )
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        portal = Portal(page, live_server.url, watch(page))
        if who is not None:
            username = who if isinstance(who, str) else who.user.username
            portal.sign_in(username, password or PASSWORD)
            assert "/login/" not in portal.path(), f"{username} could not sign in"
        return portal

    return make


def screenshot(page, name: str) -> Path | None:
    """Writes test-artifacts/screenshots/<name>.png when SCREENSHOTS=1 (CI stays fast without)."""
    if os.environ.get("SCREENSHOTS") != "1":
        return None
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SERIOUS = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node.get("target")) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation.get("impact") in SERIOUS
    ]


def audit(portal: Portal, name: str, *, width: int, axe: bool = True) -> list[str]:
    """What is wrong with the page open in `portal`: wider than the phone, an axe violation, a CSP
    violation or a script error; writes its screenshot (SCREENSHOTS=1) as <name>."""
    page = portal.page
    page.wait_for_load_state("load")
    # What htmx loads at once (hx-trigger="load") is part of the page: wait until it is in.
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    problems = []
    where = f"{name} ({portal.path()}, {width} px)"
    if width <= PHONE and (scroll := portal.scroll_width()) > width:
        problems.append(f"{where}: {scroll} px wide, wider than the phone's {width} px")
    if axe:
        problems += [f"{where}: axe {violation}" for violation in axe_violations(page)]
    problems += [f"{where}: {message}" for message in portal.watch.csp + portal.watch.errors]
    portal.watch.clear()
    screenshot(page, name)
    return problems
