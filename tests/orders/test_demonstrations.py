"""Home demonstrations, compensation-plan §7 and worked example S3."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone, translation

from core.errors import ApplicationError, Conflict
from orders.models import Demonstration, DemonstrationStatus, HostCredit, OrderStatus
from orders.rules import OrderRules, host_rewards
from orders.selectors.demonstrations import demonstration_summary
from orders.services import (
    demonstration_add_guest,
    demonstration_cancel,
    demonstration_close,
    demonstration_plan,
    order_cancel,
    order_create,
    order_pay,
)

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def host(consultant):
    return CustomerFactory(distributor=consultant, first_name="Hanna", last_name="Host")


@pytest.fixture
def demo(consultant, host):
    return demonstration_plan(
        consultant=consultant, host=host, held_at=timezone.now() - dt.timedelta(days=2), place="Utrecht"
    )


def party_order(demo, customer, product, quantity=1):
    return order_create(
        distributor=demo.consultant,
        purpose="customer",
        customer=customer,
        demonstration=demo,
        lines=[(product, quantity)],
    )


@pytest.fixture
def s3(demo, consultant, host, product_at):
    """S3: four guests pay 120 + 80 + 150 + 60 = 410, the host pays 90."""
    orders = {}
    for price in ("120", "80", "150", "60"):
        guest = CustomerFactory(distributor=consultant)
        demonstration_add_guest(demonstration=demo, customer=guest)
        orders[price] = party_order(demo, guest, product_at(price))
    orders["host"] = party_order(demo, host, product_at("90"))
    return orders


@pytest.mark.parametrize(
    ("qps", "credit", "items"),
    [
        ("500", "75.00", 2),
        ("350", "35.00", 1),
        ("199.99", "0.00", 0),
        ("200", "20.00", 0),
        ("999.99", "150.00", 3),
        ("1000", "200.00", 4),
        ("2500", "500.00", 4),
        ("333.35", "33.34", 1),
    ],
)
def test_host_rewards_follow_the_tiers_on_the_whole_qps(qps, credit, items):
    assert host_rewards(Decimal(qps), OrderRules()) == (Decimal(credit), items)


def test_s3_qps_500_earns_75_of_host_credit_and_2_half_price_items(demo, s3):
    summary = demonstration_summary(demonstration=demo)
    assert (summary.qps, summary.host_credit, summary.half_price_items) == (
        Decimal("500.00"),
        Decimal("75.00"),
        2,
    )
    closed = demonstration_close(demonstration=demo)
    voucher = HostCredit.objects.get(demonstration=demo)
    assert closed.qps == Decimal("500.00")
    assert (voucher.amount, voucher.half_price_items, voucher.host_id) == (Decimal("75.00"), 2, demo.host_id)
    assert voucher.expires_at == closed.closed_at + dt.timedelta(days=60)


def test_s3_the_150_order_cancelled_before_the_close_leaves_qps_350(demo, s3):
    order_cancel(order=s3["150"], reason="guest withdrew")
    summary = demonstration_summary(demonstration=demo)
    assert (summary.qps, summary.host_credit, summary.half_price_items) == (
        Decimal("350.00"),
        Decimal("35.00"),
        1,
    )
    demonstration_close(demonstration=demo)
    voucher = HostCredit.objects.get(demonstration=demo)
    assert (voucher.amount, voucher.half_price_items) == (Decimal("35.00"), 1)


def test_party_orders_stay_pending_until_the_close_then_count_at_the_close(demo, s3):
    order_pay(order=s3["120"], paid_at=timezone.now() - dt.timedelta(days=2))
    s3["120"].refresh_from_db()
    assert s3["120"].status == OrderStatus.PENDING and s3["120"].paid_at is not None
    assert s3["120"].commission_date is None
    closed = demonstration_close(demonstration=demo)
    for order in s3.values():
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert order.commission_date == closed.closed_at
    assert s3["120"].paid_at < closed.closed_at


def test_a_demonstration_closes_once_and_takes_no_orders_after(demo, s3, host, product):
    demonstration_close(demonstration=demo)
    with pytest.raises(Conflict, match="already closed"):
        demonstration_close(demonstration=demo)
    with pytest.raises(Conflict, match="takes no more orders"):
        party_order(demo, host, product)


def test_a_demonstration_must_be_closed_within_30_days(consultant, host, product):
    demo = demonstration_plan(
        consultant=consultant,
        host=host,
        held_at=timezone.now() - dt.timedelta(days=31),
        video_link="https://meet.example/abc",
    )
    with pytest.raises(Conflict, match="within 30 days of being held"):
        demonstration_close(demonstration=demo)
    assert demonstration_close(demonstration=demo, at=demo.held_at + dt.timedelta(days=30)).status == "closed"


@pytest.mark.parametrize(
    ("language", "held", "deadline", "closed"),
    [
        ("en", "March 4, 2026", "April 3, 2026, 11:30 a.m.", "May 7, 2026"),
        ("nl", "4 maart 2026", "3 april 2026 11:30", "7 mei 2026"),
    ],
)
def test_window_messages_show_dates_in_the_readers_format(consultant, host, language, held, deadline, closed):
    demo = demonstration_plan(
        consultant=consultant, host=host, held_at=timezone.now() - dt.timedelta(days=2), place="Utrecht"
    )
    # Held 4 March 2026 09:30 UTC (10:30 in Amsterdam): closable until 3 April, 11:30 summer time.
    Demonstration.objects.filter(pk=demo.pk).update(held_at=dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC))
    with translation.override(language), pytest.raises(Conflict) as too_late:
        demonstration_close(demonstration=demo)
    assert f" {held} " in too_late.value.message and f" {deadline}" in too_late.value.message
    Demonstration.objects.filter(pk=demo.pk).update(
        status=DemonstrationStatus.CLOSED, closed_at=dt.datetime(2026, 5, 6, 22, 30, tzinfo=dt.UTC)
    )  # 6 May in UTC, 7 May 00:30 in Amsterdam: the company's day is shown
    with translation.override(language), pytest.raises(Conflict) as again:
        demonstration_close(demonstration=demo)
    assert f" {closed}" in again.value.message
    assert "2026-" not in too_late.value.message + again.value.message


def test_a_demonstration_is_not_closed_before_it_is_held(consultant, host):
    demo = demonstration_plan(
        consultant=consultant, host=host, held_at=timezone.now() + dt.timedelta(days=3), place="Delft"
    )
    with pytest.raises(ApplicationError, match="before it is held"):
        demonstration_close(demonstration=demo)


def test_planning_needs_a_host_of_the_consultant_and_a_place(consultant, host):
    with pytest.raises(ApplicationError, match="place or a video link"):
        demonstration_plan(consultant=consultant, host=host, held_at=timezone.now())
    with pytest.raises(ApplicationError, match="customer of another distributor"):
        demonstration_plan(consultant=consultant, host=CustomerFactory(), held_at=timezone.now(), place="x")


def test_a_guest_of_another_distributor_is_refused(demo):
    with pytest.raises(ApplicationError, match="another distributor"):
        demonstration_add_guest(demonstration=demo, customer=CustomerFactory())


def test_an_order_at_a_demonstration_adds_the_customer_as_guest(demo, consultant, product):
    guest = CustomerFactory(distributor=consultant)
    party_order(demo, guest, product)
    assert list(demo.guests.values_list("customer_id", flat=True)) == [guest.pk]


def closed_with_voucher(demo, s3):
    demonstration_close(demonstration=demo)
    return HostCredit.objects.get(demonstration=demo)


def test_host_credit_is_redeemed_once_and_carries_no_volume(demo, s3, host, product_at):
    voucher = closed_with_voucher(demo, s3)
    pan = product_at("100", sku="PAN")
    order = order_create(
        distributor=demo.consultant, purpose="customer", customer=host, lines=[(pan, 1)], host_credit=voucher
    )
    line = order.lines.get()
    # 100.00 list, 75.00 credit: 25.00 paid, so a quarter of the 100 QV/CV.
    assert (line.unit_price, line.unit_qv, line.unit_cv) == (
        Decimal("25.00"),
        Decimal("25.0000"),
        Decimal("25.0000"),
    )
    assert order.host_credit_redeemed == Decimal("75.00")
    voucher.refresh_from_db()
    assert voucher.redeemed_order == order
    with pytest.raises(Conflict, match="already redeemed"):
        order_create(
            distributor=demo.consultant,
            purpose="customer",
            customer=host,
            lines=[(pan, 1)],
            host_credit=voucher,
        )


def test_half_price_items_carry_volume_on_the_paid_half(demo, s3, host, product_at):
    voucher = closed_with_voucher(demo, s3)
    pot = product_at("150", sku="POT", qv=Decimal("75"), cv=Decimal("12.50"))
    order = order_create(
        distributor=demo.consultant,
        purpose="customer",
        customer=host,
        lines=[(pot, 3)],
        host_credit=voucher,
        half_price_lines=[(pot, 2)],
    )
    totals = order.lines.aggregate(
        paid=Sum(F("quantity") * F("unit_price")),
        qv=Sum(F("quantity") * F("unit_qv")),
        cv=Sum(F("quantity") * F("unit_cv")),
    )
    # 150 + 2 x 75 = 300 before credit; 75 credit leaves 225 to pay, 3/4 of the volumes.
    assert totals["paid"] == Decimal("225.00")
    assert totals["qv"] == Decimal("112.5")  # (75 + 2 x 37.5) x 225/300
    assert totals["cv"] == Decimal("18.75")
    half = order.lines.filter(half_price=True)
    assert sum(line.quantity for line in half) == 2
    assert all(line.unit_list_price == Decimal("150.00") for line in half)


def test_half_price_without_credit_used_halves_price_and_volumes(consultant, product_at):
    host = CustomerFactory(distributor=consultant)
    voucher = HostCredit.objects.create(
        demonstration=demonstration_plan(consultant=consultant, host=host, held_at=timezone.now(), place="x"),
        host=host,
        amount=Decimal("0"),
        half_price_items=1,
        issued_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=60),
    )
    pot = product_at("99.99", sku="ODD", qv=Decimal("75"), cv=Decimal("12.50"))
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=host,
        lines=[(pot, 2)],
        host_credit=voucher,
        half_price_lines=[(pot, 1)],
    )
    full, half = order.lines.order_by("half_price")
    assert (full.quantity, full.unit_price, full.unit_qv) == (1, Decimal("99.99"), Decimal("75.0000"))
    assert (half.quantity, half.unit_price, half.unit_qv, half.unit_cv) == (
        1,
        Decimal("50.00"),
        Decimal("37.5000"),
        Decimal("6.2500"),
    )


def test_spread_credit_is_exact_to_the_cent_by_splitting_lines(demo, s3, host, product_at):
    voucher = closed_with_voucher(demo, s3)  # 75.00
    cup = product_at("10.00", sku="CUP")
    lid = product_at("3.33", sku="LID")
    order = order_create(
        distributor=demo.consultant,
        purpose="customer",
        customer=host,
        lines=[(cup, 7), (lid, 3)],
        host_credit=voucher,
    )
    paid = order.lines.aggregate(s=Sum(F("quantity") * F("unit_price")))["s"]
    assert paid == Decimal("79.99") - Decimal("75.00")
    assert sum(line.quantity for line in order.lines.all()) == 10


def test_credit_above_the_order_is_capped_at_the_order(demo, s3, host, product_at):
    voucher = closed_with_voucher(demo, s3)
    spoon = product_at("20.00", sku="SPOON")
    order = order_create(
        distributor=demo.consultant,
        purpose="customer",
        customer=host,
        lines=[(spoon, 1)],
        host_credit=voucher,
    )
    line = order.lines.get()
    assert (order.host_credit_redeemed, line.unit_price, line.unit_qv) == (
        Decimal("20.00"),
        Decimal("0.00"),
        0,
    )


def test_an_expired_voucher_and_someone_elses_are_refused(demo, s3, host, consultant, product):
    voucher = closed_with_voucher(demo, s3)
    with pytest.raises(ApplicationError, match="only the host can redeem"):
        order_create(
            distributor=consultant,
            purpose="customer",
            customer=CustomerFactory(distributor=consultant),
            lines=[(product, 1)],
            host_credit=voucher,
        )
    HostCredit.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ApplicationError, match="expired"):
        order_create(
            distributor=consultant,
            purpose="customer",
            customer=host,
            lines=[(product, 1)],
            host_credit=voucher,
        )


def test_too_many_half_price_items_are_refused(demo, s3, host, product):
    voucher = closed_with_voucher(demo, s3)
    with pytest.raises(ApplicationError, match="gives 2 half-price item"):
        order_create(
            distributor=demo.consultant,
            purpose="customer",
            customer=host,
            lines=[(product, 3)],
            host_credit=voucher,
            half_price_lines=[(product, 3)],
        )


def test_a_demonstration_order_is_always_cancellable_within_cooling_off(demo, s3):
    demonstration_close(demonstration=demo, at=demo.held_at + dt.timedelta(hours=3))
    order = order_cancel(order=s3["80"], reason="cooling-off")
    assert order.status == OrderStatus.CANCELLED
    refund = order.returns.get()
    assert (refund.kind, refund.refund_amount) == ("cancellation", Decimal("80.00"))


def test_cooling_off_of_a_demonstration_order_runs_from_the_close(consultant, host, product):
    demo = demonstration_plan(
        consultant=consultant, host=host, held_at=timezone.now() - dt.timedelta(days=20), place="Zeist"
    )
    order = party_order(demo, CustomerFactory(distributor=consultant), product)
    type(order).objects.filter(pk=order.pk).update(created_at=demo.held_at)  # taken at the party
    demonstration_close(demonstration=demo, at=demo.held_at + dt.timedelta(days=5))  # 15 days ago
    with pytest.raises(Conflict, match="can now only be returned"):
        order_cancel(order=order)


def test_booking_a_next_demonstration_from_a_guest(demo, s3, consultant):
    guest = demo.guests.first().customer
    booked = demonstration_plan(
        consultant=consultant,
        host=guest,
        held_at=timezone.now() + dt.timedelta(days=7),
        place="Amersfoort",
        booked_from=demo,
    )
    assert booked.booked_from == demo and list(demo.bookings.all()) == [booked]
    guest.refresh_from_db()
    assert guest.kind == "host"
    with pytest.raises(ApplicationError, match="was not a guest"):
        demonstration_plan(
            consultant=consultant,
            host=CustomerFactory(distributor=consultant),
            held_at=timezone.now(),
            place="x",
            booked_from=demo,
        )


def test_cancelling_a_demonstration_cancels_its_pending_orders(demo, s3):
    demonstration_cancel(demonstration=demo, reason="host ill")
    demo.refresh_from_db()
    assert demo.status == DemonstrationStatus.CANCELLED
    assert {o.status for o in demo.orders.all()} == {OrderStatus.CANCELLED}


def test_an_order_at_a_demonstration_is_credited_to_its_consultant_when_nobody_is_named(demo, host, product):
    order = order_create(purpose="customer", customer=host, demonstration=demo, lines=[(product, 1)])
    assert order.distributor == demo.consultant


def test_an_order_without_distributor_or_demonstration_is_refused(host, product):
    with pytest.raises(ApplicationError, match="Name the distributor credited with the order"):
        order_create(purpose="customer", customer=host, lines=[(product, 1)])


# --- The window a demonstration may be planned in: not before the open period, a year ahead at most.


@pytest.mark.parametrize(
    "held_at",
    [
        dt.datetime(9999, 12, 31, 20, 0, tzinfo=dt.UTC),  # saved, then answered 500 forever
        dt.datetime(1, 1, 1, 12, 0, tzinfo=dt.UTC),
        "a year and a day",
        "before the month of 30 days ago",
    ],
)
def test_a_demonstration_outside_the_window_is_refused_on_held_at(consultant, host, held_at):
    now = timezone.now()
    if held_at == "a year and a day":
        held_at = now + dt.timedelta(days=366)
    elif held_at == "before the month of 30 days ago":
        start = timezone.localtime(now - dt.timedelta(days=30)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        held_at = start - dt.timedelta(minutes=1)
    with pytest.raises(ApplicationError) as refused:
        demonstration_plan(consultant=consultant, host=host, held_at=held_at, place="Utrecht")
    assert refused.value.field == "held_at"
    assert "up to a year ahead" in refused.value.message
    assert not consultant.demonstrations.exists()


def test_a_demonstration_inside_the_window_is_planned(consultant, host):
    now = timezone.now()
    for held_at in (now - dt.timedelta(days=29), now + dt.timedelta(days=364)):
        demonstration_plan(consultant=consultant, host=host, held_at=held_at, place="Utrecht")
    assert consultant.demonstrations.count() == 2


def test_a_demonstration_is_not_planned_in_a_closed_or_closing_period(consultant, host):
    from core.periods import period_of, previous_period
    from plans.models import Period

    now = timezone.now()
    current = period_of(now)
    Period.objects.create(start=previous_period(current), status="closing")
    start_of_current = timezone.make_aware(dt.datetime(current.year, current.month, 1))
    with pytest.raises(ApplicationError) as refused:
        demonstration_plan(
            consultant=consultant, host=host, held_at=start_of_current - dt.timedelta(minutes=1), place="x"
        )
    assert refused.value.field == "held_at"
    demonstration_plan(consultant=consultant, host=host, held_at=start_of_current, place="x")
    assert consultant.demonstrations.count() == 1


def test_the_admin_refuses_a_demonstration_outside_the_window_on_its_form(
    client, admin_user, consultant, host, settings
):
    from django.urls import reverse

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:orders_demonstration_add"),
        {
            "consultant": consultant.pk,
            "host": host.pk,
            "held_at_0": "9999-12-31",
            "held_at_1": "20:00:00",
            "place": "Utrecht",
        },
    )
    assert response.status_code == 200
    assert "up to a year ahead" in response.content.decode()
    assert not consultant.demonstrations.exists()
