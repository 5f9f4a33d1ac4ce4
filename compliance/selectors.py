"""Reads of compliance: thresholds and plan parameters, and the income disclosure statement
(rules/compliance §6). The customer requirement and the consumption cap as a distributor sees them
(rules/compliance §2) are the close's rules, read live: commissions/selectors/customer_requirement.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from commissions.selectors.report_figures import median
from core.money import ZERO, money_str, round_cents
from core.periods import period_bounds, period_label
from core.sql import sql_params
from core.templatetags import formatting
from plans.document import current_plan_document

DEFAULT_THRESHOLDS: dict[str, str] = {
    # Share of the period's QV sold to end customers (the rest: distributors' own purchases).
    "min_customer_volume_share": "0.50",
    # Share of personal commission + overrides that comes from customer sales.
    "min_customer_reward_share": "0.50",
    # Share of distributors paid anything (informational: a low share is normal, and must be told).
    "min_paid_share": "0.20",
    # Share of distributors who bought for themselves that bought above the consumption cap.
    "max_over_cap_share": "0.10",
    # Customer QV / inventory QV bought in the period.
    "min_inventory_resale_ratio": "0.70",
    # Buy-back value / value of distributors' own purchases in the period.
    "max_buyback_rate": "0.05",
}
SHARE_PLACES = Decimal("0.0001")


def compliance_thresholds() -> dict[str, Decimal]:
    """The defaults, overridden key by key by settings.COMPLIANCE_THRESHOLDS."""
    configured = settings.COMPLIANCE_THRESHOLDS
    merged = {**DEFAULT_THRESHOLDS, **{k: v for k, v in configured.items() if k in DEFAULT_THRESHOLDS}}
    return {key: Decimal(str(value)) for key, value in merged.items()}


def _share(part: int | Decimal, whole: int | Decimal) -> Decimal:
    if not whole:
        return ZERO
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def percent(share: Decimal | None) -> str:
    """0.5123 -> '51.2%' (for pages and sentences)."""
    if share is None:
        return "–"
    return f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


# --- Income disclosure statement ------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosureRankRow:
    rank: int
    name: str
    count: int
    share: Decimal  # of all participants
    paid_count: int
    median: Decimal
    mean: Decimal
    lowest: Decimal
    highest: Decimal
    total: Decimal

    @property
    def share_percent(self) -> str:
        return percent(self.share)


@dataclass(frozen=True)
class IncomeDisclosure:
    year: int
    currency: str
    months: list[str]  # periods of the year with a final close, e.g. ["2026-01", ...]
    complete: bool  # all twelve months closed
    participants: int
    paid_count: int  # gross payment above zero
    paid_share: Decimal
    zero_count: int  # gross payment zero or less
    leavers: int  # terminated during the year
    joined: int  # enrolled during the year
    total_gross: Decimal
    mean_gross: Decimal
    median_gross: Decimal
    median_gross_paid: Decimal
    lowest_gross: Decimal
    highest_gross: Decimal
    rows: list[DisclosureRankRow]
    notes: list[str] = field(default_factory=list)

    @property
    def paid_share_percent(self) -> str:
        return percent(self.paid_share)


def _year_runs(year: int) -> QuerySet:
    from commissions.models import CloseRun, CloseRunKind, CloseRunStatus

    return CloseRun.objects.filter(
        kind=CloseRunKind.FINAL,
        status=CloseRunStatus.SUCCEEDED,
        period__start__gte=dt.date(year, 1, 1),
        period__start__lt=dt.date(year + 1, 1, 1),
    )


PARTICIPANTS_SQL = """
WITH runs AS (
    SELECT r.id FROM commissions_closerun r
    JOIN commissions_period p ON p.id = r.period_id
    WHERE r.kind = 'final' AND r.status = 'succeeded' AND p.start >= %(first)s AND p.start < %(after)s
),
gross AS (
    SELECT distributor_id, SUM(amount) AS gross FROM commissions_ledgerline
    WHERE run_id IN (SELECT id FROM runs) GROUP BY distributor_id
),
ranks AS (
    SELECT distributor_id, MAX(paid_as_rank) AS best FROM commissions_distributorperiod
    WHERE run_id IN (SELECT id FROM runs) GROUP BY distributor_id
)
SELECT d.id, COALESCE(g.gross, 0), COALESCE(k.best, 0),
    d.terminated_at IS NOT NULL AND d.terminated_at >= %(start)s AND d.terminated_at < %(end)s,
    d.enrolled_at >= %(start)s AND d.enrolled_at < %(end)s
FROM distributors_distributor d
LEFT JOIN gross g ON g.distributor_id = d.id
LEFT JOIN ranks k ON k.distributor_id = d.id
WHERE (d.enrolled_at < %(end)s AND (d.terminated_at IS NULL OR d.terminated_at >= %(start)s))
   OR g.distributor_id IS NOT NULL
ORDER BY d.id
"""


def income_disclosure_rows(*, year: int) -> list[tuple[int, Decimal, int, bool, bool]]:
    """(distributor id, gross payment, highest paid-as rank, left in the year, joined in the year)
    for every participant of the year. One query.

    A participant existed at any time in the year (enrolled before its end, not terminated before
    its start) or has a ledger line in it. Gross payment is the sum of every ledger line of the
    year's final closes: personal commission, overrides, clawbacks and adjustments.
    """
    start = period_bounds(dt.date(year, 1, 1))[0]
    end = period_bounds(dt.date(year + 1, 1, 1))[0]
    params = {"first": dt.date(year, 1, 1), "after": dt.date(year + 1, 1, 1), "start": start, "end": end}
    with connection.cursor() as cursor:
        # Left and joined are decided in SQL: SQLite would hand the timestamps back naive.
        cursor.execute(PARTICIPANTS_SQL, sql_params(params))
        rows = cursor.fetchall()
    return [
        (pk, round_cents(_dec(gross)), int(best), bool(left), bool(joined))
        for pk, gross, best, left, joined in rows
    ]


def _rank_names(year: int) -> dict[int, str]:
    run = _year_runs(year).select_related("plan").order_by("-period__start").first()
    plan = current_plan_document(run.plan if run is not None else None)
    return {0: _("No rank"), **{rank.number: rank.name for rank in plan.ranks}}


def _stats(values: list[Decimal]) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """(median, mean, lowest, highest, total) of an ascending list, to cents."""
    if not values:
        return ZERO, ZERO, ZERO, ZERO, ZERO
    total = sum(values, ZERO)
    return (
        round_cents(median(values)),
        round_cents(total / len(values)),
        round_cents(values[0]),
        round_cents(values[-1]),
        round_cents(total),
    )


def income_disclosure(*, year: int) -> IncomeDisclosure:
    """The income disclosure statement of a calendar year, from the ledger of its final closes.

    Everybody who took part in the year counts, including those who earned nothing and those who
    left. Figures are the year's actual amounts, never annualised.
    """
    rows = income_disclosure_rows(year=year)
    months = [
        period_label(s)
        for s in _year_runs(year).order_by("period__start").values_list("period__start", flat=True)
    ]
    names = _rank_names(year)
    currency = settings.CURRENCY
    amounts = sorted(row[1] for row in rows)
    n = len(amounts)
    paid = [a for a in amounts if a > 0]
    med, mean, lowest, highest, total = _stats(amounts)

    by_rank: dict[int, list[Decimal]] = {}
    for row in rows:
        by_rank.setdefault(row[2], []).append(row[1])
    table = []
    for rank in sorted(set(by_rank) | set(names)):
        values = sorted(by_rank.get(rank, []))
        r_med, r_mean, r_low, r_high, r_total = _stats(values)
        table.append(
            DisclosureRankRow(
                rank=rank,
                name=names.get(rank, _("Rank %(number)s") % {"number": rank}),
                count=len(values),
                share=_share(len(values), n),
                paid_count=sum(1 for v in values if v > 0),
                median=r_med,
                mean=r_mean,
                lowest=r_low,
                highest=r_high,
                total=r_total,
            )
        )
    disclosure = IncomeDisclosure(
        year=year,
        currency=currency,
        months=months,
        complete=len(months) == 12,
        participants=n,
        paid_count=len(paid),
        paid_share=_share(len(paid), n),
        zero_count=n - len(paid),
        leavers=sum(1 for row in rows if row[3]),
        joined=sum(1 for row in rows if row[4]),
        total_gross=total,
        mean_gross=mean,
        median_gross=med,
        median_gross_paid=round_cents(median(paid)) if paid else ZERO,
        lowest_gross=lowest,
        highest_gross=highest,
        rows=table,
    )
    disclosure.notes.extend(_disclosure_notes(disclosure))
    return disclosure


def _disclosure_notes(d: IncomeDisclosure) -> list[str]:
    # Sentences for a reader: amounts, counts and months in the reader's language (1.234,56).
    money = lambda amount: formatting.money(amount, d.currency)  # noqa: E731
    count = formatting.number
    months = (
        _("all twelve months of %(year)s") % {"year": d.year}
        if d.complete
        else _("the %(count)s month(s) of %(year)s closed so far (%(months)s)")
        % {
            "count": len(d.months),
            "year": d.year,
            "months": ", ".join(formatting.month(label) for label in d.months) or _("none"),
        }
    )
    # What the mean says next to the median: each comparison is its own sentence, with its reason.
    if d.mean_gross > d.median_gross:
        comparison = _("It is higher than the median because a few people earned much more than most.")
    elif d.mean_gross < d.median_gross:
        comparison = _("It is lower than the median because some people earned much less than most.")
    else:
        comparison = _("It is equal to the median: the figures above and below the middle balance out.")
    return [
        _(
            "These are gross earnings before expenses. Distributors pay for their own products, samples, "
            "travel, events, phone and taxes; what they keep is lower than these figures."
        ),
        _(
            "Everybody who was a distributor at any time in %(year)s is counted: %(n)s people, including "
            "%(zero)s who earned nothing (or less than nothing after clawbacks) and %(leavers)s who left "
            "during the year. Nobody is left out for being inactive."
        )
        % {
            "year": d.year,
            "n": count(d.participants),
            "zero": count(d.zero_count),
            "leavers": count(d.leavers),
        },
        _("%(paid)s of %(n)s participants (%(share)s) earned anything at all in %(year)s.")
        % {
            "paid": count(d.paid_count),
            "n": count(d.participants),
            "share": formatting.percent(d.paid_share),
            "year": d.year,
        },
        _(
            "The median is the middle figure: half of the participants earned %(median)s or less, half "
            "earned more. The mean (%(mean)s) is the total divided by the number of people."
        )
        % {"median": money(d.median_gross), "mean": money(d.mean_gross)}
        + " "
        + comparison,
        _(
            "Gross payment is what was earned in %(months)s: personal commission and overrides, minus "
            "clawbacks of refunded sales, plus corrections. It is not what was transferred: amounts "
            "below the payout minimum are carried to the next month and paid later."
        )
        % {"months": months},
        _(
            "These are actual figures for the year, never annualised: someone who joined in November shows "
            "two months of earnings. %(joined)s participants joined during the year."
        )
        % {"joined": count(d.joined)},
        _(
            "Rank is the highest paid-as rank a person reached in any month of the year; 'No rank' means "
            "they were never active (never reached the minimum personal volume)."
        ),
        _(
            "These figures are not a promise or a forecast of what you will earn. Results depend on your "
            "own sales to customers, the time you put in and your skills."
        ),
    ]


CSV_HEADER = [
    "year",
    "rank",
    "rank_name",
    "participants",
    "share_of_participants",
    "paid_anything",
    "median_gross",
    "mean_gross",
    "lowest_gross",
    "highest_gross",
    "total_gross",
]


def income_disclosure_csv_rows(d: IncomeDisclosure) -> list[list[str]]:
    """The statement as CSV rows: a header, one row for everybody (rank `all`), one per rank."""
    rows = [
        CSV_HEADER,
        [
            str(d.year),
            "all",
            "All participants",
            str(d.participants),
            "1.0000" if d.participants else "0.0000",
            str(d.paid_count),
            money_str(d.median_gross),
            money_str(d.mean_gross),
            money_str(d.lowest_gross),
            money_str(d.highest_gross),
            money_str(d.total_gross),
        ],
    ]
    for r in d.rows:
        rows.append(
            [
                str(d.year),
                str(r.rank),
                r.name,
                str(r.count),
                f"{r.share:.4f}",
                str(r.paid_count),
                money_str(r.median),
                money_str(r.mean),
                money_str(r.lowest),
                money_str(r.highest),
                money_str(r.total),
            ]
        )
    return rows


def _dec(value: Any) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- The income disclosure statement for distributors (the portal) ------------------------------

# A year's statement reads every participant's ledger: at a million distributors it takes seconds,
# and it changes only when a close of that year finishes. Cached per year, language (the notes are
# sentences) and the year's set of final closes, so a new close is seen at once.
DISCLOSURE_CACHE_SECONDS = 24 * 3600


def income_disclosure_years() -> list[int]:
    """The calendar years with at least one final close, newest first."""
    starts = _year_runs_all().values_list("period__start", flat=True).distinct()
    return sorted({start.year for start in starts}, reverse=True)


def _year_runs_all() -> QuerySet:
    from commissions.models import CloseRun, CloseRunKind, CloseRunStatus

    return CloseRun.objects.filter(kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED)


def income_disclosure_published(*, year: int) -> IncomeDisclosure:
    """`income_disclosure(year=year)`, cached until a final close of the year changes it."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    runs = ",".join(str(pk) for pk in _year_runs(year).order_by("pk").values_list("pk", flat=True))
    key = f"income-disclosure:{year}:{get_language()}:{runs}"
    disclosure = cache.get(key)
    if disclosure is None:
        disclosure = income_disclosure(year=year)
        cache.set(key, disclosure, DISCLOSURE_CACHE_SECONDS)
    return disclosure
