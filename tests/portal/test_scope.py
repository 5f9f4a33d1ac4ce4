"""Who reaches which portal page: a matrix generated from the URLconf, like the API's BOLA matrix
(tests/api/test_bola.py), so a page added later is covered without touching this file.

Every URL whose view lives in the `portal` package is found by walking the project's resolver
(wherever it is mounted: /portal/..., /host/..., /join/...). The only hand-written part is
PARAMETERS: what each URL parameter name means, and which object of anna's (the network of
tests/api/conftest.py) it names. A URL with a parameter name not in that table fails
`test_every_url_parameter_is_in_the_matrix`, so nobody forgets a new one.

- an object of anna's, opened (GET and POST) by a distributor who does not own it (another leg,
  another tree, her upline or downline), answers 404 and changes nothing;
- every page needs a sign-in (anonymous -> the portal's login), except the public ones;
- staff without a distributor profile are sent to the admin;
- POST without a CSRF token is refused (403) and changes nothing, on every URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.portal.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Parameter:
    """What a URL parameter names. kind: "object" (a row of one distributor: others get 404),
    "own" (read through request.distributor, nobody else's: a period of one's own statements),
    "public" (a signed token or a referral code: the page is for people without an account)."""

    kind: str
    value: Callable  # net, section -> the value for anna (the owner)
    # Who besides anna may open it: her upline sees her downline's name, rank and volumes.
    also_allowed: tuple[str, ...] = ()


def _owned(net):
    return net.owned["anna"]


def _pk_by_section(net, section: str) -> int:
    objects = {"demonstrations": _owned(net).demonstration.pk}
    assert section in objects, f"`pk` in the section {section!r}: add its object to PARAMETERS"
    return objects[section]


def _token(net, section: str, route: str = "") -> str:
    """A signed token of the section: the host link's, a join consent's (anna's guest asked), or
    the shop's (a demonstration's shopping link, a shop order's own page)."""
    if section == "shop":
        from orders.shop_links import demonstration_shop_token, shop_order_token

        if route.startswith("shop/party/"):
            return demonstration_shop_token(_owned(net).demonstration)
        order = _owned(net).pending_order
        order.contact_email, order.channel = "guest@example.nl", "shop"
        order.save(update_fields=["contact_email", "channel"])
        return shop_order_token(order)
    if section == "join":
        from django.utils import timezone

        from orders.services.customers import contact_consent_token

        guest = _owned(net).guest
        guest.contact_consent_requested_at = timezone.now()
        guest.contact_consent_requested_text = "I agree that this distributor contacts me."
        guest.save(update_fields=["contact_consent_requested_at", "contact_consent_requested_text"])
        return contact_consent_token(guest)
    from portal.host_links import host_link_token

    return host_link_token(_owned(net).demonstration)


def _subscription(net, section: str) -> int:
    """An autoship of anna's guest (made once per test network)."""
    from orders.models import Subscription
    from orders.services.autoship import subscription_create

    guest = _owned(net).guest
    existing = Subscription.objects.filter(customer=guest).first()
    if existing is not None:
        return existing.pk
    return subscription_create(
        distributor=net.anna, customer=guest, interval_unit="months", interval_count=1, day_of_month=15,
        lines=[(net.product.sku, 1)], actor=net.anna.user,
    ).pk  # fmt: skip


# Parameter name -> what it names. Section owners: a new parameter name goes here.
PARAMETERS: dict[str, Parameter] = {
    "customer_id": Parameter("object", lambda net, section: _owned(net).guest.pk),
    "order_id": Parameter("object", lambda net, section: _owned(net).pending_order.pk),
    "request_id": Parameter("object", lambda net, section: _owned(net).buyback.pk),
    "pk": Parameter("object", _pk_by_section),
    "subscription_id": Parameter("object", _subscription),
    # What is done to the subscription its route names (skip, pause, ...): the object is the subscription.
    "action": Parameter("object", lambda net, section: "skip"),
    # anton, a member of anna's downline: her upline (root) and anton himself see him too, nobody
    # outside the line does.
    "member_id": Parameter("object", lambda net, section: net.anton.pk, also_allowed=("root", "anton")),
    "period": Parameter("own", lambda net, section: "2026-01"),
    "token": Parameter("public", _token),
    "code": Parameter("public", lambda net, section: net.anna.referral_code),
}

# Pages anyone may open without signing in (URL names, without namespace), and what they answer.
PUBLIC = {
    "login": 200,
    "host-demonstration": 200,
    "join": 200,
    "join-thanks": 200,
    "join-confirm": 200,
    "shop": 200,
    "shop-demonstration": 200,
    "shop-order": 200,
    "shop-withdraw": 200,
    # Says that a signed-in user has no distributor profile: it needs no sign-in of its own.
    "no-profile": 403,
}
# Who opens anna's objects and must get 404: another leg, another tree, her upline, her downline.
STRANGERS = ("bert", "ursula", "root", "anton")
# Apps whose rows a refused request must leave as they were.
DOMAIN_APPS = ("distributors", "plans", "orders", "commissions", "compliance")


@dataclass(frozen=True)
class PortalURL:
    name: str  # "portal:customer" (with namespace), for reverse()
    route: str  # "portal/customers/<int:customer_id>/"
    params: tuple[str, ...]
    module: str = field(compare=False)

    @property
    def url_name(self) -> str:
        return self.name.rpartition(":")[2]

    @property
    def section(self) -> str:
        parts = self.route.removeprefix("portal/").split("/")
        return parts[0]

    @property
    def public(self) -> bool:
        return self.url_name in PUBLIC

    def kinds(self) -> set[str]:
        return {PARAMETERS[p].kind for p in self.params if p in PARAMETERS}

    def path(self, net) -> str:
        return reverse(
            self.name,
            kwargs={
                # A token names what its route is for (a shop has two kinds).
                p: _token(net, self.section, self.route)
                if p == "token"
                else PARAMETERS[p].value(net, self.section)
                for p in self.params
            },
        )

    def __str__(self) -> str:
        return self.name


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[PortalURL]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}{entry.namespace}:"
            yield from _walk(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            module = getattr(callback, "__module__", "") or ""
            view_class = getattr(callback, "view_class", None)
            if view_class is not None:
                module = view_class.__module__
            if not module.startswith("portal.") or not entry.name:
                continue
            params = tuple(entry.pattern.converters) if hasattr(entry.pattern, "converters") else ()
            yield PortalURL(namespace + entry.name, prefix + str(entry.pattern), params, module)


def portal_urls() -> list[PortalURL]:
    """Every named URL of the project whose view is in the portal package, in URLconf order."""
    seen: dict[str, PortalURL] = {}
    for url in _walk(get_resolver()):
        seen.setdefault(url.name, url)
    return list(seen.values())


URLS = portal_urls()
KNOWN = [url for url in URLS if all(p in PARAMETERS for p in url.params)]
PRIVATE = [url for url in KNOWN if not url.public]
OBJECT_URLS = [url for url in KNOWN if "object" in url.kinds()]


def portal_pages(net) -> list[tuple[PortalURL, str]]:
    """(URL, path) of every portal page anna can open with GET, her objects filled in: the pages
    the browser tests visit. Pages of one period need a closed one (none in the test network)."""
    return [(url, url.path(net)) for url in KNOWN if "own" not in url.kinds()]


def _snapshot() -> dict:
    """Every row of the domain's tables: what a refused request must leave as it was."""
    rows = {}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return rows


def _methods(client, path: str) -> dict[str, int]:
    return {"GET": client.get(path).status_code, "POST": client.post(path, {}).status_code}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_matrix_finds_the_portal_pages():
    names = {url.url_name for url in URLS}
    assert {"login", "dashboard", "team", "customers", "orders"} <= names, names


def test_every_url_parameter_is_in_the_matrix():
    unknown = {f"{url.route} ({url.module})": p for url in URLS for p in url.params if p not in PARAMETERS}
    assert not unknown, f"URL parameters the scope matrix does not know (add them to PARAMETERS): {unknown}"


def _allowed(url: PortalURL) -> set[str]:
    return {who for p in url.params for who in PARAMETERS[p].also_allowed}


@pytest.mark.parametrize(
    ("url", "stranger"),
    [
        pytest.param(url, who, id=f"{url.name}-{who}")
        for url in OBJECT_URLS
        for who in STRANGERS
        if who not in _allowed(url)
    ],
)
def test_an_object_of_another_distributor_is_404(net, url, stranger):
    path = url.path(net)
    owner = _signed_in(net.anna.user).get(path)
    # The table names a real object: its owner gets it (or is told to use another method).
    assert owner.status_code != 404 and owner.status_code < 500, (path, owner.status_code)
    before = _snapshot()
    statuses = _methods(_signed_in(getattr(net, stranger).user), path)
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (path, statuses)
    assert _snapshot() == before, f"{stranger}'s refused request changed data: {path}"


def _first_hop_outside_the_portal_root(client, method: str, path: str):
    """The answer to `path`, after the redirect of `/` to the dashboard (the only page that sends
    anyone to another portal page before asking who they are)."""
    response = getattr(client, method)(path)
    if (
        path == reverse("home")
        and response.status_code == 302
        and response["Location"] == reverse("portal:dashboard")
    ):
        response = client.get(response["Location"])
    return response


@pytest.mark.parametrize("url", [pytest.param(url, id=url.name) for url in PRIVATE])
def test_a_private_page_needs_a_sign_in(net, url):
    path = url.path(net)
    before = _snapshot()
    statuses = {}
    for method in ("get", "post"):
        response = _first_hop_outside_the_portal_root(Client(), method, path)
        statuses[method] = response.status_code
        if response.status_code == 405:
            continue
        assert response.status_code == 302, (method, path, response.status_code)
        location = urlsplit(response["Location"])
        assert location.path == reverse("portal:login"), (method, path, response["Location"])
    assert set(statuses.values()) != {405}, statuses
    assert _snapshot() == before


@pytest.mark.parametrize("url", [pytest.param(url, id=url.name) for url in KNOWN if url.public])
def test_a_public_page_opens_without_a_sign_in(net, url):
    response = Client().get(url.path(net))
    assert response.status_code == PUBLIC[url.url_name], (url.path(net), response.status_code)


@pytest.mark.parametrize(
    "url", [pytest.param(url, id=url.name) for url in PRIVATE if url.url_name not in ("logout",)]
)
def test_staff_without_a_profile_are_sent_to_the_admin(net, url):
    clerk = get_user_model().objects.create_user("clerk", password=PASSWORD, is_staff=True)
    client = _signed_in(clerk)
    path = url.path(net)
    before = _snapshot()
    for method in ("get", "post"):
        response = _first_hop_outside_the_portal_root(client, method, path)
        if response.status_code == 405:
            continue
        assert response.status_code == 302 and response["Location"] == reverse("admin:index"), (
            method,
            path,
            response.status_code,
        )
    assert _snapshot() == before


@pytest.mark.parametrize("url", [pytest.param(url, id=url.name) for url in KNOWN])
def test_a_post_without_a_csrf_token_is_refused(net, url):
    path = url.path(net)
    client = Client(enforce_csrf_checks=True)
    if not url.public:
        client.force_login(net.anna.user)
    before = _snapshot()
    response = client.post(path, {})
    assert response.status_code == 403, (path, response.status_code)
    assert _snapshot() == before


def test_the_password_reset_pages_need_no_sign_in(db):
    # Beside the portal's own public pages: the account pages of core.accounts (forgot, sent).
    client = Client()
    assert client.get(reverse("account:password-reset")).status_code == 200
    assert client.get(reverse("account:password-reset-sent")).status_code == 200
