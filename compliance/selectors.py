"""Reads of compliance: thresholds and plan parameters, the income disclosure statement
(compliance.md item 6) and the customer requirement / consumption cap as a distributor sees them
(item 2), in numbers and in plain sentences.
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

from commissions.plan_document import current_plan_document
from commissions.report_figures import median

# The close's own definitions of which orders count in a period and which units are returned:
# the report must count exactly what the close counted.
from commissions.services.aggregation import _COUNTS as COUNTS_SQL
from commissions.services.aggregation import _RETURNED as RETURNED_SQL
from core.money import ZERO, money_str, round_cents
from core.periods import period_bounds, period_label
from core.sql import sql_params
from core.templatetags import formatting

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
    configured = getattr(settings, "COMPLIANCE_THRESHOLDS", {}) or {}
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
    currency = getattr(settings, "CURRENCY", "EUR")
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


# --- Customer requirement and consumption cap, as the distributor sees them ----------------------

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

    from commissions.models import Period

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
        met = (min_pcv is not None and pcv >= min_pcv) or (
            min_customers is not None and count >= min_customers
        )
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
