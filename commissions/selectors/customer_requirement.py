"""The customer requirement and the consumption cap as a distributor sees them (compensation-plan
§2 and §3, rules/compliance §2): what counts in a month, what is still missing, and why, in numbers
and in plain sentences. The close's rules, read live from the month's orders: the portal's dashboard
shows them, and the open month's standing (commissions.selectors.standing) builds on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

# Which orders count in a period and which units are returned: the close's own definitions.
from commissions.counting import COUNTS_SQL, RETURNED_SQL
from commissions.engine.rules import requirement_met
from core.money import ZERO, round_cents
from core.periods import period_bounds, period_label
from core.sql import sql_params
from core.templatetags import formatting
from plans.document import current_plan_document

CUSTOMERS_OF_SQL = f"""
WITH returned AS ({RETURNED_SQL})
SELECT c.id, c.first_name, c.last_name, c.household_of_id,
    SUM(CASE WHEN l.commissionable THEN (l.quantity - COALESCE(rt.qty, 0)) * l.unit_price ELSE 0 END),
    SUM((l.quantity - COALESCE(rt.qty, 0)) * l.unit_qv)
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
JOIN orders_customer c ON c.id = o.customer_id
LEFT JOIN returned rt ON rt.order_line_id = l.id
WHERE {COUNTS_SQL} AND o.purpose = 'customer' AND o.distributor_id = %(distributor)s
GROUP BY c.id, c.first_name, c.last_name, c.household_of_id
ORDER BY c.last_name, c.first_name, c.id
"""

OWN_QV_SQL = f"""
WITH returned AS ({RETURNED_SQL})
SELECT COALESCE(SUM((l.quantity - COALESCE(rt.qty, 0)) * l.unit_qv), 0)
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
LEFT JOIN returned rt ON rt.order_line_id = l.id
WHERE {COUNTS_SQL} AND o.purpose <> 'customer' AND o.distributor_id = %(distributor)s
"""


@dataclass(frozen=True)
class CustomerStatusLine:
    customer_id: int
    name: str
    counts: bool
    why: str
    paid: Decimal  # ex VAT, commissionable products, net of returns in the period
    qv: Decimal


@dataclass(frozen=True)
class ComplianceStatus:
    distributor_id: int
    period: str
    pcv: Decimal
    customer_count: int
    customers: list[CustomerStatusLine]
    has_requirement: bool
    min_pcv: Decimal | None
    min_customers: int | None
    requirement_met: bool
    missing: str  # what is still missing, in a sentence ("" when met)
    ppc: Decimal
    cap: Decimal | None
    rewardable_own_qv: Decimal
    non_rewardable_qv: Decimal
    own_cv_share: Decimal  # share of own CV that is rewardable: min(1, cap / PPC)
    sentences: list[str]  # customer_sentences, then cap_sentences
    customer_sentences: list[str] = field(default_factory=list)  # the customer requirement's
    cap_sentences: list[str] = field(default_factory=list)  # the consumption cap's


def _dec(value: Any) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def distributor_compliance_status(distributor: Any, period_start: dt.date) -> ComplianceStatus:
    """What counts toward the customer requirement and the consumption cap in a period, and why.

    The same rules as the close: orders of the period net of returns refunded by its end; a
    customer counts when they are not linked to a distributor's household (that link marks the
    distributor's own account, another distributor, or their household) and paid something for
    commissionable products. Two aggregate queries.
    """
    end = period_bounds(period_start)[1]
    params = {"period": period_start, "period_end": end, "distributor": distributor.pk}
    with connection.cursor() as cursor:
        cursor.execute(CUSTOMERS_OF_SQL, sql_params(params))
        customer_rows = cursor.fetchall()
        cursor.execute(OWN_QV_SQL, sql_params(params))
        ppc = _dec(cursor.fetchone()[0])

    from plans.models import Period

    period_row = Period.objects.filter(start=period_start).select_related("plan").first()
    plan = current_plan_document(period_row.plan if period_row is not None and period_row.plan else None)
    cap = plan.personal_consumption_cap_qv
    requirement = plan.customer_requirement

    customers = []
    pcv = ZERO
    for pk, first, last, household_of, paid, qv in customer_rows:
        paid, qv = _dec(paid), _dec(qv)
        pcv += qv
        name = f"{first} {last}".strip() or _("customer %(id)s") % {"id": pk}
        if household_of == distributor.pk:
            counts, why = (
                False,
                _("This is your own account or your household: you are not your own customer."),
            )
        elif household_of is not None:
            counts, why = (
                False,
                _("This is another distributor or a distributor's household, not an end customer."),
            )
        elif paid <= 0:
            counts, why = (
                False,
                _("Paid nothing for commissionable products this period (returned, or only host credit)."),
            )
        else:
            counts, why = (
                True,
                _("An end customer who paid %(paid)s this period.") % {"paid": formatting.money(paid)},
            )
        customers.append(CustomerStatusLine(pk, name, counts, why, round_cents(paid), qv))
    count = sum(1 for c in customers if c.counts)

    sentences = []  # the customer requirement's; the cap's follow in cap_sentences
    if requirement is None:
        has_requirement, min_pcv, min_customers, met, missing = False, None, None, True, ""
        sentences.append(_("The plan has no customer requirement."))
    else:
        has_requirement = True
        min_pcv, min_customers = requirement.min_pcv, requirement.min_customers
        met = requirement_met(requirement, pcv, count)
        options = []
        if min_pcv is not None:
            options.append(_("%(qv)s PCV") % {"qv": formatting.points(min_pcv)})
        if min_customers is not None:
            options.append(_("%(n)s paying customers") % {"n": min_customers})
        rule = _(" or ").join(options)
        sentences.append(
            _(
                "To earn on your downline you need %(rule)s in the month: sales to real customers, "
                "not to yourself, other distributors or their households."
            )
            % {"rule": rule}
        )
        sentences.append(
            _("This month: %(pcv)s PCV from customer orders and %(count)s customer(s) who count.")
            % {"pcv": formatting.points(pcv), "count": formatting.number(count)}
        )
        if met:
            missing = ""
            sentences.append(_("You meet the customer requirement."))
        else:
            parts = []
            if min_pcv is not None:
                parts.append(_("%(qv)s more PCV") % {"qv": formatting.points(min_pcv - pcv)})
            if min_customers is not None:
                parts.append(_("%(n)s more paying customer(s)") % {"n": min_customers - count})
            missing = _("You still need %(what)s.") % {"what": _(" or ").join(parts)}
            sentences.append(missing)

    if cap is None or ppc <= cap:
        rewardable, excess, share = ppc, ZERO, Decimal(1)
    else:
        rewardable, excess = cap, ppc - cap
        share = (cap / ppc).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    cap_sentences = []
    if cap is None:
        cap_sentences.append(
            _("Your own purchases (%(ppc)s QV) count in full: the plan has no cap.")
            % {"ppc": formatting.points(ppc)}
        )
    else:
        cap_sentences.append(
            _(
                "Own purchases count for at most %(cap)s QV a month, so that rewards come from customers, "
                "not from buying for yourself. This month you bought %(ppc)s QV for yourself."
            )
            % {"cap": formatting.points(cap), "ppc": formatting.points(ppc)}
        )
        if excess > 0:
            cap_sentences.append(
                _(
                    "%(excess)s QV is above the cap and earns nothing: no rank, no override, no activity. "
                    "Of your own purchases' CV, %(share)s is rewardable."
                )
                % {"excess": formatting.points(excess), "share": formatting.percent(share)}
            )
        else:
            cap_sentences.append(_("All of it counts."))

    return ComplianceStatus(
        distributor_id=distributor.pk,
        period=period_label(period_start),
        pcv=pcv,
        customer_count=count,
        customers=customers,
        has_requirement=has_requirement,
        min_pcv=min_pcv,
        min_customers=min_customers,
        requirement_met=met,
        missing=missing,
        ppc=ppc,
        cap=cap,
        rewardable_own_qv=rewardable,
        non_rewardable_qv=excess,
        own_cv_share=share,
        sentences=sentences + cap_sentences,
        customer_sentences=sentences,
        cap_sentences=cap_sentences,
    )
