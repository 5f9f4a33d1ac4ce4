"""Every portal page in Chromium, at 375 and 1280 px, in English and Dutch: never wider than the
phone, no serious or critical axe-core violation, no Content-Security-Policy violation, no script
error. The pages come from the URLconf (tests/portal/test_scope.py), so new pages are visited
without touching this file. SCREENSHOTS=1 keeps a screenshot of each in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os

from django.test import Client
from django.urls import reverse

from tests.portal.browser.conftest import DESKTOP, PHONE, audit
from tests.portal.test_scope import KNOWN, portal_pages

LANGUAGES = ("en", "nl")
# The desktop width only for the screenshots: the checks that matter there (CSP, script errors,
# axe) do not depend on the width, and the run stays fast.
WIDTHS = (PHONE, DESKTOP) if os.environ.get("SCREENSHOTS") == "1" else (PHONE,)
# axe once per page (the same markup in both languages): missing labels, names, contrast.
AXE_AT = {("en", PHONE)}
# Public pages a visitor without an account opens beside the portal's own: the account pages.
ACCOUNT_PAGES = [("password-reset", "/account/password-reset/")]


def _full_pages(client: Client, pages: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """The pages among `pages` that answer GET with a whole HTML document (not a fragment htmx
    loads, a download or a POST-only address), and what the others answered."""
    keep, skipped = [], []
    for name, path in pages:
        try:
            response = client.get(path)
        except Exception as error:  # the test client re-raises a view's exception: a 500
            skipped.append(f"{name} {path}: 500 {error!r}")
            continue
        html = "html" in response.get("Content-Type", "") and b"<html" in response.content[:500]
        if response.status_code == 200 and html and not response.has_header("Content-Disposition"):
            keep.append((name, path))
        else:
            skipped.append(f"{name} {path}: {response.status_code} {response.get('Content-Type')}")
    return keep, skipped


def _visit(open_portal, who, pages: list[tuple[str, str]]) -> list[str]:
    """Each page in each language and width, audited: the problems found."""
    problems = []
    for language in LANGUAGES:
        for width in WIDTHS:
            portal = open_portal(who, width=width, language=language)
            for name, path in pages:
                response = portal.goto(path)
                if response is None or response.status != 200:
                    problems.append(f"{name} {path}: {response and response.status} in the browser")
                    continue
                axe = (language, width) in AXE_AT
                problems += audit(portal, f"{name}-{width}-{language}", width=width, axe=axe)
            portal.page.context.close()
    return problems


def test_every_page_fits_a_phone_passes_axe_and_keeps_the_csp(bnet, open_portal):
    own = Client()
    own.force_login(bnet.anna.user)
    signed_in, skipped = _full_pages(
        own, [(url.url_name, path) for url, path in portal_pages(bnet) if not url.public]
    )
    public, skipped_public = _full_pages(
        Client(), [(url.url_name, path) for url, path in portal_pages(bnet) if url.public] + ACCOUNT_PAGES
    )
    assert len(signed_in) >= 8, signed_in  # the menu's sections at least
    problems = [f"{line} (the test client)" for line in skipped + skipped_public if ": 500" in line]
    problems += _visit(open_portal, bnet.anna, signed_in) + _visit(open_portal, None, public)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_the_pages_of_a_closed_period_too(s1, open_portal):
    """The statement's pages need a closed period: the spec's example S1, closed for 2026-10."""
    own = Client()
    own.force_login(s1)
    pages = [
        (url.url_name, reverse(url.name, kwargs={"period": "2026-10"}))
        for url in KNOWN
        if url.params == ("period",)
    ]
    pages, skipped = _full_pages(own, pages + [("statements", reverse("portal:statements"))])
    assert len(pages) >= 2, (pages, skipped)
    problems = [f"{line} (the test client)" for line in skipped if ": 500" in line]
    problems += _visit(open_portal, "a-login", [(f"s1-{name}", path) for name, path in pages])
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_the_csp_watch_sees_a_violation(bnet, open_portal):
    """The check above can fail: an inline style, as a template might add one, is reported."""
    portal = open_portal()
    portal.goto("/portal/login/")
    portal.page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')""")
    portal.page.wait_for_timeout(200)
    assert portal.watch.csp, "an inline style went unnoticed"
