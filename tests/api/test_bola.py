"""Broken object-level authorization matrix: every object endpoint × every kind of actor × read,
write and delete, against objects that belong to anna (and anna herself, for the downline view).

Only anna reaches her objects; anyone else is 404 (never 403, which would say it exists), an
anonymous caller 401, a staff user without a distributor profile 403. DELETE exists only for a
customer (refused, 409, while the customer has orders); elsewhere it is 405, whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from orders.models import BuybackRequest, Customer, Demonstration, Order

ACTORS = {
    "self": "anna",
    "direct_downline": "anton",
    "deep_downline": "aafke",
    "upline": "root",
    "other_leg": "bert",
    "unrelated": "ursula",
    "anonymous": None,
    "admin": "admin",
}


@dataclass(frozen=True)
class Op:
    endpoint: str
    action: str  # read | write | delete
    method: str
    path: Callable
    body: Callable | None = None
    owner_status: int = 200  # what anna gets
    # Who besides anna may read it (the downline view of anna: her upline).
    also_allowed: tuple[str, ...] = ()


def _o(net):
    return net.owned["anna"]


OPS = [
    # A member of the downline: anna seen by others.
    Op(
        "downline-member",
        "read",
        "get",
        lambda n: f"/api/v1/downline/{n.anna.pk}/",
        owner_status=404,
        also_allowed=("upline",),
    ),
    Op(
        "downline-member",
        "write",
        "patch",
        lambda n: f"/api/v1/downline/{n.anna.pk}/",
        lambda n: {"rank": 5},
        owner_status=405,
    ),
    Op("downline-member", "delete", "delete", lambda n: f"/api/v1/downline/{n.anna.pk}/", owner_status=405),
    # Customers.
    Op("customer", "read", "get", lambda n: f"/api/v1/customers/{_o(n).guest.pk}/"),
    Op(
        "customer",
        "write",
        "patch",
        lambda n: f"/api/v1/customers/{_o(n).guest.pk}/",
        lambda n: {"phone": "+31 6 9999 0000"},
    ),
    Op("customer", "delete", "delete", lambda n: f"/api/v1/customers/{_o(n).guest.pk}/", owner_status=409),
    # Orders.
    Op("order", "read", "get", lambda n: f"/api/v1/orders/{_o(n).pending_order.pk}/"),
    Op("order", "write", "post", lambda n: f"/api/v1/orders/{_o(n).pending_order.pk}/pay/"),
    Op(
        "order-cancel",
        "write",
        "post",
        lambda n: f"/api/v1/orders/{_o(n).pending_order.pk}/cancel/",
        lambda n: {"reason": "changed her mind"},
    ),
    Op(
        "order-return",
        "write",
        "post",
        lambda n: f"/api/v1/orders/{_o(n).paid_order.pk}/returns/",
        lambda n: {"lines": [{"order_line": _o(n).paid_order.lines.get().pk, "quantity": 1}]},
        owner_status=201,
    ),
    Op("order", "delete", "delete", lambda n: f"/api/v1/orders/{_o(n).pending_order.pk}/", owner_status=405),
    # Home demonstrations.
    Op("demonstration", "read", "get", lambda n: f"/api/v1/demonstrations/{_o(n).demonstration.pk}/"),
    Op(
        "demonstration-guest",
        "write",
        "post",
        lambda n: f"/api/v1/demonstrations/{_o(n).demonstration.pk}/guests/",
        lambda n: {"customer": _o(n).guest.pk},
    ),
    Op(
        "demonstration-close",
        "write",
        "post",
        lambda n: f"/api/v1/demonstrations/{_o(n).demonstration.pk}/close/",
    ),
    Op(
        "demonstration-cancel",
        "write",
        "post",
        lambda n: f"/api/v1/demonstrations/{_o(n).demonstration.pk}/cancel/",
        lambda n: {},
    ),
    Op(
        "demonstration",
        "delete",
        "delete",
        lambda n: f"/api/v1/demonstrations/{_o(n).demonstration.pk}/",
        owner_status=405,
    ),
    # Buy-back requests.
    Op("buyback-request", "read", "get", lambda n: f"/api/v1/buyback-requests/{_o(n).buyback.pk}/"),
    Op(
        "buyback-request",
        "write",
        "post",
        lambda n: f"/api/v1/buyback-requests/{_o(n).buyback.pk}/withdraw/",
        lambda n: {"reason": "sold them after all"},
    ),
    Op(
        "buyback-request",
        "delete",
        "delete",
        lambda n: f"/api/v1/buyback-requests/{_o(n).buyback.pk}/",
        owner_status=405,
    ),
]


def expected(op: Op, actor: str) -> int:
    if actor == "anonymous":
        return 401
    if actor == "admin":
        return 403
    if op.owner_status == 405:
        return 405
    if actor == "self":
        return op.owner_status
    if actor in op.also_allowed:
        return 200
    return 404


MATRIX = [
    pytest.param(op, actor, expected(op, actor), id=f"{op.endpoint}-{op.action}-{actor}")
    for op in OPS
    for actor in ACTORS
]


def _snapshot(net) -> tuple:
    """What a refused write must leave untouched."""
    anna = net.owned["anna"]
    return (
        Order.objects.get(pk=anna.pending_order.pk).status,
        Order.objects.get(pk=anna.paid_order.pk).status,
        Customer.objects.get(pk=anna.guest.pk).phone,
        Demonstration.objects.get(pk=anna.demonstration.pk).status,
        anna.demonstration.guests.count(),
        BuybackRequest.objects.get(pk=anna.buyback.pk).status,
    )


@pytest.mark.parametrize(("op", "actor", "status"), MATRIX)
def test_object_access(net, api, op, actor, status):
    before = _snapshot(net)
    client = api(ACTORS[actor])
    body = op.body(net) if op.body else None
    response = getattr(client, op.method)(op.path(net), body, format="json")
    assert response.status_code == status, response.content
    assert set(response.json()) == {"error"} if status >= 400 else True
    if status >= 400:
        assert _snapshot(net) == before
        if status == 404:
            # No hint whose it is: the same answer as for an id that never existed.
            assert "anna" not in response.content.decode().lower()


@pytest.mark.parametrize("actor", [a for a in ACTORS if a not in ("anonymous", "admin")])
def test_lists_show_only_own_objects(net, api, actor):
    client = api(ACTORS[actor])
    anna = net.owned["anna"]
    own = actor == "self"
    listed = {
        "customers": {row["id"] for row in client.get("/api/v1/customers/").json()["results"]},
        "orders": {row["id"] for row in client.get("/api/v1/orders/").json()["results"]},
        "demonstrations": {row["id"] for row in client.get("/api/v1/demonstrations/").json()["results"]},
        "buyback": {row["id"] for row in client.get("/api/v1/buyback-requests/").json()["results"]},
    }
    assert (anna.guest.pk in listed["customers"]) is own
    assert (anna.host.pk in listed["customers"]) is own
    assert (anna.pending_order.pk in listed["orders"]) is own
    assert (anna.demonstration.pk in listed["demonstrations"]) is own
    assert (anna.buyback.pk in listed["buyback"]) is own
    assert not own or listed["customers"] == {anna.guest.pk, anna.host.pk}


def test_filters_naming_someone_elses_objects_are_404(net, api):
    bert = api("bert")
    anna = net.owned["anna"]
    for query in (f"customer={anna.guest.pk}", f"demonstration={anna.demonstration.pk}"):
        response = bert.get(f"/api/v1/orders/?{query}")
        assert response.status_code == 404, query
        assert response.json()["error"]["code"] == "not_found"
    # Her own filter works and shows her order only.
    response = api("anna").get(f"/api/v1/orders/?customer={anna.guest.pk}")
    assert [row["id"] for row in response.json()["results"]] == [anna.pending_order.pk]


def test_bodies_naming_someone_elses_objects_are_404(net, api):
    bert = api("bert")
    anna, mine = net.owned["anna"], net.owned["bert"]
    cases = [
        (
            "/api/v1/orders/",
            {
                "purpose": "customer",
                "customer": anna.guest.pk,
                "lines": [{"product": "MIX-1", "quantity": 1}],
            },
            "customer",
        ),
        (
            "/api/v1/orders/",
            {
                "purpose": "customer",
                "customer": mine.guest.pk,
                "demonstration": anna.demonstration.pk,
                "lines": [{"product": "MIX-1", "quantity": 1}],
            },
            "demonstration",
        ),
        (
            "/api/v1/demonstrations/",
            {"host": anna.host.pk, "held_at": "2026-11-01T19:00:00+01:00", "place": "Delft"},
            "host",
        ),
        (f"/api/v1/demonstrations/{mine.demonstration.pk}/guests/", {"customer": anna.guest.pk}, "customer"),
        (
            "/api/v1/buyback-requests/",
            {"lines": [{"order_line": anna.paid_order.lines.get().pk, "quantity": 1}]},
            "lines",
        ),
    ]
    orders_before = Order.objects.count()
    for path, body, field in cases:
        response = bert.post(path, body, format="json")
        assert response.status_code == 404, (path, response.content)
        assert field in response.json()["error"]["fields"], path
    assert Order.objects.count() == orders_before
    assert not mine.demonstration.guests.filter(customer=anna.guest).exists()


def test_search_never_reaches_outside_the_downline(net, api):
    root_hits = api("root").get("/api/v1/downline/?search=Ursula").json()
    assert root_hits["results"] == []
    anna_hits = api("anna").get("/api/v1/downline/?search=Bakker").json()
    assert anna_hits["results"] == []
    anna_all = api("anna").get("/api/v1/downline/").json()
    assert [row["first_name"] for row in anna_all["results"]] == ["Anton", "Arie", "Aafke"]
    customers = api("anna").get("/api/v1/customers/?search=carla").json()
    assert [row["id"] for row in customers["results"]] == [net.owned["anna"].host.pk]


def test_downline_members_show_name_rank_and_depth_only(net, api):
    page = api("root").get("/api/v1/downline/?max_depth=2").json()
    assert [(row["first_name"], row["depth"]) for row in page["results"]] == [
        ("Anna", 1),
        ("Anton", 2),
        ("Bert", 1),
        ("Bob", 2),
    ]
    member = api("root").get(f"/api/v1/downline/{net.aafke.pk}/").json()
    assert set(member) == {
        "id",
        "external_id",
        "first_name",
        "last_name",
        "referral_code",
        "rank",
        "title",
        "depth",
        "sponsor_id",
    }
    assert member["depth"] == 4
    for row in page["results"]:
        assert "email" not in row and "phone" not in row


def test_upline_shows_the_sponsors_contact_only(net, api):
    body = api("anton").get("/api/v1/upline/").json()
    assert body == {
        "sponsor": {
            "first_name": "Anna",
            "last_name": "Vries",
            "email": "anna@example.nl",
            "phone": "+31 6 1234 5678",
        }
    }
    assert api("root").get("/api/v1/upline/").json() == {"sponsor": None}


def test_admin_only_operations_are_not_in_the_api(net, api):
    """Closing periods, moves, buy-back decisions and adjustments are the admin site's; with a
    distributor's token none of them exists here, and the admin site does not take a JWT."""
    anna = api("anna")
    schema_paths = api(None).get("/api/v1/schema/?format=json").json()["paths"]
    for word in ("close_period", "move", "approve", "decide", "adjustment", "terminate"):
        assert not any(word in path for path in schema_paths), word
    response = anna.get("/admin/plans/period/")
    assert response.status_code == 302  # to the admin login: the JWT is not a session
