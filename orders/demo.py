"""Demo sales for the demo network: a kitchen-appliance catalogue, customers, six months of
orders, home demonstrations with host credit, and a few returns. Deterministic for a seed.

Rows are written in bulk (orders.demo_bulk), as the services would write them (copied prices
and volumes, numbers from the row id, commission dates at payment or at the demonstration's
close), so that seeding 2,000 distributors takes seconds on SQLite; the rules come from the
services themselves: the host's voucher (host_rewards, host_voucher), an order's status after a
return (status_after_return). A handful of host-credit redemptions go through order_create itself.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from io import TextIOBase

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from faker import Faker

from core.money import ZERO
from core.periods import period_bounds, period_of, previous_period
from distributors.models import Distributor, DistributorStatus
from orders.models import (
    Customer,
    CustomerKind,
    Demonstration,
    DemonstrationGuest,
    DemonstrationStatus,
    HostCredit,
    Order,
    OrderPurpose,
    OrderStatus,
    Product,
    Return,
    ReturnLine,
)
from orders.rules import current_rules, host_rewards
from orders.services.demonstrations import host_voucher
from orders.services.returns import status_after_return

from .demo_bulk import DemoSales

D = Decimal
# sku, name, retail, wholesale, QV, CV, commissionable, buyback_eligible, flags
CATALOGUE = [
    ("KM-100", "Kitchen machine Thermo 100", "1199.00", "899.25", "600", "540.00", True, True, {}),
    ("KM-ATT-SLC", "Slicer attachment", "89.00", "66.75", "45", "40.00", True, True, {}),
    ("KM-ATT-GRT", "Grater attachment", "69.00", "51.75", "35", "31.00", True, True, {}),
    ("BLD-200", "Power blender", "249.00", "186.75", "125", "112.00", True, True, {}),
    ("PAN-28", "Ceramic frying pan 28 cm", "79.00", "59.25", "40", "35.50", True, True, {}),
    ("POT-SET", "Stainless pot set (3)", "199.00", "149.25", "100", "89.50", True, True, {}),
    ("KNF-CHF", "Chef's knife", "59.00", "44.25", "30", "26.50", True, True, {}),
    ("BWL-SET", "Mixing bowl set", "39.00", "29.25", "20", "17.50", True, True, {}),
    ("SPC-MIX", "Spice mix, 6 jars", "24.00", "18.00", "12", "10.80", True, True, {}),
    ("OIL-OLV", "Cold-pressed olive oil 500 ml", "16.50", "12.40", "8", "7.40", True, False, {}),
    ("CLN-DSC", "Descaler, 4 doses", "12.00", "9.00", "6", "5.40", True, False, {}),
    ("CKB-BASIC", "Cookbook: everyday recipes", "29.00", "21.75", "15", "13.00", True, True, {}),
    ("XMAS-TIN", "Christmas cookie tin", "19.00", "14.25", "10", "8.50", True, True, {"is_seasonal": True}),
    (
        "KM-90",
        "Kitchen machine 90 (previous model)",
        "899.00",
        "674.25",
        "450",
        "404.50",
        True,
        True,
        {"is_discontinued": True},
    ),
    ("STARTER", "Consultant starter kit", "149.00", "149.00", "0", "0", False, False, {}),
]
STARTER_SKU = "STARTER"
# What customers put in a basket, weighted: consumables often, the machine sometimes.
CUSTOMER_WEIGHTS = {
    "KM-100": 3,
    "KM-ATT-SLC": 6,
    "KM-ATT-GRT": 5,
    "BLD-200": 6,
    "PAN-28": 10,
    "POT-SET": 5,
    "KNF-CHF": 8,
    "BWL-SET": 10,
    "SPC-MIX": 16,
    "OIL-OLV": 14,
    "CLN-DSC": 12,
    "CKB-BASIC": 7,
    "XMAS-TIN": 3,
}
OWN_WEIGHTS = {
    "KM-100": 2,
    "SPC-MIX": 10,
    "OIL-OLV": 8,
    "CLN-DSC": 8,
    "PAN-28": 6,
    "BWL-SET": 6,
    "KNF-CHF": 4,
    "CKB-BASIC": 4,
    "BLD-200": 3,
}
BATCH = 2000


def _print(stdout: TextIOBase | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _catalogue() -> dict[str, Product]:
    existing = {p.sku: p for p in Product.objects.all()}
    new = []
    for sku, name, retail, wholesale, qv, cv, commissionable, buyback, flags in CATALOGUE:
        if sku not in existing:
            new.append(
                Product(
                    sku=sku,
                    name=name,
                    description=f"{name}. Demo catalogue.",
                    retail_price=D(retail),
                    wholesale_price=D(wholesale),
                    qv=D(qv),
                    cv=D(cv),
                    commissionable=commissionable,
                    buyback_eligible=buyback,
                    **flags,
                )
            )
    Product.objects.bulk_create(new)
    return {p.sku: p for p in Product.objects.filter(sku__in=[c[0] for c in CATALOGUE])}


def _basket(rng: random.Random, weights: dict[str, int], size: int) -> list[tuple[str, int]]:
    skus = rng.choices(list(weights), weights=list(weights.values()), k=size)
    counts: dict[str, int] = defaultdict(int)
    for sku in skus:
        counts[sku] += 1 if sku.startswith("KM-") else rng.choice((1, 1, 1, 2, 3))
    return sorted(counts.items())


def _moment(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(seconds=rng.randint(0, max(0, int((end - start).total_seconds()) - 1)))


@transaction.atomic
def seed_sales(*, seed: int = 1, months: int = 6, stdout: TextIOBase | None = None) -> None:
    """Catalogue, customers, `months` months of orders ending in the current month, demonstrations
    and returns for the distributors that exist. Does nothing when orders exist already."""
    if Order.objects.exists():
        _print(stdout, "Orders exist already; demo sales not seeded again.")
        return
    rng = random.Random(seed)
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    rules = current_rules()
    now = timezone.now()
    products = _catalogue()

    distributors = list(
        Distributor.objects.order_by("id").values("id", "status", "enrolled_at", "terminated_at")
    )
    # Most people sell a little, some sell a lot, some buy only for themselves: the skew of real networks.
    profile = {
        d["id"]: rng.choices(("seller", "star", "consumer", "dormant"), (55, 10, 20, 15))[0]
        for d in distributors
    }

    customers: list[Customer] = []
    for d in distributors:
        count = {
            "seller": rng.randint(3, 8),
            "star": rng.randint(10, 20),
            "consumer": rng.randint(0, 2),
            "dormant": rng.randint(0, 1),
        }[profile[d["id"]]]
        for i in range(count):
            first, last = fake.first_name(), fake.last_name()
            kind = rng.choices((CustomerKind.RETAIL, CustomerKind.PREFERRED), (80, 20))[0]
            customers.append(
                Customer(
                    distributor_id=d["id"],
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}.{d['id']}-{i}@klant.example".lower().replace(" ", ""),
                    kind=kind,
                )
            )
    Customer.objects.bulk_create(customers, batch_size=BATCH)
    by_distributor: dict[int, list[Customer]] = defaultdict(list)
    for customer in customers:
        by_distributor[customer.distributor_id].append(customer)
    _print(stdout, f"Catalogue of {len(products)} products and {len(customers)} customers.")

    from plans.models import Period

    frozen = set(Period.objects.filter(status__in=("closed", "closing")).values_list("start", flat=True))
    period = period_of(now)
    periods = []
    for _ in range(months):
        periods.append(period)
        period = previous_period(period)
    periods.reverse()

    sales = DemoSales(products)
    demonstrations: list[tuple[Demonstration, list[tuple[Customer, list[tuple[str, int]]]]]] = []
    for start_period in periods:
        if start_period in frozen:
            continue
        start, end = period_bounds(start_period)
        end = min(end, now)
        for d in distributors:
            joined = max(start, d["enrolled_at"])
            left = min(end, d["terminated_at"] or end)
            if joined >= left:
                continue
            kind = profile[d["id"]]
            mine = by_distributor[d["id"]]
            if joined == d["enrolled_at"] and joined >= start:
                sales.add(
                    distributor_id=d["id"],
                    purpose=OrderPurpose.PERSONAL,
                    basket=[(STARTER_SKU, 1)],
                    customer_id=None,
                    paid_at=joined,
                    commission_date=joined,
                    created_at=joined,
                )
            if kind == "dormant" or (d["status"] == DistributorStatus.TERMINATED and rng.random() < 0.5):
                continue
            n_customer = {
                "seller": rng.randint(1, 4),
                "star": rng.randint(5, 12),
                "consumer": rng.randint(0, 1),
            }[kind]
            for _ in range(n_customer if mine else 0):
                at = _moment(rng, joined, left)
                sales.add(
                    distributor_id=d["id"],
                    purpose=OrderPurpose.CUSTOMER,
                    basket=_basket(rng, CUSTOMER_WEIGHTS, rng.randint(1, 3)),
                    customer_id=rng.choice(mine).pk,
                    paid_at=at,
                    commission_date=at,
                    created_at=at,
                )
            if rng.random() < {"seller": 0.6, "star": 0.8, "consumer": 0.9}[kind]:
                at = _moment(rng, joined, left)
                sales.add(
                    distributor_id=d["id"],
                    purpose=OrderPurpose.PERSONAL,
                    basket=_basket(rng, OWN_WEIGHTS, rng.randint(1, 3)),
                    customer_id=None,
                    paid_at=at,
                    commission_date=at,
                    created_at=at,
                )
            if kind == "star" and rng.random() < 0.3:
                at = _moment(rng, joined, left)
                sales.add(
                    distributor_id=d["id"],
                    purpose=OrderPurpose.INVENTORY,
                    basket=[("SPC-MIX", 6), ("OIL-OLV", 6), ("CLN-DSC", 4)],
                    customer_id=None,
                    paid_at=at,
                    commission_date=at,
                    created_at=at,
                )
            # Home demonstrations: the party-plan heart of the business.
            if (
                kind in ("seller", "star")
                and len(mine) >= 4
                and rng.random() < (0.35 if kind == "star" else 0.12)
            ):
                held = _moment(rng, joined, left)
                host, *guests = rng.sample(mine, min(len(mine), rng.randint(4, 7)))
                demo = Demonstration(
                    consultant_id=d["id"],
                    host=host,
                    held_at=held,
                    place=f"{fake.city()}, at {host.first_name}'s home" if rng.random() < 0.8 else "",
                    video_link="" if rng.random() < 0.8 else "https://meet.example/demo",
                )
                if not demo.place and not demo.video_link:
                    demo.place = fake.city()
                party = [
                    (g, _basket(rng, CUSTOMER_WEIGHTS, rng.randint(1, 3)))
                    for g in guests
                    if rng.random() < 0.75
                ]
                party.append((host, _basket(rng, CUSTOMER_WEIGHTS, rng.randint(1, 2))))
                demonstrations.append((demo, party))
    _write_demonstrations(demonstrations, sales, rng, rules, now, frozen)
    sales.write(currency=settings.CURRENCY)
    returns = _returns(sales, rng, now, frozen)
    redeemed = _redeem_some(rng, now)
    _print(
        stdout,
        f"{len(sales.orders)} orders, {len(demonstrations)} demonstrations, {returns} returns, "
        f"{redeemed} host credits redeemed.",
    )


def _write_demonstrations(demonstrations, sales: DemoSales, rng: random.Random, rules, now, frozen) -> None:
    """Close what was held long enough ago (1-3 days after); the latest stay planned, orders pending."""
    for demo, _party in demonstrations:
        close = demo.held_at + dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
        if close < now and period_of(close) not in frozen:
            demo.status, demo.closed_at = DemonstrationStatus.CLOSED, close
            if rng.random() < 0.04:
                demo.status, demo.closed_at = DemonstrationStatus.CANCELLED, None
    Demonstration.objects.bulk_create([demo for demo, _ in demonstrations], batch_size=BATCH)
    Customer.objects.filter(pk__in={demo.host_id for demo, _ in demonstrations}).update(
        kind=CustomerKind.HOST
    )
    guests, credits, updates = [], [], []
    for demo, party in demonstrations:
        qps = ZERO
        for customer, basket in party:
            if customer.pk != demo.host_id:
                guests.append(DemonstrationGuest(demonstration=demo, customer=customer))
            closed = demo.status == DemonstrationStatus.CLOSED
            cancelled_guest = closed and rng.random() < 0.05
            status = (
                OrderStatus.CANCELLED
                if cancelled_guest or demo.status == DemonstrationStatus.CANCELLED
                else OrderStatus.PAID
                if closed
                else OrderStatus.PENDING
            )
            order = sales.add(
                distributor_id=demo.consultant_id,
                purpose=OrderPurpose.CUSTOMER,
                basket=basket,
                customer_id=customer.pk,
                demonstration=demo,
                status=status,
                paid_at=demo.closed_at if status == OrderStatus.PAID else None,
                commission_date=demo.closed_at if status == OrderStatus.PAID else None,
                created_at=demo.held_at,
            )
            if status == OrderStatus.CANCELLED:
                order.cancelled_at = demo.closed_at or min(demo.held_at, now)
            if status == OrderStatus.PAID:
                qps += sum((line.unit_price * line.quantity for line in sales.lines[-1]), ZERO)
        if demo.status == DemonstrationStatus.CLOSED:
            demo.qps = qps
            updates.append(demo)
            credit, items = host_rewards(qps, rules)
            voucher = host_voucher(demo, credit=credit, items=items, at=demo.closed_at, rules=rules)
            if voucher is not None:
                credits.append(voucher)
    # Some next demonstrations were booked by a guest of an earlier one of the same consultant.
    by_consultant: dict[int, list] = defaultdict(list)
    for demo, _ in demonstrations:
        by_consultant[demo.consultant_id].append(demo)
    guest_set = {(g.demonstration.pk, g.customer.pk) for g in guests}
    for demos in by_consultant.values():
        demos.sort(key=lambda x: x.held_at)
        for earlier, later in zip(demos, demos[1:], strict=False):
            if (earlier.pk, later.host_id) in guest_set:
                later.booked_from = earlier
                if later not in updates:
                    updates.append(later)
    DemonstrationGuest.objects.bulk_create(guests, batch_size=BATCH, ignore_conflicts=True)
    Demonstration.objects.bulk_update(updates, ["qps", "booked_from"], batch_size=BATCH)
    HostCredit.objects.bulk_create(credits, batch_size=BATCH)


def _returns(sales: DemoSales, rng: random.Random, now: dt.datetime, frozen: set) -> int:
    """About 3% of paid customer orders send a unit back 2-20 days after payment (if that has come)."""
    records, lines, statuses = [], [], []
    for order, order_lines in zip(sales.orders, sales.lines, strict=True):
        if order.status != OrderStatus.PAID or order.purpose != OrderPurpose.CUSTOMER or rng.random() >= 0.03:
            continue
        refunded_at = order.paid_at + dt.timedelta(days=rng.randint(2, 20), hours=rng.randint(0, 12))
        if refunded_at >= now or period_of(refunded_at) in frozen:
            continue
        line = rng.choice(order_lines)
        record = Return(
            order_id=order.pk,
            refunded_at=refunded_at,
            refund_period=period_of(refunded_at),
            refund_amount=line.unit_price,
            reason=rng.choice(("Damaged in transport", "Did not like it", "Ordered the wrong item")),
        )
        records.append(record)
        lines.append(
            ReturnLine(return_record=record, order_line_id=line.pk, quantity=1, refund_amount=line.unit_price)
        )
        order.status = status_after_return((int(ln is line), ln.quantity) for ln in order_lines)
        statuses.append(order)
    Return.objects.bulk_create(records, batch_size=BATCH)
    ReturnLine.objects.bulk_create(lines, batch_size=BATCH)
    for status in (OrderStatus.RETURNED, OrderStatus.PARTLY_RETURNED):
        ids = [o.pk for o in statuses if o.status == status]
        for i in range(0, len(ids), 500):
            Order.objects.filter(pk__in=ids[i : i + 500]).update(status=status)
    return len(records)


def _redeem_some(rng: random.Random, now: dt.datetime) -> int:
    """A few hosts still within validity redeem their voucher, through the service itself."""
    from orders.services import order_create

    vouchers = list(
        HostCredit.objects.filter(redeemed_order__isnull=True, expires_at__gt=now)
        .select_related("host__distributor", "demonstration")
        .order_by("id")[:20]
    )
    done = 0
    for voucher in vouchers:
        if rng.random() < 0.5 or voucher.host.distributor.status == DistributorStatus.TERMINATED:
            continue
        lines = [("BLD-200", 1), ("SPC-MIX", 2)]
        half = [("SPC-MIX", min(2, voucher.half_price_items))] if voucher.half_price_items else None
        order_create(
            distributor=voucher.host.distributor,
            purpose=OrderPurpose.CUSTOMER,
            customer=voucher.host,
            lines=lines,
            host_credit=voucher,
            half_price_lines=half,
            paid_at=now,
        )
        done += 1
    return done


def seed_buybacks(*, actor, stdout: TextIOBase | None = None) -> list:
    """Three buy-back requests through the buy-back service, as distributors ask and staff decide:
    one approved, one rejected with a reason, one waiting for a decision. Each hands back one unit
    of the newest eligible line of a distributor with units to hand back."""
    from orders.selectors.buyback import buyback_units
    from orders.services.buyback import buyback_request_create, buyback_request_decide

    requests = []
    for distributor in Distributor.objects.filter(status=DistributorStatus.ACTIVE).order_by("id"):
        line = next((unit for unit in buyback_units(distributor=distributor) if unit.eligible), None)
        if line is None:
            continue
        requests.append(
            buyback_request_create(
                distributor=distributor,
                lines=[(line.order_line_id, 1)],
                reason="Demo: stock I could not sell",
                actor=actor,
            )
        )
        if len(requests) == 3:
            break
    decisions = [("all", ""), ({}, "Demo: the unit was opened and used")]
    for request, (approvals, reason) in zip(requests, decisions, strict=False):
        buyback_request_decide(request=request, approvals=approvals, actor=actor, reason=reason)
    for request in requests:
        request.refresh_from_db()
        _print(
            stdout, f"Buy-back request {request.pk} of {request.distributor}: {request.get_status_display()}."
        )
    return requests
