"""Security headers on every answer, and API docs that load nothing from another host.

The Content-Security-Policy (django-csp) allows scripts and styles from this origin only, plus a
<script>/<style> that carries the request's nonce: never 'unsafe-inline'. Swagger UI and Redoc come
from drf-spectacular-sidecar and are served by the project itself. The Redoc page alone allows
inline styles and a blob: worker: Redoc's styled-components add <style> elements as its bundle
loads and render style attributes, and its search runs in a worker built from a blob.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Scripts stay 'self' only; style-src names no nonce, or browsers would ignore its 'unsafe-inline'.
REDOC_CSP = {
    **EXPECTED_CSP,
    "style-src": ["'self'", "'unsafe-inline'"],
    "worker-src": ["'self'", "blob:"],
}


def policy(response) -> dict[str, list[str]]:
    """The CSP header as {directive: sources}, without the request's nonce."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = [source for source in sources if not source.startswith("'nonce-")]
    return directives


def nonce_of(response) -> str | None:
    found = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    return found.group(1) if found else None


def assert_security_headers(response, expected_csp: dict[str, list[str]] = EXPECTED_CSP) -> None:
    assert policy(response) == expected_csp
    if expected_csp is EXPECTED_CSP:
        assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


def test_an_admin_page_sends_the_security_headers(admin_client):
    assert_security_headers(admin_client.get(reverse("admin:index")))
    assert_security_headers(admin_client.get(reverse("admin:login")))


def test_an_api_answer_sends_the_security_headers(client):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401 and response["Content-Type"] == "application/json"
    assert_security_headers(response)


class Assets(HTMLParser):
    """What a page loads: every src/href, inline scripts and styles with their nonce."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[tuple[str, str | None]] = []
        self._open: tuple[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("src", "href"):
            if attributes.get(name) is not None:
                self.urls.append(attributes[name])
        if tag == "script" and "src" not in attributes or tag == "style":
            self._open = (tag, attributes.get("nonce"))

    def handle_data(self, data):
        if self._open and data.strip():
            self.inline.append(self._open)
            self._open = None

    def handle_endtag(self, tag):
        self._open = None


@pytest.fixture
def static_served(settings):
    # WhiteNoise serves the collected files in production; without collectstatic, from the finders.
    settings.WHITENOISE_USE_FINDERS = True


@pytest.mark.parametrize(("name", "expected_csp"), [("api-docs", EXPECTED_CSP), ("api-redoc", REDOC_CSP)])
def test_the_api_docs_load_only_same_origin_assets_that_are_served(client, static_served, name, expected_csp):
    page = client.get(reverse(name))
    assert page.status_code == 200
    assert_security_headers(page, expected_csp)
    assets = Assets()
    assets.feed(page.content.decode())
    assert assets.urls, "the page loads Swagger UI or Redoc"
    for url in assets.urls:
        # Same origin: a path on this server, not //host or https://host.
        assert url.startswith("/") and not url.startswith("//"), url
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert b"".join(answer.streaming_content if answer.streaming else [answer.content]), url
    # No inline script at all; the page's own <style> carries the nonce of its CSP header.
    assert all(tag == "style" for tag, _ in assets.inline)
    assert {nonce for _, nonce in assets.inline} == {nonce_of(page)}


def test_swagger_ui_starts_from_a_same_origin_script_that_points_at_the_schema(client):
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    body = script.content.decode()
    assert "SwaggerUIBundle(" in body and '"/api/v1/schema/"' in body
    assert '"validatorUrl": null' in body  # no badge fetched from swagger.io


def test_only_the_redoc_page_relaxes_the_policy(client, static_served):
    redoc = client.get(reverse("api-redoc"))
    header = redoc["Content-Security-Policy"]
    style_src = next(part for part in header.split(";") if part.split()[0] == "style-src")
    assert "'unsafe-inline'" in style_src and "'nonce-" not in style_src
    script_src = next(part for part in header.split(";") if part.split()[0] == "script-src")
    assert "unsafe" not in script_src
    # Redoc starts from a plain same-origin file that patches nothing of the DOM.
    init = client.get("/static/api_docs/redoc-init.js")
    body = b"".join(init.streaming_content if init.streaming else [init.content]).decode()
    assert "Redoc.init(" in body and "prototype" not in body
    assert_security_headers(client.get(reverse("api-docs")))
    assert_security_headers(client.get(reverse("api-schema")))


def test_the_sidecar_assets_are_the_ones_the_pages_name(client):
    page = client.get(reverse("api-redoc")).content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in page
    assert "/static/api_docs/redoc-init.js" in page and "fonts.googleapis.com" not in page
    docs = client.get(reverse("api-docs")).content.decode()
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/static/drf_spectacular_sidecar/swagger-ui-dist/{asset}" in docs


INLINE_CODE = re.compile(
    r"<script(?![^>]*\b(?:src|nonce)=)(?![^>]*application/(?:ld\+)?json)[^>]*>"  # inline script, no nonce
    r"|<style(?![^>]*\bnonce=)[^>]*>"  # inline style element, no nonce
    r"|<[a-zA-Z][^>]*\s(?:style|on[a-z]+)\s*=",  # style attribute, inline event handler
)


def test_no_template_or_admin_html_needs_unsafe_inline():
    # The policy blocks them: a page that used one would silently lose its script or style. A
    # template's own <script>/<style> carries nonce="{{ request.csp_nonce }}"; styles go to a class.
    root = Path(__file__).resolve().parents[2]
    sources = [*root.glob("templates/**/*.html")]
    for app in root.iterdir():
        if app.is_dir() and not app.name.startswith(".") and app.name not in ("tests", "bench", "locale"):
            sources += [*app.glob("templates/**/*.html"), *app.rglob("*.py")]
    offenders = [
        f"{path.relative_to(root)}: {found.group(0)}"
        for path in sources
        for found in INLINE_CODE.finditer(path.read_text())
    ]
    assert offenders == []
