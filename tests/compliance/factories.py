"""Hand-made data for buy-back and compliance tests: products, paid orders, customers.

Orders are written as rows (paid, with their commission date and period), the way every order
service leaves them; returns and buy-backs go through the services under test.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from core.periods import period_of
from orders.models import Customer, Order, OrderLine, OrderStatus, Product

_numbers = itertools.count(1)


def make_product(
    sku: str,
    *,
    retail: str = "100.00",
    wholesale: str = "75.00",
    qv: str = "75",
    cv: str = "75.00",
    buyback_eligible: bool = True,
    seasonal: bool = False,
) -> Product:
    return Product.objects.create(
        sku=sku,
        name=f"Product {sku}",
        retail_price=Decimal(retail),
        wholesale_price=Decimal(wholesale),
        qv=Decimal(qv),
        cv=Decimal(cv),
        buyback_eligible=buyback_eligible,
        is_seasonal=seasonal,
    )


def make_customer(distributor, *, name: str = "Klant", email: str = "", household_of=None) -> Customer:
    return Customer.objects.create(
        distributor=distributor,
        first_name=name,
        last_name="Klant",
        email=email or f"{name.lower()}{next(_numbers)}@klant.nl",
        household_of=household_of,
    )


def make_order(
    distributor,
    purpose: str,
    paid_at: dt.datetime,
    lines: list[tuple[Product, int]] | list[tuple[Product, int, str]],
    *,
    customer: Customer | None = None,
) -> Order:
    """A paid order; unit price is the list price (retail for customers, wholesale for own orders)
    unless a third element gives it. Volumes per unit are the product's."""
    n = next(_numbers)
    order = Order.objects.create(
        number=f"T-{n:06d}",
        distributor=distributor,
        customer=customer,
        purpose=purpose,
        status=OrderStatus.PAID,
        paid_at=paid_at,
        commission_date=paid_at,
        commission_period=period_of(paid_at),
    )
    for spec in lines:
        product, quantity = spec[0], spec[1]
        list_price = product.retail_price if purpose == "customer" else product.wholesale_price
        price = Decimal(spec[2]) if len(spec) > 2 else list_price
        OrderLine.objects.create(
            order=order,
            product=product,
            sku=product.sku,
            quantity=quantity,
            unit_list_price=list_price,
            unit_price=price,
            unit_qv=product.qv,
            unit_cv=product.cv,
            commissionable=product.commissionable,
            excluded_from_buyback=product.is_seasonal or product.is_discontinued or product.is_promotional,
            buyback_eligible=product.buyback_eligible,
        )
    return order


def make_distributor(first_name: str, *, sponsor=None, enrolled_at=None, terminated_at=None, **kwargs):
    from distributors.models import Distributor, DistributorStatus

    n = next(_numbers)
    return Distributor.objects.create(
        first_name=first_name,
        last_name="Test",
        external_id=kwargs.pop("external_id", f"{first_name.upper()}-{n}"),
        email=f"{first_name.lower()}{n}@example.nl",
        referral_code=f"R{n:06d}",
        sponsor=sponsor,
        enrolled_at=enrolled_at or dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        terminated_at=terminated_at,
        status=DistributorStatus.TERMINATED if terminated_at else DistributorStatus.ACTIVE,
        **kwargs,
    )


# --- A hand-made close: the rows the close writes, inserted as the close would --------------------


def make_plan():
    import json
    from pathlib import Path

    from plans.models import Plan

    document = json.loads((Path(__file__).resolve().parents[2] / "plans" / "default_plan.json").read_text())
    return Plan.objects.get_or_create(
        version=document["version"],
        defaults={"name": document["name"], "plan_type": document["type"], "document": document},
    )[0]


def make_run(period_start: dt.date, *, kind: str = "final"):
    from commissions.models import CloseRun
    from plans.models import Period

    period, _ = Period.objects.get_or_create(start=period_start)
    return CloseRun.objects.create(period=period, plan=make_plan(), kind=kind, status="succeeded")


def make_result(run, distributor, *, rank: int = 0, customer_cv="0", rewardable_cv="0"):
    from commissions.models import DistributorPeriod

    zero = Decimal("0")
    return DistributorPeriod.objects.create(
        run=run,
        period=run.period,
        distributor=distributor,
        pcv=zero,
        ppc=zero,
        pv=zero,
        gv=zero,
        customer_cv=Decimal(customer_cv),
        own_cv=zero,
        customer_paid=zero,
        own_cv_share=Decimal(1),
        rewardable_cv=Decimal(rewardable_cv),
        active=rank > 0,
        customer_requirement_met=rank > 0,
        override_eligible=rank > 0,
        paid_as_rank=rank,
        title=rank,
        group_qv=zero,
        group_cv=zero,
    )


def make_line(run, distributor, kind: str, amount: str, *, source=None, key: str | None = None):
    from commissions.models import LedgerLine

    return LedgerLine.objects.create(
        run=run,
        period=run.period,
        distributor=distributor,
        kind=kind,
        key=key or f"{kind}-{next(_numbers)}",
        source=source,
        level=1 if kind == "override" else 0,
        rate=Decimal("0.05"),
        base=Decimal("0"),
        amount=Decimal(amount),
    )


def make_statement(
    run, distributor, *, personal="0", override="0", clawbacks="0", adjustments="0", minimum="25"
):
    from commissions.models import Statement

    parts = [Decimal(v) for v in (personal, override, clawbacks, adjustments)]
    net = sum(parts, Decimal("0"))
    payout = net if net >= Decimal(minimum) else Decimal("0")
    return Statement.objects.create(
        run=run,
        period=run.period,
        distributor=distributor,
        carried_in=Decimal("0"),
        personal=parts[0],
        override=parts[1],
        clawbacks=parts[2],
        adjustments=parts[3],
        net=net,
        payout=payout,
        carried_out=net - payout,
    )
