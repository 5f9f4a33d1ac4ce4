"""Portal: Buy-back. anna's paid inventory order has 3 units of MIX-1 (75.00 each, 90% back:
67.50 a unit) and one of them is in her pending request already (tests/api/conftest.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.models import AuditEntry
from orders.models import BuybackRequest, BuybackStatus

pytestmark = pytest.mark.django_db


def _line(net):
    return net.owned["anna"].paid_order.lines.get()


def test_the_page_lists_eligible_units_with_the_refund_and_explains_the_right(portal, net):
    response = portal("anna").get("/portal/buyback/")
    assert response.status_code == 200
    units = response.context["units"]
    assert [(u.sku, u.quantity, u.requested, u.eligible, u.unit_refund) for u in units] == [
        ("MIX-1", 3, 1, 2, Decimal("67.50"))
    ]
    body = response.content.decode()
    assert "in the last 12 months" in body and "90%" in body and "clawback" in body
    assert f'name="units_{_line(net).pk}"' in body
    assert [r["view"].id for r in response.context["requests"]] == [net.owned["anna"].buyback.pk]


def test_the_page_in_dutch_formats_money_the_dutch_way(portal):
    client = portal("anna")
    client.cookies["django_language"] = "nl"
    body = client.get("/portal/buyback/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "67,50" in body


def test_a_request_is_sent_as_the_api_would_and_shown(portal, net):
    line = _line(net)
    response = portal("anna").post(
        "/portal/buyback/", {f"units_{line.pk}": "2", "reason": "Too much stock", "with_termination": ""}
    )
    created = BuybackRequest.objects.filter(distributor=net.anna).order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == f"/portal/buyback/{created.pk}/"
    assert (created.status, created.reason, created.with_termination) == (
        "requested",
        "Too much stock",
        False,
    )
    assert [(b.order_line_id, b.quantity, b.unit_refund) for b in created.lines.all()] == [
        (line.pk, 2, Decimal("67.50"))
    ]
    assert AuditEntry.objects.filter(action="buyback.request", target_id=str(created.pk)).exists()
    page = portal("anna").get(response["Location"])
    assert page.status_code == 200
    assert page.context["view"].requested_refund == Decimal("135.00")


def test_more_units_than_eligible_is_a_field_error_and_nothing_is_written(portal, net):
    line = _line(net)
    before = BuybackRequest.objects.count()
    response = portal("anna").post("/portal/buyback/", {f"units_{line.pk}": "3", "reason": "keep me"})
    assert response.status_code == 400
    assert response.context["form"].errors[f"units_{line.pk}"]
    assert response.context["form"]["reason"].value() == "keep me"
    assert BuybackRequest.objects.count() == before


def test_nothing_chosen_is_a_form_error(portal, net):
    before = BuybackRequest.objects.count()
    response = portal("anna").post("/portal/buyback/", {f"units_{_line(net).pk}": "0"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert BuybackRequest.objects.count() == before


def test_a_refusal_of_the_service_lands_on_the_form(portal, net, monkeypatch):
    # Units that became ineligible between the page and the submit: the service refuses.
    from core.errors import ApplicationError
    from orders.services import buyback as buyback_services

    def refuse(**kwargs):
        raise ApplicationError("MIX-1 (order X): 2 asked, but 0 of 3 are eligible.", field="lines")

    monkeypatch.setattr(buyback_services, "buyback_request_create", refuse)
    line = _line(net)
    response = portal("anna").post("/portal/buyback/", {f"units_{line.pk}": "2", "reason": "typed"})
    assert response.status_code == 400
    assert "0 of 3 are eligible" in str(response.context["form"].non_field_errors())
    assert response.context["form"]["reason"].value() == "typed"


def test_withdraw_while_requested(portal, net):
    request = net.owned["anna"].buyback
    client = portal("anna")
    assert "Withdraw" in client.get(f"/portal/buyback/{request.pk}/").content.decode()
    response = client.post(f"/portal/buyback/{request.pk}/withdraw/", {"reason": "changed my mind"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == BuybackStatus.WITHDRAWN
    # Withdrawn: no second withdrawal, the page says so and shows no form.
    again = client.post(f"/portal/buyback/{request.pk}/withdraw/", follow=True)
    assert "already withdrawn" in again.content.decode()
    assert again.context["withdraw_form"] is None


def test_the_decision_is_shown(portal, net):
    from orders.services.buyback import buyback_request_decide

    request = net.owned["anna"].buyback
    buyback_request_decide(request=request, approvals={}, actor=net.admin, reason="Opened packaging")
    body = portal("anna").get(f"/portal/buyback/{request.pk}/").content.decode()
    assert "Rejected" in body and "Opened packaging" in body


def test_another_distributors_request_is_404(portal, net):
    berts = net.owned["bert"].buyback
    client = portal("anna")
    assert client.get(f"/portal/buyback/{berts.pk}/").status_code == 404
    assert client.post(f"/portal/buyback/{berts.pk}/withdraw/").status_code == 404
    berts.refresh_from_db()
    assert berts.status == BuybackStatus.REQUESTED


def test_another_distributors_line_cannot_be_asked_for(portal, net):
    berts_line = net.owned["bert"].paid_order.lines.get()
    before = BuybackRequest.objects.count()
    response = portal("anna").post("/portal/buyback/", {f"units_{berts_line.pk}": "1"})
    assert response.status_code == 400  # not a field of anna's form: nothing chosen
    assert BuybackRequest.objects.count() == before


def test_the_list_reads_a_fixed_number_of_queries(portal, net, django_assert_max_num_queries):
    client = portal("anna")
    client.get("/portal/buyback/")
    with django_assert_max_num_queries(14):
        assert client.get("/portal/buyback/").status_code == 200
