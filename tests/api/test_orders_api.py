"""The orders resources of the API: one shape per resource (a detail is its list item plus its
children), one name for a reference to an order line, one line limit, strict JSON types, the
demonstration window, and a schema that says all of it."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import MAX_LINE_QUANTITY, Customer, Demonstration, Order

# --- One shape per resource


def _list_item(client, path: str, pk: int) -> dict:
    return next(row for row in client.get(path).json()["results"] if row["id"] == pk)


def test_an_order_detail_is_its_list_item_plus_lines_and_refunds(net, api):
    anna, paid = api("anna"), net.owned["anna"].paid_order
    item = _list_item(anna, "/api/v1/orders/", paid.pk)
    detail = anna.get(f"/api/v1/orders/{paid.pk}/").json()
    line = paid.lines.get()
    assert detail == {
        **item,
        "lines": [
            {
                "id": line.pk,
                "sku": "MIX-1",
                "quantity": 3,
                "unit_list_price": "75.00",
                "unit_price": "75.00",
                "unit_qv": "75.0000",
                "unit_cv": "75.0000",
                "half_price": False,
                "returned": 0,
                "returnable": 3,
            }
        ],
        "refunded": "0.00",
    }
    assert (item["total"], item["status"]) == ("225.00", "paid")


def test_an_order_detail_loads_its_order_once(net, api):
    anna, paid = api("anna"), net.owned["anna"].paid_order
    with CaptureQueriesContext(connection) as queries:
        response = anna.get(f"/api/v1/orders/{paid.pk}/")
    assert response.status_code == 200 and response.json()["total_qv"] == "225.0000"
    order_loads = [q["sql"] for q in queries.captured_queries if 'FROM "orders_order"' in q["sql"]]
    assert len(order_loads) == 1, order_loads


def test_a_demonstration_detail_is_its_list_item_plus_children_and_one_qps(net, api):
    anna, demonstration = api("anna"), net.owned["anna"].demonstration
    item = _list_item(anna, "/api/v1/demonstrations/", demonstration.pk)
    detail = anna.get(f"/api/v1/demonstrations/{demonstration.pk}/").json()
    children = {key: value for key, value in detail.items() if key not in item}
    assert {key: detail[key] for key in item} == item
    assert sorted(children) == [
        "close_deadline",
        "guest_ids",
        "half_price_items",
        "host_credit",
        "orders",
        "qps_so_far",
        "voucher",
    ]
    assert (item["qps"], detail["qps_so_far"], detail["host_credit"]) == (None, "0.00", "0.00")


def test_a_return_names_the_order_line_as_buyback_does_and_lists_its_lines(net, api):
    paid = net.owned["anna"].paid_order
    line = paid.lines.get()
    response = api("anna").post(
        f"/api/v1/orders/{paid.pk}/returns/",
        {"lines": [{"order_line": line.pk, "quantity": 2}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lines"] == [{"order_line_id": line.pk, "quantity": 2, "refund_amount": "150.00"}]
    assert body["refund_amount"] == "150.00"
    old_name = api("anna").post(
        f"/api/v1/orders/{paid.pk}/returns/", {"lines": [{"line": line.pk, "quantity": 1}]}, format="json"
    )
    assert old_name.status_code == 400
    assert old_name.json()["error"]["fields"]["lines.0.line"] == [
        "Unknown field: it cannot be set through this endpoint."
    ]


def test_buyback_units_are_paginated_like_every_list(net, api):
    body = api("anna").get("/api/v1/buyback/units/?page_size=1").json()
    assert (body["count"], body["page"], body["page_size"], body["num_pages"]) == (1, 1, 1, 1)
    assert [row["order_line_id"] for row in body["results"]] == [net.owned["anna"].paid_order.lines.get().pk]
    assert body["results"][0]["eligible"] == 2  # 3 bought, 1 in the pending buy-back request


# --- Strict JSON types: what the schema calls a string, a boolean or an integer is one


def _order_of(quantity) -> dict:
    return {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": quantity}]}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/orders/{order}/cancel/", {"reason": 0}, "reason"),
        ("patch", "/api/v1/customers/{guest}/", {"my_household": 0}, "my_household"),
        ("patch", "/api/v1/customers/{guest}/", {"my_household": "true"}, "my_household"),
        ("patch", "/api/v1/customers/{guest}/", {"first_name": 12}, "first_name"),
        ("post", "/api/v1/orders/", _order_of("2"), "lines.0.quantity"),
        ("post", "/api/v1/orders/", _order_of(2.5), "lines.0.quantity"),
        ("post", "/api/v1/orders/", _order_of(True), "lines.0.quantity"),
        ("post", "/api/v1/customers/", {"email": "x@example.nl", "kind": 1}, "kind"),
        ("post", "/api/v1/demonstrations/{demonstration}/guests/", {"customer": "1"}, "customer"),
    ],
)  # fmt: skip
def test_a_scalar_of_the_wrong_json_type_is_refused_and_changes_nothing(net, api, method, path, body, field):
    owned = net.owned["anna"]
    path = path.format(
        order=owned.pending_order.pk, guest=owned.guest.pk, demonstration=owned.demonstration.pk
    )
    before = (
        Order.objects.filter(status="cancelled").count(),
        Order.objects.count(),
        Customer.objects.count(),
    )
    response = getattr(api("anna"), method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert (
        Order.objects.filter(status="cancelled").count(),
        Order.objects.count(),
        Customer.objects.count(),
    ) == before
    owned.guest.refresh_from_db()
    assert owned.guest.household_of_id is None


def test_query_parameters_stay_text(net, api):
    guest = net.owned["anna"].guest
    response = api("anna").get(f"/api/v1/orders/?customer={guest.pk}&page=1&page_size=5")
    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- One line limit: the model's, in the serializer and the schema


def test_a_line_holds_at_most_the_one_limit(net, api):
    anna = api("anna")
    too_many = anna.post(
        "/api/v1/orders/",
        {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": MAX_LINE_QUANTITY + 1}]},
        format="json",
    )
    assert too_many.status_code == 400
    assert too_many.json()["error"]["fields"] == {
        "lines.0.quantity": ["Ensure this value is less than or equal to 1000000."]
    }
    most = anna.post(
        "/api/v1/orders/",
        {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": 20_000}]},
        format="json",
    )
    assert most.status_code == 201, most.content
    assert most.json()["lines"][0]["quantity"] == 20_000


# --- The demonstration window, through the API


@pytest.mark.parametrize("held_at", ["9999-12-31T20:00:00Z", "0001-01-01T12:00:00Z"])
def test_a_demonstration_far_away_in_time_is_a_field_error_and_saves_nothing(net, api, held_at):
    owned = net.owned["anna"]
    before = Demonstration.objects.count()
    response = api("anna").post(
        "/api/v1/demonstrations/",
        {"host": owned.host.pk, "held_at": held_at, "place": "Utrecht"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["held_at"]
    assert Demonstration.objects.count() == before
    assert api("anna").get("/api/v1/demonstrations/").status_code == 200


def test_a_demonstration_next_month_is_planned(net, api):
    owned = net.owned["anna"]
    held_at = (timezone.now() + dt.timedelta(days=31)).isoformat()
    response = api("anna").post(
        "/api/v1/demonstrations/",
        {"host": owned.host.pk, "held_at": held_at, "place": "Utrecht"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "planned"


# --- The schema says all of it


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return yaml.safe_load(Client().get("/api/v1/schema/").content)


def test_every_strict_input_refuses_additional_properties_in_the_schema(schema):
    inputs = {
        name: component
        for name, component in schema["components"]["schemas"].items()
        if name
        in {
            "OrderCreateRequest",
            "OrderLineInputRequest",
            "ReturnCreateRequest",
            "OrderLineQuantityInputRequest",
            "ReasonInputRequest",
            "CustomerCreateRequest",
            "PatchedCustomerUpdateRequest",
            "DemonstrationCreateRequest",
            "GuestAddRequest",
            "BuybackRequestCreateRequest",
        }
    }
    assert len(inputs) == 10
    assert {name: component.get("additionalProperties") for name, component in inputs.items()} == {
        name: False for name in inputs
    }


def test_returns_and_buyback_requests_take_one_order_line_input(schema):
    components = schema["components"]["schemas"]
    line = {"$ref": "#/components/schemas/OrderLineQuantityInputRequest"}
    assert components["ReturnCreateRequest"]["properties"]["lines"]["items"] == line
    assert components["BuybackRequestCreateRequest"]["properties"]["lines"]["items"] == line
    assert components["OrderLineQuantityInputRequest"]["required"] == ["order_line", "quantity"]
    assert components["OrderLineQuantityInputRequest"]["properties"]["quantity"] == {
        "type": "integer",
        "maximum": 1_000_000,
        "minimum": 1,
    }
    assert "ReturnLineInputRequest" not in components and "BuybackLineInputRequest" not in components


def test_the_schema_states_the_limits(schema):
    components = schema["components"]["schemas"]
    assert components["OrderCreateRequest"]["properties"]["lines"]["minItems"] == 1
    assert components["ReturnCreateRequest"]["properties"]["lines"]["minItems"] == 1
    assert components["OrderLineInputRequest"]["properties"]["quantity"] == {
        "type": "integer",
        "maximum": 1_000_000,
        "minimum": 1,
    }
    post = schema["paths"]["/api/v1/orders/"]["post"]
    key = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$"}
    listing = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert listing["period"]["pattern"] == "^20[0-9]{2}-(0[1-9]|1[0-2])$"
    assert listing["customer"]["minimum"] == 1
    assert listing["status"]["enum"] == ["pending", "paid", "cancelled", "partly_returned", "returned"]
    held_at = components["DemonstrationCreateRequest"]["properties"]["held_at"]
    assert "at most a year ahead" in held_at["description"]
    units = schema["paths"]["/api/v1/buyback/units/"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    assert units["schema"] == {"$ref": "#/components/schemas/BuybackUnitPage"}
