"""Portal: the dashboard, the distributor's open month at a glance.

Every figure comes from the selector the API reads for it, labelled with the moment it is from:
the live standing of GET /me/ (commissions.selectors.standing), the rank report of GET /me/progress/
(commissions.selectors.rank_progress, on the newest preview of the open month when there is one), the
projected earnings of the newest preview (commissions.previews), the team radar
(commissions.selectors.radar), the
final statements of GET /statements/, and the orders, demonstrations and buy-back requests of the
orders API. A close under way shows as a banner that polls (htmx) until it is done.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, cast

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from commissions.models import CloseRunKind
from commissions.previews import newest_preview, preview_statement
from commissions.selectors.customer_requirement import distributor_compliance_status
from commissions.selectors.radar import LISTED as RADAR_LISTED
from commissions.selectors.radar import team_radar
from commissions.selectors.rank_progress import rank_progress
from commissions.selectors.runs import close_run_progress, last_final_run, running_final_close
from commissions.selectors.standing import current_standing
from commissions.selectors.statements import final_statements_of
from core.periods import period_of
from orders.models import BuybackStatus
from orders.selectors.buyback import buyback_request_view, buyback_requests_of
from orders.selectors.demonstrations import demonstrations_of_distributor
from orders.selectors.orders import orders_of_distributor
from portal.access import distributor_required
from portal.charts import Bar, earnings_bar_chart

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from commissions.models import Statement

CHART_PERIODS = 12
LISTED = 5  # rows per small list (orders, buy-back requests)
DEMONSTRATIONS_LISTED = 3


def _requirement_row(requirement) -> dict:
    """A requirement with what a progress bar and "N more" need (numbers only; words stay as given)."""
    required, actual = requirement.required, requirement.actual
    numeric = all(
        isinstance(value, (int, Decimal)) and not isinstance(value, bool) for value in (required, actual)
    )
    row = {"requirement": requirement, "bar": False, "missing": None, "is_count": False}
    if numeric and required > 0:
        row["bar"] = True
        row["max"] = required
        row["value"] = min(max(actual, 0), required)
        row["is_count"] = isinstance(required, int)
        if not requirement.met and actual < required:
            row["missing"] = required - actual
    return row


def _rank_report(me, preview):
    """The rank report of GET /me/progress/ (commissions.selectors.rank_progress): on the open month's
    newest preview when the distributor is in it, else on their newest final close with results."""
    explanation = rank_progress(me, preview) if preview is not None else None
    if explanation is None:
        explanation = rank_progress(me)
    if explanation is None:
        return None
    checks = {check.number: check for check in explanation.ranks}
    keep = checks.get(explanation.paid_as_rank)
    following = explanation.next_rank
    return {
        "explanation": explanation,
        "is_preview": explanation.run_kind == CloseRunKind.PREVIEW,
        "keep": keep,
        "keep_rows": [_requirement_row(r) for r in keep.requirements] if keep else [],
        "next": following,
        "next_rows": [_requirement_row(r) for r in following.requirements] if following else [],
    }


class StatementEarned(TypedDict):
    """The figure final_statements_of annotates on each statement and the chart shows."""

    earned: Decimal


def _earnings_chart(me) -> dict:
    # final_statements_of annotates `earned`; its return type (QuerySet[Statement]) does not say so.
    statements = cast(
        "list[WithAnnotations[Statement, StatementEarned]]",
        list(final_statements_of(me)[:CHART_PERIODS])[::-1],
    )
    rows = [
        {
            "period": s.period.start,
            "earned": s.earned,
            "payout": s.payout,
            "carried_out": s.carried_out,
        }
        for s in statements
    ]
    svg = earnings_bar_chart(
        [Bar(s.period.start, s.earned) for s in statements],
        title=ngettext(
            "Earnings of the last closed period",
            "Earnings of the last %(count)s closed periods",
            len(rows),
        )
        % {"count": len(rows)},
        description=_(
            "Bars per period, oldest on the left: commissions earned in the period (personal and "
            "override, less clawbacks, with adjustments). The table below gives the numbers."
        ),
        chart_id="earnings-chart",
    )
    return {"rows": rows, "svg": svg}


def _close_banner() -> dict:
    run = running_final_close()
    return {"close_run": run, "close_progress": close_run_progress(run) if run is not None else None}


@distributor_required
def index(request):
    me = request.distributor
    now = timezone.now()
    preview = newest_preview()
    has_downline = me.downline_size > 0
    compliance = distributor_compliance_status(me, period_of(now))
    context = {
        "now": now,
        "period": period_of(now),
        "standing": current_standing(me),
        "compliance": compliance,
        "customer_sentences": compliance.customer_sentences,
        "cap_sentences": compliance.cap_sentences,
        "preview": preview,
        "projected": preview_statement(me, preview) if preview is not None else None,
        "report": _rank_report(me, preview),
        "radar": team_radar(me, preview, last_final_run()) if preview and has_downline else None,
        "has_downline": has_downline,
        "radar_listed": RADAR_LISTED,
        "chart": _earnings_chart(me),
        "demonstrations": list(
            demonstrations_of_distributor(distributor=me, planned=True)[:DEMONSTRATIONS_LISTED]
        ),
        "orders": list(orders_of_distributor(distributor=me)[:LISTED]),
        "buybacks": [
            buyback_request_view(r)
            for r in buyback_requests_of(distributor=me).filter(status=BuybackStatus.REQUESTED)[:LISTED]
        ],
        **_close_banner(),
    }
    return render(request, "portal/dashboard.html", context)


@distributor_required
def close_status(request):
    """The banner of a close under way, polled by the dashboard every 10 s (htmx) until it is done."""
    context = {**_close_banner(), "polled": True}
    return render(request, "portal/dashboard.html#close-banner", context)


urlpatterns = [
    path("", index, name="dashboard"),
    path("close-status/", close_status, name="dashboard-close"),
]
