"""A distributor's standing in the open (current) period, live, for the dashboard (portal, API).

The same rules as the close (volumes net of returns refunded so far, own purchases capped,
activity, the customer requirement, eligibility), on today's orders: an estimate until the period
closes. GV sums the PV of today's downline with one nested-set aggregate, not a walk of the tree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from commissions.plan_document import current_plan_document
from commissions.services.aggregation import _COUNTS, _RETURNED
from compliance.selectors import distributor_compliance_status
from core.money import ZERO, points_str
from core.periods import period_bounds, period_label, period_of
from core.sql import sql_params
from distributors.models import Distributor, DistributorStatus

# PV of every distributor in an interval of the tree: customer QV + own QV up to the cap.
_DOWNLINE_PV_SQL = f"""
WITH returned AS ({_RETURNED}),
per_distributor AS (
    SELECT o.distributor_id,
        SUM(CASE WHEN o.purpose = 'customer' THEN (l.quantity - COALESCE(rt.qty, 0)) * l.unit_qv ELSE 0 END)
            AS customer_qv,
        SUM(CASE WHEN o.purpose = 'customer' THEN 0 ELSE (l.quantity - COALESCE(rt.qty, 0)) * l.unit_qv END)
            AS own_qv
    FROM orders_orderline l
    JOIN orders_order o ON o.id = l.order_id
    JOIN distributors_distributor d ON d.id = o.distributor_id
    LEFT JOIN returned rt ON rt.order_line_id = l.id
    WHERE {_COUNTS} AND d.tree_id = %(tree_id)s AND d.lft >= %(lft)s AND d.rght <= %(rght)s
    GROUP BY o.distributor_id
)
SELECT SUM(customer_qv + CASE WHEN %(capped)s AND own_qv > %(cap)s THEN %(cap)s ELSE own_qv END)
FROM per_distributor
"""


@dataclass(frozen=True)
class CurrentStanding:
    period: str
    pcv: Decimal
    ppc: Decimal
    pv: Decimal  # PCV + own purchases up to the cap
    gv: Decimal  # PV of self and today's whole downline
    min_pv: Decimal | None  # activity threshold; None when everyone is active
    active: bool
    customer_count: int
    customer_requirement_met: bool
    override_eligible: bool
    missing: list[str]  # what stands between the distributor and override eligibility, in sentences


def current_standing(distributor: Distributor, *, at: dt.datetime | None = None) -> CurrentStanding:
    """A handful of aggregate queries, whatever the size of the downline.

    The live answer (no `at`) is cached per distributor for STANDING_CACHE_SECONDS: a leader's GV
    sums a whole downline's orders, and a dashboard is refreshed far more often than that changes.
    The key names the language too: `missing` is in the reader's language.
    """
    if at is None:
        period = period_label(period_of(timezone.now()))
        key = f"standing:{distributor.pk}:{distributor.status}:{period}:{get_language()}"
        timeout = getattr(settings, "STANDING_CACHE_SECONDS", 300)
        return cache.get_or_set(key, lambda: _standing(distributor, timezone.now()), timeout)
    return _standing(distributor, at)


def _standing(distributor: Distributor, at: dt.datetime) -> CurrentStanding:
    period = period_of(at)
    status = distributor_compliance_status(distributor, period)
    min_pv = current_plan_document().activity_min_pv
    pv = status.pcv + status.rewardable_own_qv
    # The same cap the customer-side status used, so PV and GV count own purchases alike.
    gv = _downline_pv(distributor, period, status.cap)

    active = min_pv is None or pv >= min_pv
    in_good_standing = distributor.status == DistributorStatus.ACTIVE
    missing = []
    if not active:
        missing.append(
            _("You need %(qv)s more PV to be active (at least %(min)s).")
            % {"qv": points_str(min_pv - pv), "min": points_str(min_pv)}
        )
    if not status.requirement_met and status.missing:
        missing.append(status.missing)
    if not in_good_standing:
        missing.append(
            _("Your account is %(status)s.") % {"status": distributor.get_status_display().lower()}
        )
    return CurrentStanding(
        period=period_label(period),
        pcv=status.pcv,
        ppc=status.ppc,
        pv=pv,
        gv=gv,
        min_pv=min_pv,
        active=active,
        customer_count=status.customer_count,
        customer_requirement_met=status.requirement_met,
        override_eligible=active and status.requirement_met and in_good_standing,
        missing=missing,
    )


def _downline_pv(distributor: Distributor, period: dt.date, cap: Decimal | None) -> Decimal:
    node = Distributor.objects.filter(pk=distributor.pk).values("tree_id", "lft", "rght").get()
    params = {
        **node,
        "period": period,
        "period_end": period_bounds(period)[1],
        "capped": cap is not None,
        "cap": cap if cap is not None else ZERO,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DOWNLINE_PV_SQL, sql_params(params))
        total = cursor.fetchone()[0]
    if total is None:
        return ZERO
    return total if isinstance(total, Decimal) else Decimal(str(total))
