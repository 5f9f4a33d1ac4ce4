"""Inventory buy-back: eligible units, the refund, requests, decisions, and the race of two approvals."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import ApplicationError, Conflict, PermissionDenied
from core.models import AuditEntry
from distributors.models import DistributorStatus
from orders.models import BuybackLine, BuybackRequest, BuybackStatus, OrderStatus, Return, ReturnKind
from orders.selectors.buyback import buyback_request_view, buyback_requests_of, buyback_terms, buyback_units
from orders.services.buyback import (
    buyback_request_create,
    buyback_request_decide,
    buyback_request_reject,
    buyback_request_withdraw,
)
from orders.services.returns import order_return
from tests.compliance.factories import make_order, make_product
from tests.distributors.factories import DistributorFactory, StaffFactory


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def setup(db, django_user_model):
    now = timezone.now()
    user = django_user_model.objects.create_user("ingrid", "ingrid@example.nl")
    sponsor = DistributorFactory(first_name="Sara", last_name="Sponsor")
    ingrid = DistributorFactory(sponsor=sponsor, first_name="Ingrid", last_name="Inventory", user=user)
    pan = make_product("PAN", wholesale="75.00")
    bowl = make_product("BOWL", wholesale="12.35")
    xmas = make_product("XMAS", wholesale="20.00", seasonal=True)
    kit = make_product("KIT", wholesale="30.00", buyback_eligible=False)
    stock = make_order(
        ingrid, "inventory", now - dt.timedelta(days=30), [(pan, 5), (bowl, 3), (xmas, 2), (kit, 1)]
    )
    own = make_order(ingrid, "personal", now - dt.timedelta(days=10), [(pan, 1, "70.00")])
    old = make_order(ingrid, "inventory", now - dt.timedelta(days=400), [(pan, 4)])
    return dict(
        now=now, user=user, sponsor=sponsor, ingrid=ingrid, pan=pan, bowl=bowl, xmas=xmas, kit=kit,
        stock=stock, own=own, old=old,
    )  # fmt: skip


def line_of(order, sku):
    return order.lines.get(sku=sku)


def test_default_terms_are_twelve_months_and_ninety_percent(db):
    terms = buyback_terms("NL")
    assert terms.window_months == 12
    assert terms.refund_share == Decimal("0.90")
    assert terms.unit_refund(Decimal("12.35")) == Decimal("11.12")  # 11.115 rounds half up


def test_per_market_terms_come_from_settings(db, settings):
    settings.BUYBACK_REFUND_SHARE_BY_COUNTRY = {"us": "0.95"}
    settings.BUYBACK_WINDOW_MONTHS_BY_COUNTRY = {"US": 6}
    assert buyback_terms("US").refund_share == Decimal("0.95")
    assert buyback_terms("US").window_months == 6
    assert buyback_terms("NL").refund_share == Decimal("0.90")


def test_eligible_units_with_refund_and_reasons(setup):
    units = {(u.order_id, u.sku): u for u in buyback_units(distributor=setup["ingrid"])}
    stock, own = setup["stock"].pk, setup["own"].pk
    # The order of 400 days ago is outside the 12-month window: not listed at all.
    assert set(units) == {(stock, "PAN"), (stock, "BOWL"), (stock, "XMAS"), (stock, "KIT"), (own, "PAN")}
    assert units[(stock, "PAN")].eligible == 5
    assert units[(stock, "PAN")].unit_refund == Decimal("67.50")
    assert units[(stock, "PAN")].refund_if_all == Decimal("337.50")
    assert units[(stock, "BOWL")].unit_refund == Decimal("11.12")
    # The refund is 90% of what was actually paid (70.00), not of the list price.
    assert units[(own, "PAN")].unit_refund == Decimal("63.00")
    assert units[(stock, "XMAS")].eligible == 0
    assert "seasonal, discontinued or promotional" in units[(stock, "XMAS")].reason
    assert units[(stock, "KIT")].eligible == 0
    assert "not a product the company buys back" in units[(stock, "KIT")].reason


def test_returned_and_requested_units_are_not_eligible_again(setup):
    ingrid, stock = setup["ingrid"], setup["stock"]
    order_return(order=stock, lines=[(line_of(stock, "PAN"), 1)], reason="damaged")
    buyback_request_create(distributor=ingrid, lines=[(line_of(stock, "PAN"), 3)], actor=setup["user"])
    pan = next(u for u in buyback_units(distributor=ingrid) if u.order_id == stock.pk and u.sku == "PAN")
    assert (pan.returned, pan.requested, pan.eligible) == (1, 3, 1)

    with pytest.raises(ApplicationError) as error:
        buyback_request_create(distributor=ingrid, lines=[(line_of(stock, "PAN"), 2)], actor=setup["user"])
    assert "2 asked, but 1 of 5 are eligible (1 returned, 3 already requested)" in error.value.message
    assert BuybackRequest.objects.count() == 1


def test_request_refuses_excluded_foreign_and_old_lines(setup):
    ingrid, stock, old = setup["ingrid"], setup["stock"], setup["old"]
    other = DistributorFactory(first_name="Olga", last_name="Other")
    foreign = make_order(other, "inventory", setup["now"] - dt.timedelta(days=5), [(setup["pan"], 1)])
    for lines in ([(line_of(stock, "XMAS"), 1)], [(line_of(foreign, "PAN"), 1)], [(line_of(old, "PAN"), 1)]):
        with pytest.raises(ApplicationError):
            buyback_request_create(distributor=ingrid, lines=lines, actor=setup["user"])
    with pytest.raises(ApplicationError, match="whole number above zero"):
        buyback_request_create(distributor=ingrid, lines=[(line_of(stock, "PAN"), 0)], actor=setup["user"])
    with pytest.raises(PermissionDenied):
        buyback_request_create(distributor=ingrid, lines=[(line_of(stock, "PAN"), 1)], actor=None)
    assert BuybackRequest.objects.count() == 0


def test_full_approval_refunds_as_a_buyback_return(setup, staff):
    ingrid, stock, own = setup["ingrid"], setup["stock"], setup["own"]
    request = buyback_request_create(
        distributor=ingrid,
        lines=[(line_of(stock, "PAN"), 2), (line_of(stock, "BOWL"), 3), (line_of(own, "PAN"), 1)],
        reason="Stopping with the business",
        actor=setup["user"],
    )
    assert request.status == BuybackStatus.REQUESTED
    assert request.refund_total == Decimal("0.00")

    decided = buyback_request_decide(request=request, approvals="all", actor=staff)

    assert decided.status == BuybackStatus.APPROVED
    assert decided.decided_by == staff
    assert decided.refund_total == Decimal("231.36")  # 2 x 67.50 + 3 x 11.12 + 63.00
    returns = {r.order_id: r for r in Return.objects.filter(kind=ReturnKind.BUYBACK)}
    assert set(returns) == {stock.pk, own.pk}
    assert returns[stock.pk].refund_amount == Decimal("168.36")
    assert returns[own.pk].refund_amount == Decimal("63.00")
    assert {(rl.order_line.sku, rl.quantity) for rl in returns[stock.pk].lines.all()} == {
        ("PAN", 2),
        ("BOWL", 3),
    }
    stock.refresh_from_db()
    own.refresh_from_db()
    assert stock.status == OrderStatus.PARTLY_RETURNED
    assert own.status == OrderStatus.RETURNED
    assert list(BuybackLine.objects.filter(request=request).values_list("approved_quantity", flat=True)) == [
        2,
        3,
        1,
    ]
    actions = list(
        AuditEntry.objects.filter(target_type="orders.buybackrequest", target_id=str(request.pk))
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [("buyback.request", setup["user"].pk), ("buyback.approve", staff.pk)]
    # Bought-back units are no longer eligible.
    pan = next(u for u in buyback_units(distributor=ingrid) if u.order_id == stock.pk and u.sku == "PAN")
    assert (pan.returned, pan.requested, pan.eligible) == (2, 0, 3)


def test_partial_approval_and_rejection_need_a_reason(setup, staff):
    ingrid, stock = setup["ingrid"], setup["stock"]
    request = buyback_request_create(
        distributor=ingrid,
        lines=[(line_of(stock, "PAN"), 4), (line_of(stock, "BOWL"), 2)],
        actor=setup["user"],
    )
    pan_line, bowl_line = request.lines.order_by("pk")
    with pytest.raises(ApplicationError, match="reason"):
        buyback_request_decide(request=request, approvals={pan_line.pk: 3}, actor=staff)
    with pytest.raises(ApplicationError, match="only 4 were asked"):
        buyback_request_decide(request=request, approvals={pan_line.pk: 5}, actor=staff, reason="x")

    decided = buyback_request_decide(
        request=request, approvals={pan_line.pk: 3}, actor=staff, reason="One pan was used"
    )
    assert decided.status == BuybackStatus.PARTLY_APPROVED
    assert decided.refund_total == Decimal("202.50")
    assert Return.objects.get(kind=ReturnKind.BUYBACK).refund_amount == Decimal("202.50")
    view = buyback_request_view(buyback_requests_of(distributor=ingrid).get())
    assert (view.status_label, view.requested_units, view.approved_units) == ("Partly approved", 6, 3)
    assert view.requested_refund == Decimal("292.24")
    assert view.decision_reason == "One pan was used"
    assert AuditEntry.objects.filter(action="buyback.partly_approve", reason="One pan was used").count() == 1

    with pytest.raises(Conflict, match="already partly approved"):
        buyback_request_decide(request=request, approvals="all", actor=staff)

    second = buyback_request_create(
        distributor=ingrid, lines=[(line_of(stock, "PAN"), 2)], actor=setup["user"]
    )
    with pytest.raises(ApplicationError, match="reason"):
        buyback_request_reject(request=second, actor=staff, reason=" ")
    rejected = buyback_request_reject(request=second, actor=staff, reason="Opened and used")
    assert rejected.status == BuybackStatus.REJECTED
    assert rejected.refund_total == Decimal("0.00")
    assert Return.objects.filter(kind=ReturnKind.BUYBACK).count() == 1


def test_only_staff_decide(setup):
    request = buyback_request_create(
        distributor=setup["ingrid"], lines=[(line_of(setup["stock"], "PAN"), 1)], actor=setup["user"]
    )
    with pytest.raises(PermissionDenied):
        buyback_request_decide(request=request, approvals="all", actor=setup["user"])


def test_withdraw_frees_the_units(setup, staff):
    ingrid, stock = setup["ingrid"], setup["stock"]
    request = buyback_request_create(
        distributor=ingrid, lines=[(line_of(stock, "PAN"), 5)], actor=setup["user"]
    )
    buyback_request_withdraw(request=request, actor=setup["user"], reason="Sold them after all")
    request.refresh_from_db()
    assert request.status == BuybackStatus.WITHDRAWN
    with pytest.raises(Conflict):
        buyback_request_decide(request=request, approvals="all", actor=staff)
    pan = next(u for u in buyback_units(distributor=ingrid) if u.order_id == stock.pk and u.sku == "PAN")
    assert pan.eligible == 5
    assert AuditEntry.objects.filter(action="buyback.withdraw", reason="Sold them after all").count() == 1


def test_a_return_after_the_request_refuses_the_approval(setup, staff):
    ingrid, stock = setup["ingrid"], setup["stock"]
    request = buyback_request_create(
        distributor=ingrid, lines=[(line_of(stock, "BOWL"), 3)], actor=setup["user"]
    )
    order_return(order=stock, lines=[(line_of(stock, "BOWL"), 1)], reason="broken")
    with pytest.raises(Conflict, match="3 to approve, but only 2"):
        buyback_request_decide(request=request, approvals="all", actor=staff)
    request.refresh_from_db()
    assert request.status == BuybackStatus.REQUESTED
    assert Return.objects.filter(kind=ReturnKind.BUYBACK).count() == 0


def test_approval_with_termination_terminates(setup, staff):
    ingrid, stock = setup["ingrid"], setup["stock"]
    request = buyback_request_create(
        distributor=ingrid,
        lines=[(line_of(stock, "PAN"), 5)],
        with_termination=True,
        reason="I am leaving",
        actor=setup["user"],
    )
    buyback_request_decide(request=request, approvals="all", actor=staff)
    ingrid.refresh_from_db()
    assert ingrid.status == DistributorStatus.TERMINATED
    assert AuditEntry.objects.filter(action="buyback.approve").count() == 1


def test_rejection_with_termination_does_not_terminate(setup, staff):
    ingrid, stock = setup["ingrid"], setup["stock"]
    request = buyback_request_create(
        distributor=ingrid, lines=[(line_of(stock, "PAN"), 5)], with_termination=True, actor=setup["user"]
    )
    buyback_request_reject(request=request, actor=staff, reason="Not resaleable")
    ingrid.refresh_from_db()
    assert ingrid.status == DistributorStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_two_approvals_of_the_same_units_at_once_one_wins(django_user_model):
    now = timezone.now()
    staff_a = StaffFactory(username="staff-a")
    staff_b = StaffFactory(username="staff-b")
    ingrid = DistributorFactory(first_name="Ingrid", last_name="Race")
    pan = make_product("PAN")
    stock = make_order(ingrid, "inventory", now - dt.timedelta(days=20), [(pan, 3)])
    line = stock.lines.get()
    # Two requests for the same three units (as if both were recorded before the guard existed).
    requests = []
    for _ in range(2):
        request = BuybackRequest.objects.create(distributor=ingrid)
        BuybackLine.objects.create(request=request, order_line=line, quantity=3, unit_refund=Decimal("67.50"))
        requests.append(request)

    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def approve(request, actor):
        try:
            barrier.wait()
            buyback_request_decide(request=request.pk, approvals="all", actor=actor)
            outcomes[request.pk] = "approved"
        except Conflict as error:
            outcomes[request.pk] = f"refused: {error.message}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(r, a))
        for r, a in zip(requests, (staff_a, staff_b), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(o.split(":")[0] for o in outcomes.values()) == ["approved", "refused"]
    refused = next(o for o in outcomes.values() if o.startswith("refused"))
    assert "3 to approve, but only 0 are not returned or bought back yet" in refused
    assert Return.objects.filter(kind=ReturnKind.BUYBACK).count() == 1
    assert sum(rl.quantity for rl in line.return_lines.all()) == 3
    statuses = sorted(BuybackRequest.objects.values_list("status", flat=True))
    assert statuses == [BuybackStatus.APPROVED, BuybackStatus.REQUESTED]
