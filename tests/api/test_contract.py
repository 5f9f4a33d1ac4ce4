"""The API's contract: strict input (mass assignment), one error format, capped pages, ETags,
throttling, and a schema that validates without warnings."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.throttling import UserRateThrottle

from distributors.models import Distributor
from orders.models import Customer, Order

# --- Mass assignment: fields a client may not set are refused, and nothing is written.


@pytest.mark.parametrize(
    "extra",
    [
        {"sponsor": 1},
        {"sponsor_id": 1},
        {"rank": 9},
        {"title": 9},
        {"status": "active"},
        {"lft": 1, "rght": 2, "tree_id": 1, "level": 0},
        {"user": 1},
        {"referral_code": "AAAA2222"},
    ],
)
def test_enrollment_refuses_tree_rank_and_status_fields(net, api, extra):
    body = {"first_name": "Nina", "last_name": "Nieuw", "email": "nina@example.nl", **extra}
    before = Distributor.objects.count()
    response = api("anna").post("/api/v1/enrollments/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(extra)
    assert response.json()["error"]["fields"][next(iter(extra))] == [
        "Unknown field: it cannot be set through this endpoint."
    ]
    assert Distributor.objects.count() == before


def test_enrollment_places_the_new_distributor_under_me(net, api):
    body = {"first_name": "Nina", "last_name": "Nieuw", "email": "nina@example.nl"}
    response = api("anna").post("/api/v1/enrollments/", body, format="json")
    assert response.status_code == 201
    nina = Distributor.objects.get(pk=response.json()["id"])
    assert (nina.sponsor_id, nina.rank, nina.status) == (net.anna.pk, 0, "active")
    # The recruit's login has no password until they choose one (tests/distributors/test_invitation.py).
    assert (nina.user.username, nina.user.has_usable_password()) == ("nina@example.nl", False)


def test_enrollment_takes_no_password_for_the_recruit(net, api):
    body = {
        "first_name": "Nina",
        "last_name": "Nieuw",
        "email": "nina@example.nl",
        "password": "Molen-Tulp-88",
    }
    response = api("anna").post("/api/v1/enrollments/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "password": ["Unknown field: it cannot be set through this endpoint."]
    }
    assert not Distributor.objects.filter(email="nina@example.nl").exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"distributor": 1},
        {"status": "paid"},
        {"total": "0.01"},
        {"commission_period": "2020-01-01"},
        {"paid_at": "2020-01-01T00:00:00Z"},
        {"host_credit_redeemed": "50.00"},
        {"number": "BO-1"},
    ],
)
def test_order_create_refuses_amounts_status_and_periods(net, api, extra):
    body = {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": 1}], **extra}
    before = Order.objects.count()
    response = api("anna").post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(extra)
    assert Order.objects.count() == before


def test_unknown_fields_in_nested_lines_are_refused(net, api):
    body = {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": 1, "unit_price": "0.01"}]}
    response = api("anna").post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "lines.0.unit_price": ["Unknown field: it cannot be set through this endpoint."]
    }


def test_return_refuses_a_refund_amount_or_date(net, api):
    owned = net.owned["anna"]
    line = owned.paid_order.lines.get()
    body = {
        "lines": [{"order_line": line.pk, "quantity": 1}],
        "refund_amount": "999.00",
        "refunded_at": "2020-01-01",
    }
    response = api("anna").post(f"/api/v1/orders/{owned.paid_order.pk}/returns/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"refund_amount", "refunded_at"}


def test_customer_update_cannot_move_the_customer_or_change_the_email(net, api):
    guest = net.owned["anna"].guest
    response = api("anna").patch(
        f"/api/v1/customers/{guest.pk}/", {"distributor": net.bert.pk, "email": "x@example.nl"}, format="json"
    )
    assert response.status_code == 400
    guest.refresh_from_db()
    assert (guest.distributor_id, guest.email) == (net.anna.pk, "gijs.anna@example.nl")


def test_customer_update_changes_what_it_may(net, api):
    guest = net.owned["anna"].guest
    response = api("anna").patch(
        f"/api/v1/customers/{guest.pk}/", {"phone": "+31 6 1111 2222", "kind": "preferred"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["phone"], response.json()["kind"]) == ("+31 6 1111 2222", "preferred")
    assert Customer.objects.get(pk=guest.pk).phone == "+31 6 1111 2222"


# --- One error format.


def test_business_rule_refusal_is_400_with_the_field(net, api):
    body = {"purpose": "inventory", "lines": [{"product": "NOPE-9", "quantity": 1}]}
    response = api("anna").post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Line 1: unknown product 'NOPE-9'.",
            "fields": {"lines": ["Line 1: unknown product 'NOPE-9'."]},
        }
    }


def test_state_conflict_is_409(net, api):
    order = net.owned["anna"].paid_order
    response = api("anna").post(f"/api/v1/orders/{order.pk}/pay/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "not pending" in response.json()["error"]["message"]


def test_malformed_json_is_400(net, api):
    response = api("anna").generic("POST", "/api/v1/orders/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_other_media_types_are_415(net, api):
    response = api("anna").post("/api/v1/orders/", "purpose=inventory", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_list_instead_of_an_object_is_400(net, api):
    response = api("anna").post("/api/v1/orders/", [1, 2], format="json")
    assert response.status_code == 400


def test_huge_ids_and_bad_filters_are_400_or_404_never_500(net, api):
    anna = api("anna")
    assert anna.get("/api/v1/orders/99999999999999999999/").status_code == 404
    assert anna.get("/api/v1/orders/?period=2026-13").status_code == 400
    assert anna.get("/api/v1/orders/?status=lost").status_code == 400
    assert anna.get("/api/v1/orders/?customer=abc").status_code == 400
    assert anna.get("/api/v1/downline/?max_depth=0").status_code == 400
    assert anna.get("/api/v1/orders/?colour=red").status_code == 400


# --- Pagination.


def test_page_size_is_capped_at_100(net, api):
    response = api("root").get("/api/v1/downline/?page_size=10000")
    assert response.status_code == 200
    assert response.json()["page_size"] == 100


def test_pages_walk_the_downline(net, api):
    first = api("root").get("/api/v1/downline/?page_size=4").json()
    assert (first["count"], len(first["results"])) == (6, 4)
    second = api("root").get(first["next"]).json()
    assert [row["first_name"] for row in second["results"]] == ["Bert", "Bob"]
    assert second["next"] is None
    # The downline pages by cursor (tests/api/test_downline.py): a page number is refused.
    assert api("root").get("/api/v1/downline/?page=9").status_code == 400


# --- ETags.


def test_me_answers_304_while_unchanged(net, api):
    anna = api("anna")
    first = anna.get("/api/v1/me/")
    etag = first["ETag"]
    same = anna.get("/api/v1/me/", HTTP_IF_NONE_MATCH=etag)
    assert same.status_code == 304
    assert same.content == b""
    api("anna").post(
        "/api/v1/enrollments/",
        {"first_name": "Nina", "last_name": "N", "email": "nina@example.nl"},
        format="json",
    )
    changed = anna.get("/api/v1/me/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["frontline_count"] == 2


def test_order_detail_etag_changes_when_the_order_does(net, api):
    order = net.owned["anna"].pending_order
    anna = api("anna")
    etag = anna.get(f"/api/v1/orders/{order.pk}/")["ETag"]
    assert anna.get(f"/api/v1/orders/{order.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    anna.post(f"/api/v1/orders/{order.pk}/pay/")
    paid = anna.get(f"/api/v1/orders/{order.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"


# --- Throttling.


def test_requests_per_user_are_throttled(net, api, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    anna = api("anna")
    answers = [anna.get("/api/v1/me/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    throttled = anna.get("/api/v1/me/")
    assert throttled.json()["error"]["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    # Another user has their own budget.
    assert api("bert").get("/api/v1/me/").status_code == 200


# --- The schema.


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/me/", "/api/v1/downline/{member_id}/", "/api/v1/orders/{order_id}/returns/"):
        assert path in text


def test_schema_and_docs_are_served(net, api):
    assert api(None).get("/api/v1/schema/").status_code == 200
    assert api(None).get("/api/v1/docs/").status_code == 200


def test_every_endpoint_wants_a_distributor(net, api):
    """Walk the schema: anonymous callers get 401 and staff without a distributor profile 403,
    on every operation (the auth endpoints aside)."""
    paths = api(None).get("/api/v1/schema/?format=json").json()["paths"]
    checked = 0
    for template, operations in paths.items():
        if template.startswith("/api/v1/auth/"):
            continue
        path = template
        ids = ("member_id", "customer_id", "order_id", "demonstration_id", "request_id", "subscription_id")
        for name in ids:
            path = path.replace("{" + name + "}", "1")
        path = path.replace("{period}", "2026-10")
        for method in operations:
            anonymous = getattr(api(None), method)(path, {}, format="json")
            staff = getattr(api("admin"), method)(path, {}, format="json")
            assert (anonymous.status_code, staff.status_code) == (401, 403), (method, path)
            checked += 1
    assert checked >= 30


@pytest.mark.parametrize("period", ["0000-01", "2026-1", "202610", "x", "1999-12", "2100-01"])
def test_impossible_periods_are_client_errors(net, api, period):
    assert api("anna").get(f"/api/v1/orders/?period={period}").status_code == 400
    assert api("anna").get(f"/api/v1/statements/{period}/").status_code == 404


def test_far_periods_are_just_empty(net, api):
    assert api("anna").get("/api/v1/orders/?period=2099-12").json()["count"] == 0
    assert api("anna").get("/api/v1/orders/?period=9999-12").status_code == 400
    assert api("anna").get("/api/v1/statements/9999-12/").status_code == 404


@pytest.mark.parametrize(
    ("who", "path", "most"),
    [
        ("root", "/api/v1/downline/?page_size=100", 5),
        ("anna", "/api/v1/me/", 12),
        ("anna", "/api/v1/customers/", 4),
        ("anna", "/api/v1/orders/", 4),
        ("anna", "/api/v1/demonstrations/", 4),
        ("anna", "/api/v1/buyback-requests/", 7),
    ],
)
def test_pages_take_a_fixed_number_of_queries(net, api, who, path, most, django_assert_max_num_queries):
    client = api(who)
    with django_assert_max_num_queries(most):
        response = client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/customers/%F3%B2%0A%C3%BD/", "/api/v1/me"])
def test_unknown_paths_are_json_404(net, api, path):
    response = api("anna").get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
