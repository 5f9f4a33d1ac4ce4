"""A distributor's standing in the open (current) period, for the dashboard (portal, API).

The distributor's own figures are live: the same rules as the close (volumes net of returns
refunded so far, own purchases capped, activity, the customer requirement, eligibility) on today's
orders, which read only their own orders. What depends on the whole downline, GV and the paid-as
rank so far, comes from the newest preview of the month (commissions.previews, scheduled every few
minutes), with the moment it finished (`gv_as_of`): summing a leader's downline live costs ~40 s
at a million. Only when the month has no preview yet (or the distributor is not in it: enrolled
since) is GV summed live, with one nested-set aggregate, and `gv_source` says so.
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

from commissions.counting import COUNTS_SQL, RETURNED_SQL
from commissions.engine.rules import is_active, is_eligible
from commissions.previews import newest_preview, preview_figures
from commissions.selectors.customer_requirement import distributor_compliance_status
from commissions.selectors.ranks import rank_names
from core.money import ZERO, points_str
from core.periods import period_bounds, period_label, period_of
from core.sql import sql_params
from distributors.models import Distributor, DistributorStatus
from plans.document import current_plan_document

# PV of every distributor in an interval of the tree: customer QV + own QV up to the cap.
_DOWNLINE_PV_SQL = f"""
WITH returned AS ({RETURNED_SQL}),
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
    WHERE {COUNTS_SQL} AND d.tree_id = %(tree_id)s AND d.lft >= %(lft)s AND d.rght <= %(rght)s
    GROUP BY o.distributor_id
)
SELECT SUM(customer_qv + CASE WHEN %(capped)s AND own_qv > %(cap)s THEN %(cap)s ELSE own_qv END)
FROM per_distributor
"""


GV_PREVIEW, GV_LIVE = "preview", "live"


@dataclass(frozen=True)
class CurrentStanding:
    period: str
    pcv: Decimal
    ppc: Decimal
    pv: Decimal  # PCV + own purchases up to the cap
    gv: Decimal  # PV of self and the whole downline: as of gv_as_of (preview), or now (live)
    min_pv: Decimal | None  # activity threshold; None when everyone is active
    active: bool
    customer_count: int
    customer_requirement_met: bool
    override_eligible: bool
    missing: list[str]  # what stands between the distributor and override eligibility, in sentences
    gv_source: str = GV_LIVE  # GV_PREVIEW: GV and paid_as_rank are the newest preview's
    gv_as_of: dt.datetime | None = None  # when they were computed (the preview's end, or now)
    paid_as_rank: int | None = None  # the rank the month pays so far (preview); None without one
    paid_as_rank_name: str | None = None  # its name in the preview's plan (None: no rank, or none)


def current_standing(distributor: Distributor, *, at: dt.datetime | None = None) -> CurrentStanding:
    """The one reader of the open month's standing: `GET /api/v1/me/` and the portal's dashboard.

    A handful of queries on the distributor's own orders and one row of the newest preview,
    whatever the size of the downline. The live answer (no `at`) is cached per distributor for
    STANDING_CACHE_SECONDS; the key names the preview (a new one shows at once) and the language
    (`missing` is in the reader's language).
    """
    if at is None:
        now = timezone.now()
        period = period_of(now)
        run = newest_preview(period)
        key = (
            f"standing:{distributor.pk}:{distributor.status}:{period_label(period)}:"
            f"{run.pk if run else '-'}:{get_language()}"
        )
        timeout = settings.STANDING_CACHE_SECONDS
        return cache.get_or_set(key, lambda: _standing(distributor, now, run), timeout)
    return _standing(distributor, at, newest_preview(period_of(at)))


def _standing(distributor: Distributor, at: dt.datetime, run) -> CurrentStanding:
    period = period_of(at)
    status = distributor_compliance_status(distributor, period)
    plan = current_plan_document()
    min_pv = plan.activity_min_pv
    pv = status.pcv + status.rewardable_own_qv
    figures = preview_figures(distributor, run) if run is not None else None
    if figures is not None:
        gv, source, as_of, rank = figures.gv, GV_PREVIEW, run.finished_at, figures.paid_as_rank
        rank_name = rank_names(run.plan).get(rank) if rank else None
    else:
        # The same cap the customer-side status used, so PV and GV count own purchases alike.
        gv = _downline_pv(distributor, period, status.cap)
        source, as_of, rank, rank_name = GV_LIVE, at, None, None

    active = is_active(plan, pv)
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
        override_eligible=is_eligible(active, status.requirement_met, distributor.status),
        missing=missing,
        gv_source=source,
        gv_as_of=as_of,
        paid_as_rank=rank,
        paid_as_rank_name=rank_name,
    )


def _downline_pv(distributor: Distributor, period: dt.date, cap: Decimal | None) -> Decimal:
    params = {
        # The distributor as loaded for this request (the tree numbers change only with a move).
        "tree_id": distributor.tree_id,
        "lft": distributor.lft,
        "rght": distributor.rght,
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
