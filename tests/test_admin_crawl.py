"""The admin as the superuser sees it, on the seeded demo: a crawler follows every link and every
GET form it finds under /admin/ and fails on any 500.

It starts at /admin/ and knows no URL of its own, so links added later are crawled by themselves.
It is bounded: every changelist and a few of its query variants (a filter, a sort, a page, the
search form: at most two links per set of query parameters), the first change pages of each model
and of every custom page of one object (explain a run, a batch's CSV...), one history and delete
page per model, and every other view (the custom pages and their CSV and print variants) a few
times per set of query parameters.

Twice: on the README's demo (a fresh SQLite file seeded by `seed_demo` in a child process, like
`make demo`) and on PostgreSQL (the test database, seeded the same way, with Django's test client).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "/admin/"
DEMO_SIZE = 120  # distributors: every kind of row exists, and a seed takes seconds
DEMO_MONTHS = 3  # two closed months (a paid and an open payout batch) and the open one

OBJECT_PAGES = 3  # per page of one object (a change page, a custom one): the first objects linked
ADMIN_OBJECT_PAGES = 1  # per history and delete page of a model: the first object
FILTER_VARIANTS = 2  # per changelist and set of query parameter names (a filter's links, a sort...)
CHANGELIST_VARIANTS = 6  # query variants of one changelist in all
# Per custom view and set of query parameter names: their values choose what is shown (two runs
# to compare...), so more of them.
CUSTOM_VARIANTS = 6
# Never followed: they end the session or leave the admin.
SKIPPED_VIEWS = {"admin:logout", "admin:view_on_site", "admin:jsi18n", "admin:autocomplete"}
# Only where to go back to: not a different page.
IGNORED_PARAMS = {"_changelist_filters"}


class _PageParser(HTMLParser):
    """The hrefs of a page's links and the URLs its GET forms submit: with their initial values
    (what a browser sends when the user presses the button without changing anything), and with
    each select set to its last option instead (another choice than the one already shown)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._choices: list[tuple[int, str]] = []  # (field index, last option) of the form's selects
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self._pending_option: bool | None = None  # an option valued by its text: is it selected?
        self._get_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._get_form = a.get("method", "get").lower() == "get"
            self._form = (a.get("action", ""), [])
            self._choices = []
        elif self._form is None or not self._get_form:
            return
        elif tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "reset", "file"):
                self._form[1].append(
                    (a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else ""))
                )
        elif tag == "select" and a.get("name") and "disabled" not in a:
            self._select = (a["name"], [], [])
        elif tag == "option" and self._select is not None:
            if "value" in a:
                self._add_option(a["value"], "selected" in a)
            else:
                self._pending_option = "selected" in a
        elif tag == "textarea" and a.get("name"):
            self._form[1].append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._pending_option is not None and self._select is not None:
            self._add_option(data.strip(), self._pending_option)
            self._pending_option = None

    def _add_option(self, value: str, selected: bool) -> None:
        assert self._select is not None
        self._select[1].append(value)
        if selected:
            self._select[2].append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._form is not None:
            name, options, selected = self._select
            for value in selected or options[:1]:
                self._form[1].append((name, value))
            if len(options) > 1 and not selected[1:]:
                self._choices.append((len(self._form[1]) - 1, options[-1]))
            self._select = None
        elif tag == "form" and self._form is not None:
            if self._get_form:
                action, values = self._form
                self.forms.append((action, values))
                for index, last in self._choices:
                    self.forms.append(
                        (action, [*values[:index], (values[index][0], last), *values[index + 1 :]])
                    )
            self._form = None


@dataclass
class CrawlResult:
    visited: list[tuple[str, int]] = field(default_factory=list)  # (url, status) in crawl order
    failures: list[str] = field(default_factory=list)  # "url: status or traceback", found where
    views: Counter = field(default_factory=Counter)  # view name -> pages fetched


def _view_name(path: str) -> tuple[str, dict] | None:
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        return None
    return (match.view_name or match.route), match.kwargs


def _normalise(url: str, base: str) -> str | None:
    """The admin URL a link points to, without fragment or ignored parameters; None if elsewhere."""
    parts = urlsplit(urljoin(base, url))
    if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith(ADMIN):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in IGNORED_PARAMS]
    return parts.path + (f"?{urlencode(query)}" if query else "")


class _Budget:
    """Decides which of the links found are fetched, so the crawl is thorough and finite."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.objects: dict[str, set] = {}  # view name -> the objects whose page was admitted
        self.counts: Counter = Counter()  # (view, object, query parameter names) and view -> pages

    def admit(self, url: str) -> bool:
        if url in self.seen:
            return False
        path, _, query = url.partition("?")
        resolved = _view_name(path)
        if resolved is None:
            self.seen.add(url)
            return True  # unknown to the URLconf: fetched once, it answers 404
        name, kwargs = resolved
        if name in SKIPPED_VIEWS:
            return False
        target = tuple(sorted(kwargs.items()))
        params = tuple(sorted({key for key, _value in parse_qsl(query, keep_blank_values=True)}))
        if target:  # a page of one object: the first few objects of each kind of page
            objects = self.objects.setdefault(name, set())
            limit = ADMIN_OBJECT_PAGES if name.endswith(("_history", "_delete")) else OBJECT_PAGES
            if target not in objects and len(objects) >= limit:
                return False
        changelist = name.endswith("_changelist")
        if changelist and params and self.counts[name] >= CHANGELIST_VARIANTS:
            return False
        if self.counts[(name, target, params)] >= (FILTER_VARIANTS if changelist else CUSTOM_VARIANTS):
            return False
        self.seen.add(url)
        if target:
            self.objects[name].add(target)
        self.counts[(name, target, params)] += 1
        if params:
            self.counts[name] += 1
        return True


def crawl(client, start: str = ADMIN) -> CrawlResult:
    """Fetch `start` and, breadth first, every admitted admin link and GET form found on the pages."""
    result = CrawlResult()
    budget = _Budget()
    budget.admit(start)
    queue: deque[tuple[str, str]] = deque([(start, "(start)")])
    while queue:
        url, found_on = queue.popleft()
        try:
            response = client.get(url)
        except Exception:  # the test client re-raises the view's exception: that is a 500
            result.failures.append(f"{url} (linked from {found_on}):\n{traceback.format_exc()}")
            result.visited.append((url, 500))
            continue
        status = response.status_code
        result.visited.append((url, status))
        resolved = _view_name(url.partition("?")[0])
        result.views[resolved[0] if resolved else url] += 1
        if status >= 500:
            result.failures.append(f"{url} (linked from {found_on}): {status}")
            continue
        targets: list[str] = []
        if status in (301, 302, 303, 307, 308):
            targets.append(response["Location"])
        elif status == 200 and "html" in response.get("Content-Type", ""):
            parser = _PageParser()
            parser.feed(response.content.decode(response.charset or "utf-8"))
            targets += parser.links
            for action, values in parser.forms:
                targets.append(urljoin(url, action or url).partition("?")[0] + "?" + urlencode(values))
        for target in targets:
            normalised = _normalise(target, url)
            if normalised is not None and budget.admit(normalised):
                queue.append((normalised, url))
    return result


def _login(client, username: str = "admin", password: str = "admin") -> None:
    # The login form itself, as a person would use it (and as django-axes expects).
    response = client.post(
        ADMIN + "login/", {"username": username, "password": password, "next": ADMIN}, follow=False
    )
    assert response.status_code == 302, response.content[:2000]


def _expected_views(apps: tuple[str, ...] | None = None) -> set[str]:
    """The changelist of every registered model (of `apps`): the crawl must reach each one from /admin/."""
    from django.contrib import admin

    return {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
        if apps is None or model._meta.app_label in apps
    }


def _summary(result: CrawlResult, apps: tuple[str, ...] | None = None) -> dict:
    return {
        "pages": len(result.visited),
        "statuses": dict(Counter(status for _url, status in result.visited)),
        "failures": result.failures,
        "views": dict(result.views),
        "missing": sorted(_expected_views(apps) - set(result.views)),
        "expected": len(_expected_views(apps)),
    }


def _check(summary: dict) -> None:
    assert not summary["failures"], f"{len(summary['failures'])} page(s) failed:\n\n" + "\n\n".join(
        summary["failures"]
    )
    assert not summary["missing"], f"changelists the crawl never reached: {summary['missing']}"
    views = summary["views"]
    # The demo has every kind of row: the crawl went past the changelists into objects and the
    # custom pages (an empty demo or a crawler that stopped following links would not).
    assert sum(1 for name in views if name.endswith("_change")) >= summary["expected"] // 2, views
    assert summary["pages"] > 3 * summary["expected"], summary["pages"]


@pytest.mark.slow
def test_every_admin_page_of_the_sqlite_demo_answers_without_a_server_error(tmp_path):
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
    output = run("-m", "tests.test_admin_crawl")
    _check(json.loads(output.strip().splitlines()[-1]))


@pytest.mark.slow
@pytest.mark.django_db
def test_every_admin_page_on_postgresql_answers_without_a_server_error(client):
    from django.core.management import call_command

    call_command("seed_demo", size=DEMO_SIZE, months=DEMO_MONTHS, stdout=io.StringIO())
    _login(client)
    _check(_summary(crawl(client)))


@pytest.mark.slow
@pytest.mark.django_db
def test_every_admin_page_the_support_role_sees_answers_without_a_server_error(client):
    """Support (portal/roles.py) may only view: the read-only change pages of every business model."""
    from django.core.management import call_command

    from portal.management.commands.seed_demo import SUPPORT_PASSWORD, SUPPORT_USERNAME
    from portal.roles import READ_APPS

    call_command("seed_demo", size=DEMO_SIZE, months=DEMO_MONTHS, stdout=io.StringIO())
    _login(client, SUPPORT_USERNAME, SUPPORT_PASSWORD)
    _check(_summary(crawl(client), READ_APPS))


def main() -> None:
    """Crawl the database of DATABASE_URL as the demo's admin; print the summary as JSON (last line)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    django.setup()
    from django.test import Client

    client = Client()
    _login(client)
    print(json.dumps(_summary(crawl(client))))


if __name__ == "__main__":
    main()
