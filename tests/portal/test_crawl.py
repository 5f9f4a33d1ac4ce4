"""The portal as the demo's distributors see it: a crawler signs in through the login form, follows
every portal link, every GET form and every htmx GET (`hx-get`: the tree's children, live parts)
it finds, and fails on any 500 or on a link of the portal that leads nowhere (404).

It starts at the dashboard and knows no URL of its own, so pages added later are crawled by
themselves. It is bounded like the admin crawl (tests/test_admin_crawl.py): the first few objects
of each page of one object, a few variants per set of query parameters.

Twice, as the admin crawl: on the README's demo (a fresh SQLite file seeded by `seed_demo` in a
child process, like `make demo`) and on PostgreSQL (the test database, seeded the same way). Each
time as the first and the last of the distributor logins `make demo` prints.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import traceback
from collections import Counter, deque
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest

from tests.test_admin_crawl import DEMO_MONTHS, DEMO_SIZE, CrawlResult, _PageParser

ROOT = Path(__file__).resolve().parents[2]
START = "/portal/"
DEMO_SEED = 1  # seed_demo's default: the demo logins' passwords derive from it

OBJECT_PAGES = 3  # per page of one object (an order, a member, a period): the first objects linked
VARIANTS = 6  # per view and set of query parameter names (a filter, a search, a page)
# Never followed: they end the session (POST only anyway) or change the language for the rest.
SKIPPED_VIEWS = {"portal:logout", "set_language"}


class _PortalPageParser(_PageParser):
    """The admin crawl's parser (links, GET forms with their choices) plus the URLs htmx loads."""

    def __init__(self) -> None:
        super().__init__()
        self.hx: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        for name, value in attrs:
            if name in ("hx-get", "data-hx-get") and value:
                self.hx.append(value)


def _resolve(path: str) -> tuple[str, dict, str] | None:
    """(view name, kwargs, module of the view) of a path; None if the URLconf does not know it."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        return None
    func = match.func
    module = getattr(getattr(func, "view_class", None), "__module__", None) or func.__module__
    return (match.view_name or match.route), match.kwargs, module


def _normalise(url: str, base: str) -> str | None:
    """The portal URL a link points to, without fragment; None if it leaves the portal."""
    parts = urlsplit(urljoin(base, url))
    if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "testserver"):
        return None
    resolved = _resolve(parts.path)
    if resolved is None:
        # Unknown to the URLconf: a broken link if it looks like one of ours, else not ours.
        return parts.path if parts.path.startswith(START) else None
    if not resolved[2].startswith("portal.") and resolved[0] != "home":
        return None  # the admin, the API, the account pages: crawled elsewhere
    query = parse_qsl(parts.query, keep_blank_values=True)
    return parts.path + (f"?{urlencode(query)}" if query else "")


class _Budget:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.objects: dict[str, set] = {}
        self.counts: Counter = Counter()

    def admit(self, url: str) -> bool:
        if url in self.seen:
            return False
        path, _, query = url.partition("?")
        resolved = _resolve(path)
        if resolved is None:
            self.seen.add(url)
            return True  # fetched once: it answers 404, which fails the crawl
        name, kwargs, _module = resolved
        if name in SKIPPED_VIEWS:
            return False
        target = tuple(sorted(kwargs.items()))
        params = tuple(sorted({key for key, _value in parse_qsl(query, keep_blank_values=True)}))
        if target:
            objects = self.objects.setdefault(name, set())
            if target not in objects and len(objects) >= OBJECT_PAGES:
                return False
        if self.counts[(name, target, params)] >= VARIANTS:
            return False
        self.seen.add(url)
        if target:
            self.objects[name].add(target)
        self.counts[(name, target, params)] += 1
        return True


def crawl(client, start: str = START) -> CrawlResult:
    """Fetch `start` and, breadth first, every admitted portal link, GET form and hx-get found."""
    result = CrawlResult()
    budget = _Budget()
    budget.admit(start)
    queue: deque[tuple[str, str]] = deque([(start, "(start)")])
    while queue:
        url, found_on = queue.popleft()
        # htmx asks for its fragments with HX-Request; a plain link gets the whole page.
        headers = {"HX-Request": "true"} if found_on.startswith("hx:") else {}
        try:
            response = client.get(url, headers=headers)
        except Exception:  # the test client re-raises the view's exception: that is a 500
            result.failures.append(f"{url} (linked from {found_on}):\n{traceback.format_exc()}")
            result.visited.append((url, 500))
            continue
        status = response.status_code
        result.visited.append((url, status))
        resolved = _resolve(url.partition("?")[0])
        result.views[resolved[0] if resolved else url] += 1
        if status >= 500 or status == 404:
            result.failures.append(f"{url} (linked from {found_on}): {status}")
            continue
        targets: list[tuple[str, bool]] = []
        if status in (301, 302, 303, 307, 308):
            targets.append((response["Location"], False))
        elif status == 200 and "html" in response.get("Content-Type", ""):
            parser = _PortalPageParser()
            parser.feed(response.content.decode(response.charset or "utf-8"))
            targets += [(link, False) for link in parser.links] + [(link, True) for link in parser.hx]
            for action, values in parser.forms:
                targets.append(
                    (urljoin(url, action or url).partition("?")[0] + "?" + urlencode(values), False)
                )
        for target, is_hx in targets:
            normalised = _normalise(target, url)
            if normalised is not None and budget.admit(normalised):
                queue.append((normalised, f"hx:{url}" if is_hx else url))
    return result


def demo_logins() -> list[tuple[str, str]]:
    """The first and the last of the logins `make demo` prints (the first is a leader with a big
    downline): (username, password), the passwords derived as seed_demo derives them."""
    from distributors.demo import demo_password
    from distributors.models import Distributor

    logins = list(
        Distributor.objects.filter(user__isnull=False)
        .order_by("id")
        .values_list("user__username", "referral_code")[:3]
    )
    assert logins, "the demo seed has no distributor logins"
    return [(username, demo_password(DEMO_SEED, code)) for username, code in {logins[0], logins[-1]}]


def _login(client, username: str, password: str) -> None:
    # The login form itself, as a person would use it (and as django-axes expects).
    response = client.post("/portal/login/", {"username": username, "password": password, "next": START})
    assert response.status_code == 302, response.content[:2000]


def _summary(results: dict[str, CrawlResult]) -> dict:
    return {
        who: {
            "pages": len(result.visited),
            "statuses": dict(Counter(status for _url, status in result.visited)),
            "failures": result.failures,
            "views": dict(result.views),
        }
        for who, result in results.items()
    }


def _expected_views() -> set[str]:
    """The portal's pages without parameters that a distributor reaches from the menu."""
    from portal.navigation import NAVIGATION

    return {f"portal:{name}" for name, _label in NAVIGATION}


def _check(summary: dict) -> None:
    failures = [failure for who in summary.values() for failure in who["failures"]]
    assert not failures, f"{len(failures)} page(s) failed:\n\n" + "\n\n".join(failures)
    for who, crawl_summary in summary.items():
        missing = _expected_views() - set(crawl_summary["views"])
        assert not missing, f"{who}: sections the crawl never reached: {sorted(missing)}"
    leader = next(iter(summary.values()))
    # The demo has every kind of row: the crawl went past the menu into pages of one object.
    assert leader["pages"] > 3 * len(_expected_views()), leader


def crawl_demo(client_class) -> dict:
    results = {}
    for username, password in demo_logins():
        client = client_class()
        _login(client, username, password)
        results[username] = crawl(client)
    return _summary(results)


@pytest.mark.slow
def test_every_portal_page_of_the_sqlite_demo_answers_without_a_server_error(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "DEBUG": "1",
        # The demo's settings, not the test run's (pytest-django exports DJANGO_SETTINGS_MODULE).
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
        return result.stdout

    run("manage.py", "migrate", "--noinput")
    run("manage.py", "seed_demo", "--size", str(DEMO_SIZE), "--months", str(DEMO_MONTHS))
    output = run("-m", "tests.portal.test_crawl")
    _check(json.loads(output.strip().splitlines()[-1]))


@pytest.mark.slow
@pytest.mark.django_db
def test_every_portal_page_on_postgresql_answers_without_a_server_error(settings):
    from django.core.management import call_command
    from django.test import Client

    call_command("seed_demo", size=DEMO_SIZE, months=DEMO_MONTHS, stdout=io.StringIO())
    _check(crawl_demo(Client))


def main() -> None:
    """Crawl the database of DATABASE_URL as the demo's distributors; print the summary as JSON."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    django.setup()
    from django.test import Client

    print(json.dumps(crawl_demo(Client)))


if __name__ == "__main__":
    main()
