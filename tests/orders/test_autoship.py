"""Autoship: subscribing, the schedule (day-of-month clamping), skip/pause/resume/cancel, and the
daily orders, idempotent when beat fires twice."""

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import ApplicationError, Conflict
from orders.models import (
    AutoshipPaymentAttempt,
    AutoshipRun,
    AutoshipRunStatus,
    AutoshipStatus,
    Order,
    OrderPurpose,
    OrderStatus,
)
from orders.selectors.autoship import subscriptions_due_on, team_next_autoships
from orders.services.autoship import (
    autoship_orders_create,
    subscription_cancel,
    subscription_change_lines,
    subscription_change_schedule,
    subscription_create,
    subscription_pause,
    subscription_resume,
    subscription_skip,
)
from orders.services.autoship_dates import first_date, next_date_after

from .factories import CustomerFactory, DistributorFactory, ProductFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 1, 10)  # a Sunday


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The services' "today" (the company's date); orders themselves are written at the real now."""
    monkeypatch.setattr("orders.services.autoship._today", lambda: TODAY)
    return TODAY


def monthly(distributor, customer=None, day=31, lines=None, **kwargs):
    return subscription_create(
        distributor=distributor,
        customer=customer,
        interval_unit="months",
        interval_count=1,
        day_of_month=day,
        lines=lines,
        **kwargs,
    )


# --- The schedule


def test_day_31_falls_on_the_last_day_of_shorter_months():
    dates = [first_date(unit="months", weekday=None, day_of_month=31, on_or_after=dt.date(2027, 1, 11))]
    for _ in range(4):
        dates.append(
            next_date_after(unit="months", count=1, day_of_month=31, scheduled=dates[-1], day=dates[-1])
        )
    assert dates == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 31),
    ]


def test_day_29_in_a_leap_february_and_every_two_months_across_the_year():
    assert next_date_after(
        unit="months", count=1, day_of_month=29, scheduled=dt.date(2028, 1, 29), day=dt.date(2028, 1, 29)
    ) == dt.date(2028, 2, 29)
    assert next_date_after(
        unit="months", count=2, day_of_month=30, scheduled=dt.date(2027, 12, 30), day=dt.date(2027, 12, 30)
    ) == dt.date(2028, 2, 29)


def test_weeks_land_on_the_chosen_weekday():
    first = first_date(unit="weeks", weekday=2, day_of_month=None, on_or_after=dt.date(2027, 1, 11))
    assert first == dt.date(2027, 1, 13) and first.weekday() == 2
    assert next_date_after(unit="weeks", count=3, day_of_month=None, scheduled=first, day=first) == dt.date(
        2027, 2, 3
    )


def test_a_subscription_behind_by_several_intervals_moves_on_without_back_orders():
    assert next_date_after(
        unit="weeks", count=1, day_of_month=None, scheduled=dt.date(2027, 1, 1), day=dt.date(2027, 1, 20)
    ) == dt.date(2027, 1, 22)


# --- Subscribing


def test_create_a_customer_autoship_starts_on_the_first_chosen_day_after_today(consultant, customer, product):
    subscription = monthly(consultant, customer, day=5, lines=[(product, 2)])
    assert subscription.next_date == dt.date(2027, 2, 5)
    assert subscription.status == AutoshipStatus.ACTIVE
    assert [(line.product.sku, line.quantity) for line in subscription.lines.all()] == [("MIX-1", 2)]
    assert subscription.subscriber_email == customer.email
    assert subscription.subscriber_name == str(customer)


def test_own_autoship_subscriber_is_the_distributor(consultant, product):
    subscription = monthly(consultant, None, day=12, lines=[(product, 1)])
    assert subscription.is_own and subscription.next_date == dt.date(2027, 1, 12)
    assert subscription.subscriber_email == consultant.email
    assert subscription.subscriber_name == "Carla Consultant"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"interval_unit": "days"}, "interval_unit"),
        ({"interval_count": 0}, "interval_count"),
        ({"interval_count": 13}, "interval_count"),
        ({"day_of_month": 32}, "day_of_month"),
        ({"day_of_month": None}, "day_of_month"),
        ({"lines": []}, "lines"),
        ({"lines": [("NOPE", 1)]}, "lines"),
        ({"lines": [("MIX-1", 0)]}, "lines"),
        ({"lines": [("MIX-1", 1), ("MIX-1", 2)]}, "lines"),
        ({"start": TODAY}, "start"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_written(
    consultant, customer, product, changes, field
):
    params = {
        "distributor": consultant,
        "customer": customer,
        "interval_unit": "months",
        "interval_count": 1,
        "day_of_month": 5,
        "lines": [(product, 1)],
        **changes,
    }
    with pytest.raises(ApplicationError) as refused:
        subscription_create(**params)
    assert refused.value.field == field
    assert not consultant.subscriptions.exists()


def test_weeks_need_a_weekday(consultant, product):
    with pytest.raises(ApplicationError) as refused:
        subscription_create(
            distributor=consultant, interval_unit="weeks", interval_count=2, weekday=7, lines=[(product, 1)]
        )
    assert refused.value.field == "weekday"


def test_another_distributors_customer_is_refused(consultant, product):
    stranger = CustomerFactory(distributor=DistributorFactory())
    with pytest.raises(ApplicationError) as refused:
        monthly(consultant, stranger, lines=[(product, 1)])
    assert refused.value.field == "customer"


def test_an_inactive_product_is_refused(consultant, product):
    product.is_active = False
    product.save()
    with pytest.raises(ApplicationError) as refused:
        monthly(consultant, lines=[(product, 1)])
    assert refused.value.field == "lines"


# --- Changing


def test_change_products_and_day(consultant, customer, product):
    other = ProductFactory(sku="TEA-1")
    subscription = monthly(consultant, customer, day=5, lines=[(product, 2)])
    subscription_change_lines(subscription=subscription, lines=[("TEA-1", 3), (product.pk, 1)])
    assert sorted((line.product.sku, line.quantity) for line in subscription.lines.all()) == [
        ("MIX-1", 1),
        ("TEA-1", 3),
    ]
    subscription = subscription_change_schedule(
        subscription=subscription, interval_unit="weeks", interval_count=2, weekday=4
    )
    assert (subscription.next_date, subscription.day_of_month, subscription.weekday) == (
        dt.date(2027, 1, 15),
        None,
        4,
    )
    assert other.pk


def test_skip_records_the_date_and_moves_to_the_next(consultant, customer, product):
    subscription = monthly(consultant, customer, day=31, lines=[(product, 1)])
    subscription = subscription_skip(subscription=subscription)
    assert subscription.next_date == dt.date(2027, 2, 28)
    run = AutoshipRun.objects.get()
    assert (run.scheduled_for, run.status, run.order) == (
        dt.date(2027, 1, 31),
        AutoshipRunStatus.SKIPPED,
        None,
    )
    # The skipped date makes no order when its day comes.
    assert autoship_orders_create(day=dt.date(2027, 1, 31)) == 0
    assert not Order.objects.exists()


def test_pause_resume_cancel(consultant, customer, product, monkeypatch):
    subscription = monthly(consultant, customer, day=11, lines=[(product, 1)])
    subscription = subscription_pause(subscription=subscription)
    assert subscription.status == AutoshipStatus.PAUSED
    with pytest.raises(Conflict):
        subscription_pause(subscription=subscription)
    with pytest.raises(Conflict):
        subscription_skip(subscription=subscription)
    # Paused: its day passes without an order.
    assert autoship_orders_create(day=dt.date(2027, 1, 11)) == 0
    monkeypatch.setattr("orders.services.autoship._today", lambda: dt.date(2027, 1, 20))
    subscription = subscription_resume(subscription=subscription)
    assert (subscription.status, subscription.next_date) == (AutoshipStatus.ACTIVE, dt.date(2027, 2, 11))
    subscription = subscription_cancel(subscription=subscription)
    assert (subscription.status, subscription.next_date) == (AutoshipStatus.CANCELLED, None)
    for change in (subscription_cancel, subscription_resume, subscription_skip):
        with pytest.raises(Conflict):
            change(subscription=subscription)
    with pytest.raises(Conflict):
        subscription_change_lines(subscription=subscription, lines=[(product, 1)])


# --- The daily orders


def test_the_due_customer_autoship_becomes_a_pending_customer_order_at_retail(consultant, customer, product):
    subscription = monthly(consultant, customer, day=11, lines=[(product, 2)])
    assert autoship_orders_create(day=dt.date(2027, 1, 11)) == 1
    order = Order.objects.get()
    line = order.lines.get()
    assert (order.purpose, order.status, order.customer, order.distributor) == (
        OrderPurpose.CUSTOMER,
        OrderStatus.PENDING,
        customer,
        consultant,
    )
    assert (line.quantity, line.unit_price) == (2, Decimal("100.00"))
    subscription.refresh_from_db()
    assert subscription.next_date == dt.date(2027, 2, 11)
    run = AutoshipRun.objects.get()
    assert (run.scheduled_for, run.order) == (dt.date(2027, 1, 11), order)
    assert AutoshipPaymentAttempt.objects.get().number == 1


def test_own_autoship_is_a_personal_order_at_wholesale(consultant, product):
    monthly(consultant, None, day=11, lines=[(product, 1)])
    autoship_orders_create(day=dt.date(2027, 1, 11))
    order = Order.objects.get()
    assert (order.purpose, order.customer, order.lines.get().unit_price) == (
        OrderPurpose.PERSONAL,
        None,
        Decimal("75.00"),
    )


def test_beat_firing_twice_creates_one_order(consultant, customer, product):
    monthly(consultant, customer, day=11, lines=[(product, 1)])
    assert autoship_orders_create(day=dt.date(2027, 1, 11)) == 1
    assert autoship_orders_create(day=dt.date(2027, 1, 11)) == 0
    assert Order.objects.count() == 1 and AutoshipRun.objects.count() == 1


def test_a_missed_day_is_caught_up_once(consultant, customer, product):
    monthly(consultant, customer, day=11, lines=[(product, 1)])
    # Beat did not run on the 11th; the 12th orders the 11th's, once.
    assert autoship_orders_create(day=dt.date(2027, 1, 12)) == 1
    assert autoship_orders_create(day=dt.date(2027, 1, 13)) == 0
    assert AutoshipRun.objects.get().scheduled_for == dt.date(2027, 1, 11)


def test_a_product_gone_off_sale_pauses_the_autoship_with_the_reason(consultant, customer, product):
    subscription = monthly(consultant, customer, day=11, lines=[(product, 1)])
    product.is_active = False
    product.save()
    assert autoship_orders_create(day=dt.date(2027, 1, 11)) == 0
    subscription.refresh_from_db()
    assert subscription.status == AutoshipStatus.PAUSED
    assert "no longer sold" in subscription.pause_reason
    assert not Order.objects.exists()


def test_subscriptions_due_on_a_day_for_the_reminder(consultant, customer, product):
    due = monthly(consultant, customer, day=12, lines=[(product, 1)])
    monthly(consultant, None, day=13, lines=[(product, 1)])
    paused = monthly(consultant, CustomerFactory(distributor=consultant), day=12, lines=[(product, 1)])
    subscription_pause(subscription=paused)
    rows = list(subscriptions_due_on(dt.date(2027, 1, 12)))
    assert rows == [due]
    assert (rows[0].subscriber_email, rows[0].subscriber_name) == (customer.email, str(customer))


def test_team_next_autoships_lists_my_customers_and_my_frontline(consultant, customer, product):
    recruit = DistributorFactory(first_name="Fay", last_name="Frontline", sponsor=consultant)
    below = DistributorFactory(sponsor=recruit)
    monthly(consultant, customer, day=20, lines=[(product, 1)])
    monthly(recruit, None, day=15, lines=[(product, 1)])
    monthly(below, None, day=14, lines=[(product, 1)])  # not my frontline
    customers, frontline = team_next_autoships(consultant)
    assert [(row.name, row.next_date) for row in customers] == [(str(customer), dt.date(2027, 1, 20))]
    assert [(row.name, row.next_date, row.member_id) for row in frontline] == [
        ("Fay Frontline", dt.date(2027, 1, 15), recruit.pk)
    ]


def test_autoships_are_in_the_personal_data_export(consultant, customer, product):
    from privacy.selectors import customer_personal_data, distributor_personal_data

    subscription = monthly(consultant, customer, day=11, lines=[(product, 2)])
    autoship_orders_create(day=dt.date(2027, 1, 11))
    exported = customer_personal_data(customer)["autoships"]
    assert [(s["id"], s["lines"], [d["scheduled_for"] for d in s["dates"]]) for s in exported] == [
        (subscription.pk, [{"quantity": 2, "sku": "MIX-1"}], ["2027-01-11"])
    ]
    assert exported[0]["dates"][0]["payment_attempts"][0]["number"] == 1
    assert [s["id"] for s in distributor_personal_data(consultant)["autoships"]] == [subscription.pk]


# --- A date that already has a run (skipped or ordered) is never the next date again


def test_a_schedule_change_after_a_skip_passes_over_the_skipped_date(consultant, customer, product):
    subscription = monthly(consultant, customer, day=15, lines=[(product, 1)])
    subscription = subscription_skip(subscription=subscription)
    assert subscription.next_date == dt.date(2027, 2, 15)
    subscription = subscription_change_schedule(
        subscription=subscription, interval_unit="months", interval_count=2, day_of_month=15
    )
    # Not back to the skipped 15 January: the first chosen day after today without a run.
    assert subscription.next_date == dt.date(2027, 2, 15)
    assert list(subscriptions_due_on(dt.date(2027, 1, 15))) == []  # no reminder for a skipped date
    # Skipping again skips 15 February (no IntegrityError), and its day makes no order.
    subscription = subscription_skip(subscription=subscription)
    assert subscription.next_date == dt.date(2027, 4, 15)
    assert sorted(AutoshipRun.objects.values_list("scheduled_for", flat=True)) == [
        dt.date(2027, 1, 15),
        dt.date(2027, 2, 15),
    ]
    assert autoship_orders_create(day=dt.date(2027, 2, 15)) == 0


def test_resume_passes_over_a_skipped_date(consultant, customer, product):
    subscription = monthly(consultant, customer, day=15, lines=[(product, 1)])
    subscription = subscription_skip(subscription=subscription)
    subscription = subscription_pause(subscription=subscription)
    subscription = subscription_resume(subscription=subscription)
    assert subscription.next_date == dt.date(2027, 2, 15)
    subscription = subscription_skip(subscription=subscription)
    assert subscription.next_date == dt.date(2027, 3, 15)


def test_the_date_after_an_order_passes_over_a_date_skipped_before_the_schedule_changed(
    consultant, customer, product
):
    subscription = monthly(consultant, customer, day=15, lines=[(product, 1)])
    subscription = subscription_skip(subscription=subscription)  # 15 January
    subscription = subscription_skip(subscription=subscription)  # 15 February, a Monday
    subscription = subscription_change_schedule(
        subscription=subscription, interval_unit="weeks", interval_count=5, weekday=0
    )
    assert subscription.next_date == dt.date(2027, 1, 11)
    assert autoship_orders_create(day=dt.date(2027, 1, 11)) == 1
    subscription.refresh_from_db()
    # Five weeks on is the skipped 15 February: the next order is the date after it.
    assert subscription.next_date == dt.date(2027, 3, 22)


def test_skipping_a_next_date_that_already_has_a_run_moves_past_it(consultant, customer, product):
    subscription = monthly(consultant, customer, day=15, lines=[(product, 1)])
    # A stale next date (written before next dates passed over runs) that was skipped already.
    AutoshipRun.objects.create(
        subscription=subscription, scheduled_for=dt.date(2027, 1, 15), status=AutoshipRunStatus.SKIPPED
    )
    assert list(subscriptions_due_on(dt.date(2027, 1, 15))) == []  # no reminder for it
    subscription = subscription_skip(subscription=subscription)
    assert subscription.next_date == dt.date(2027, 2, 15)
    assert AutoshipRun.objects.count() == 1
