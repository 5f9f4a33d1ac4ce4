"""Demo autoships: the demo logins' own and their customers' subscriptions, their frontline's,
today's orders created by the daily task and paid by the demo collector, a skipped one, a paused
one and one whose payment failed and awaits its retry. Through the services, as a user would."""

from __future__ import annotations

import datetime as dt
from io import TextIOBase

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from distributors.models import Distributor, DistributorStatus
from orders.models import AutoshipRunStatus, Customer, Order, Product, Subscription
from orders.payments import demo_collector
from orders.services.autoship import (
    autoship_orders_create,
    autoship_payment_record,
    autoship_payments_collect,
    subscription_create,
    subscription_pause,
    subscription_skip,
)

# Consumables make sense every few weeks; the demo catalogue has them (orders.demo.CATALOGUE).
BASKETS = [
    [("SPC-MIX", 1), ("OIL-OLV", 2)],
    [("CLN-DSC", 1)],
    [("OIL-OLV", 1)],
    [("SPC-MIX", 2), ("CLN-DSC", 1)],
]


def _basket(number: int) -> list[tuple[Product, int]]:
    products = {p.sku: p for p in Product.objects.filter(is_active=True)}
    wanted = [(products.get(sku), quantity) for sku, quantity in BASKETS[number % len(BASKETS)]]
    lines = [(product, quantity) for product, quantity in wanted if product is not None]
    first = Product.objects.filter(is_active=True).order_by("sku").first()
    if not lines and first is not None:  # another catalogue: its first product
        lines = [(first, 1)]
    return lines


def seed_autoships(*, stdout: TextIOBase | None = None) -> int:
    """Seed autoships for the demo; the number of subscriptions."""
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    logins = list(
        Distributor.objects.filter(user__isnull=False, status=DistributorStatus.ACTIVE).order_by("id")[:3]
    )
    if not logins:
        return 0
    created: list[Subscription] = []
    number = 0
    for distributor in logins:
        created.append(
            subscription_create(
                distributor=distributor,
                interval_unit="months",
                interval_count=1,
                day_of_month=min(today.day + 3, 31),
                lines=_basket(number),
                start=tomorrow,
            )
        )
        number += 1
        for customer in Customer.objects.filter(distributor=distributor, household_of__isnull=True).order_by(
            "id"
        )[:4]:
            weeks = number % 2 == 0
            created.append(
                subscription_create(
                    distributor=distributor,
                    customer=customer,
                    interval_unit="weeks" if weeks else "months",
                    interval_count=4 if weeks else 1 + number % 2,
                    weekday=number % 7 if weeks else None,
                    day_of_month=None if weeks else 1 + (number * 7) % 31,
                    lines=_basket(number),
                    start=tomorrow,
                )
            )
            number += 1
        members = Distributor.objects.filter(sponsor=distributor, status=DistributorStatus.ACTIVE)
        for member in members.exclude(pk__in=[d.pk for d in logins]).order_by("id")[:3]:
            created.append(
                subscription_create(
                    distributor=member,
                    interval_unit="weeks",
                    interval_count=2,
                    weekday=number % 7,
                    lines=_basket(number),
                    start=tomorrow,
                )
            )
            number += 1

    # A skipped date and a paused autoship, on the first login's customers.
    customers_of_first = [s for s in created if s.distributor_id == logins[0].pk and s.customer_id]
    if customers_of_first:
        subscription_skip(subscription=customers_of_first[0])
    if len(customers_of_first) > 1:
        subscription_pause(subscription=customers_of_first[1])

    # Today's orders: a few autoships fall due today, as if subscribed a month ago.
    due = [s for s in created if s.status == "active" and s not in customers_of_first[:2]][::3]
    with transaction.atomic():
        Subscription.objects.filter(pk__in=[s.pk for s in due]).update(next_date=today)
    orders = autoship_orders_create(day=today)
    runs = Order.objects.filter(
        autoship_run__status=AutoshipRunStatus.ORDERED, autoship_run__scheduled_for=today
    ).order_by("id")
    failed = runs.first()
    if failed is not None:
        # The first one's payment failed: it awaits its retry (and the subscriber is told).
        autoship_payment_record(order=failed, paid=False, reason=_("Insufficient funds (demo)."))
    paid = autoship_payments_collect(collect=demo_collector)
    if stdout is not None:
        stdout.write(
            f"Seeded {len(created)} autoships; {orders} autoship orders today ({paid} collected, "
            f"{1 if failed else 0} awaiting a payment retry)."
        )
    return len(created)
