"""Compare two runs of the close (two previews, a preview and the final close, or two plan versions
on the same period) distributor by distributor: who gains, who loses, and why.

Read-side only (selectors). Three SQL queries whatever the size of the network: one FULL OUTER
JOIN of the two runs' statements and results for the rows, one aggregate for the totals, one
GROUP BY of the override lines by level; the rest is in memory. The SQL runs on PostgreSQL and on
SQLite (the demo), whose driver returns numbers as int or float and booleans as 0/1: the rows are
converted as the ORM converts those columns (core.sql.row_converter).

The three queries, the conversion of their rows and the reasons a distributor's result changed
are one read, kept together here; the comparison as CSV rows and as text is in comparison_render.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Sum

from commissions.models import (
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Statement,
)
from core.money import ZERO, money_str, points_str
from core.periods import period_label
from core.sql import row_converter
from plans.models import Period

# Document keys that name a plan version rather than set a parameter.
NOT_PARAMETERS = ("$.name", "$.version")


@dataclass(frozen=True, slots=True)
class SideFigures:
    """One side of a comparison row: the statement's totals and the results of the run (the
    compliance report's figures of a whole run are report_figures.RunFigures)."""

    personal: Decimal
    override: Decimal
    clawbacks: Decimal
    adjustments: Decimal
    carried_in: Decimal
    net: Decimal
    payout: Decimal
    paid_as_rank: int | None  # None: no results row (a statement for a carried balance only)
    pv: Decimal | None
    gv: Decimal | None
    pcv: Decimal | None
    customer_count: int | None
    active: bool | None
    customer_requirement_met: bool | None
    override_eligible: bool | None


@dataclass(frozen=True, slots=True)
class DistributorChange:
    distributor_id: int
    external_id: str
    name: str
    a: SideFigures | None  # None: no statement in run A
    b: SideFigures | None
    delta: Decimal  # net B - net A
    why: tuple[str, ...]

    @property
    def payout_delta(self) -> Decimal:
        return (self.b.payout if self.b else ZERO) - (self.a.payout if self.a else ZERO)


@dataclass(frozen=True, slots=True)
class PlanChange:
    path: str  # JSON path of the parameter, e.g. $.unilevel.compression
    a: Any  # the value in run A's plan (None: absent)
    b: Any

    def __str__(self) -> str:
        return f"{self.path}: {_json_text(self.a)} → {_json_text(self.b)}"


@dataclass(frozen=True, slots=True)
class ComparisonTotals:
    distributors_a: int
    distributors_b: int
    changed: int
    gainers: int
    losers: int
    total_paid_a: Decimal
    total_paid_b: Decimal
    net_a: Decimal
    net_b: Decimal
    breakage_a: Decimal | None  # from the run's period report; None if the run has none yet
    breakage_b: Decimal | None

    @property
    def total_paid_delta(self) -> Decimal:
        return self.total_paid_b - self.total_paid_a


@dataclass(frozen=True, slots=True)
class Comparison:
    run_a: CloseRun
    run_b: CloseRun
    plan_changes: tuple[PlanChange, ...]  # once for the whole comparison
    totals: ComparisonTotals
    rows: tuple[DistributorChange, ...]  # only distributors with a difference, by |delta| desc
    limited: bool  # True when `limit` cut rows off

    @property
    def same_plan(self) -> bool:
        return self.run_a.plan_id == self.run_b.plan_id


# --- queries -------------------------------------------------------------------------------------

_STATEMENT_COLUMNS = ("personal", "override", "clawbacks", "adjustments", "carried_in", "net", "payout")
_RESULT_COLUMNS = (
    "paid_as_rank", "pv", "gv", "pcv", "customer_count", "active", "customer_requirement_met",
    "override_eligible",
)  # fmt: skip


def _row_fields() -> list:
    """The model field of each column of _rows_sql, in order (None: as read)."""
    net = Statement._meta.get_field("net")
    present = DistributorPeriod._meta.get_field("active")  # a boolean
    side = (
        [present]
        + [Statement._meta.get_field(c) for c in _STATEMENT_COLUMNS]
        + [DistributorPeriod._meta.get_field(c) for c in _RESULT_COLUMNS]
    )
    return [None, None, None, None, *side, *side, net]


def _joined_sql() -> str:
    """Both runs' statements, FULL OUTER JOINed on the distributor, with both runs' results."""
    statements = Statement._meta.db_table
    results = DistributorPeriod._meta.db_table
    return f"""
        FROM (SELECT * FROM {statements} WHERE run_id = %(a)s) sa
        FULL OUTER JOIN (SELECT * FROM {statements} WHERE run_id = %(b)s) sb
            ON sa.distributor_id = sb.distributor_id
        LEFT JOIN {results} ra ON ra.run_id = %(a)s AND ra.distributor_id = sa.distributor_id
        LEFT JOIN {results} rb ON rb.run_id = %(b)s AND rb.distributor_id = sb.distributor_id
    """


def _changed_sql() -> str:
    columns_a = ", ".join([f"sa.{c}" for c in _STATEMENT_COLUMNS] + [f"ra.{c}" for c in _RESULT_COLUMNS])
    columns_b = ", ".join([f"sb.{c}" for c in _STATEMENT_COLUMNS] + [f"rb.{c}" for c in _RESULT_COLUMNS])
    missing = "sa.distributor_id IS NULL OR sb.distributor_id IS NULL"
    return f"({missing} OR ({columns_a}) IS DISTINCT FROM ({columns_b}))"


_DELTA = "(COALESCE(sb.net, 0) - COALESCE(sa.net, 0))"


def _rows_sql(limit: int | None) -> str:
    from distributors.models import Distributor

    select = ", ".join(
        ["COALESCE(sa.distributor_id, sb.distributor_id)", "d.external_id", "d.first_name", "d.last_name"]
        + ["sa.distributor_id IS NOT NULL"]
        + [f"sa.{c}" for c in _STATEMENT_COLUMNS]
        + [f"ra.{c}" for c in _RESULT_COLUMNS]
        + ["sb.distributor_id IS NOT NULL"]
        + [f"sb.{c}" for c in _STATEMENT_COLUMNS]
        + [f"rb.{c}" for c in _RESULT_COLUMNS]
        + [_DELTA]
    )
    sql = (
        f"SELECT {select} {_joined_sql()} "
        f"JOIN {Distributor._meta.db_table} d ON d.id = COALESCE(sa.distributor_id, sb.distributor_id) "
        f"WHERE {_changed_sql()} ORDER BY ABS({_DELTA}) DESC, d.external_id"
    )
    if limit is not None:
        sql += " LIMIT %(limit)s"
    return sql


def _totals_sql() -> str:
    return f"""
        SELECT COUNT(sa.distributor_id), COUNT(sb.distributor_id),
            COUNT(*) FILTER (WHERE {_changed_sql()}),
            COUNT(*) FILTER (WHERE {_DELTA} > 0), COUNT(*) FILTER (WHERE {_DELTA} < 0),
            COALESCE(SUM(sa.payout), 0), COALESCE(SUM(sb.payout), 0),
            COALESCE(SUM(sa.net), 0), COALESCE(SUM(sb.net), 0)
        {_joined_sql()}
    """


def _override_levels(
    run_a: CloseRun, run_b: CloseRun, distributor_ids: list[int] | None
) -> dict[tuple[int, int], dict[int, tuple[int, Decimal]]]:
    """(run id, distributor id) -> level -> (override lines, their total), in one GROUP BY."""
    lines = LedgerLine.objects.filter(run_id__in=(run_a.pk, run_b.pk), kind="override")
    if distributor_ids is not None:  # at most `limit` of them
        lines = lines.filter(distributor_id__in=distributor_ids)
    grouped = (
        lines.order_by()
        .values_list("run_id", "distributor_id", "level")
        .annotate(lines=Count("*"), total=Sum("amount"))
    )
    levels: dict[tuple[int, int], dict[int, tuple[int, Decimal]]] = defaultdict(dict)
    for run_id, distributor_id, level, count, total in grouped:
        levels[(run_id, distributor_id)][level] = (count, total)
    return levels


def _figures(present: bool, values: tuple) -> SideFigures | None:
    if not present:
        return None
    return SideFigures(*values)


# --- the comparison ----------------------------------------------------------------------------


def run_comparison(run_a: CloseRun, run_b: CloseRun, *, limit: int | None = None) -> Comparison:
    """Distributor by distributor, what changes from run A to run B, sorted by |net delta| desc.

    Only distributors with a difference (money, rank, volumes or eligibility) are listed; `limit`
    keeps the largest changes. Works on two runs of any periods, typically the same one.
    """
    from plans.document import parse_plan_document

    params: dict[str, Any] = {"a": run_a.pk, "b": run_b.pk, "limit": limit}
    width = 1 + len(_STATEMENT_COLUMNS) + len(_RESULT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(_totals_sql(), params)
        net = Statement._meta.get_field("net")
        totals = row_converter([None] * 5 + [net] * 4)(cursor.fetchone())
        count_a, count_b, changed, gainers, losers, paid_a, paid_b, net_a, net_b = totals
        cursor.execute(_rows_sql(limit), params)
        raw = list(map(row_converter(_row_fields()), cursor.fetchall()))

    plan_a, plan_b = run_a.plan, run_b.plan
    doc_a = _parsed_or_none(parse_plan_document, plan_a.document)
    doc_b = _parsed_or_none(parse_plan_document, plan_b.document)
    levels = _override_levels(run_a, run_b, [row[0] for row in raw] if limit is not None else None)
    empty: dict[int, tuple[int, Decimal]] = {}

    rows = []
    for row in raw:
        distributor_id, external_id, first_name, last_name = row[:4]
        side_a = row[4 : 4 + width]
        side_b = row[4 + width : 4 + 2 * width]
        a = _figures(side_a[0], side_a[1:])
        b = _figures(side_b[0], side_b[1:])
        why = _why(
            a, b,
            levels.get((run_a.pk, distributor_id), empty),
            levels.get((run_b.pk, distributor_id), empty),
            doc_a, doc_b,
        )  # fmt: skip
        rows.append(
            DistributorChange(
                distributor_id, external_id, f"{first_name} {last_name}", a, b, row[-1], tuple(why)
            )
        )

    totals = ComparisonTotals(
        distributors_a=count_a,
        distributors_b=count_b,
        changed=changed,
        gainers=gainers,
        losers=losers,
        total_paid_a=paid_a,
        total_paid_b=paid_b,
        net_a=net_a,
        net_b=net_b,
        breakage_a=_summary_decimal(run_a, "breakage"),
        breakage_b=_summary_decimal(run_b, "breakage"),
    )
    return Comparison(
        run_a=run_a,
        run_b=run_b,
        plan_changes=tuple(plan_differences(plan_a.document, plan_b.document)),
        totals=totals,
        rows=tuple(rows),
        limited=limit is not None and changed > len(rows),
    )


def _parsed_or_none(parse, document):
    try:
        return parse(document)
    except Exception:  # an unparsable stored plan only costs the thresholds in the why
        return None


def _summary_decimal(run: CloseRun, key: str) -> Decimal | None:
    value = (run.summary or {}).get(key)
    return None if value in (None, "") else Decimal(str(value))


def plan_differences(a: Any, b: Any, path: str = "$") -> Iterator[PlanChange]:
    """Every parameter path whose value differs between two plan documents (name and version aside)."""
    if path in NOT_PARAMETERS:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys(), key=lambda k: (k not in a, k)):
            yield from plan_differences(a.get(key), b.get(key), f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            yield from plan_differences(
                a[index] if index < len(a) else None, b[index] if index < len(b) else None, f"{path}[{index}]"
            )
    elif a != b or type(a) is not type(b):
        yield PlanChange(path, a, b)


def _json_text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, separators=(",", ":"))
    return str(value)


# --- which runs to compare (the admin's compare page) ---------------------------------------------


def succeeded_run(run_id: int) -> CloseRun | None:
    """The run to compare, with its period and plan; None when there is none that succeeded."""
    return (
        CloseRun.objects.select_related("period", "plan")
        .filter(pk=run_id, status=CloseRunStatus.SUCCEEDED)
        .first()
    )


@dataclass(frozen=True)
class RunsToCompare:
    runs: list[CloseRun]  # the period's succeeded runs, newest first
    a: CloseRun | None
    b: CloseRun | None


def runs_to_compare(
    period: Period | None, *, a: CloseRun | None = None, b: CloseRun | None = None
) -> RunsToCompare:
    """The period's succeeded runs, and the two to compare: `a` and `b` as chosen; when neither
    is chosen, the final close (or else the older preview) against the newest preview."""
    if period is None:
        return RunsToCompare([], a, b)
    runs = list(
        CloseRun.objects.filter(period=period, status=CloseRunStatus.SUCCEEDED)
        .select_related("period", "plan")
        .order_by("-created_at", "-id")
    )
    if a is None and b is None and len(runs) >= 2:
        final = next((run for run in runs if run.kind == CloseRunKind.FINAL), None)
        b = runs[0] if final is None or runs[0].pk != final.pk else runs[1]
        a = final if final is not None and final.pk != b.pk else runs[1]
    return RunsToCompare(runs, a, b)


def periods_with_runs(*, limit: int = 36) -> list[str]:
    """The newest `limit` periods with a succeeded run, newest first (YYYY-MM)."""
    starts = (
        Period.objects.filter(runs__status=CloseRunStatus.SUCCEEDED)
        .distinct()
        .order_by("-start")
        .values_list("start", flat=True)[:limit]
    )
    return [period_label(start) for start in starts]


# --- why -------------------------------------------------------------------------------------------


def _signed(amount: Decimal) -> str:
    return ("+" if amount > 0 else "−" if amount < 0 else "±") + money_str(abs(amount))


def _rank_label(rank: int | None, doc: Any) -> str:
    if rank is None:
        return "no rank"
    names = {r.number: r.name for r in doc.ranks} if doc is not None else {}
    return f"{rank} ({names[rank]})" if rank in names else str(rank)


def _money_change(label: str, a: Decimal, b: Decimal) -> str:
    return f"{label} {money_str(a)} → {money_str(b)} ({_signed(b - a)})"


def _eligibility_reasons(side: SideFigures, doc: Any) -> list[str]:
    """Which condition of override eligibility fails on this side (compensation-plan §3)."""
    reasons = []
    if side.active is False:
        minimum = doc.activity_min_pv if doc is not None else None
        pv = points_str(side.pv) if side.pv is not None else "?"
        reasons.append(
            f"not active (PV {pv} < {points_str(minimum)})" if minimum is not None else "not active"
        )
    if side.customer_requirement_met is False:
        requirement = doc.customer_requirement if doc is not None else None
        parts = []
        if requirement is not None and requirement.min_pcv is not None and side.pcv is not None:
            parts.append(f"PCV {points_str(side.pcv)} < {points_str(requirement.min_pcv)}")
        if requirement is not None and requirement.min_customers is not None:
            parts.append(f"{side.customer_count} customers < {requirement.min_customers}")
        reasons.append("customer requirement not met" + (f" ({', '.join(parts)})" if parts else ""))
    if side.active and side.customer_requirement_met and side.override_eligible is False:
        reasons.append("status not active (on hold or terminated)")
    return reasons


def _why(
    a: SideFigures | None,
    b: SideFigures | None,
    levels_a: dict[int, tuple[int, Decimal]],
    levels_b: dict[int, tuple[int, Decimal]],
    doc_a: Any,
    doc_b: Any,
) -> list[str]:
    if a is None:
        return ["only in run B (no statement in run A)"] + (
            [f"rank {_rank_label(b.paid_as_rank, doc_b)}"] if b and b.paid_as_rank else []
        )
    if b is None:
        return ["only in run A (no statement in run B)"]
    why = []
    if a.paid_as_rank != b.paid_as_rank:
        why.append(f"rank {_rank_label(a.paid_as_rank, doc_a)} → {_rank_label(b.paid_as_rank, doc_b)}")
    if a.override_eligible != b.override_eligible and None not in (a.override_eligible, b.override_eligible):
        if b.override_eligible:
            why.append("became override-eligible (in A: " + "; ".join(_eligibility_reasons(a, doc_a)) + ")")
        else:
            why.append("lost override eligibility: " + "; ".join(_eligibility_reasons(b, doc_b)))
    elif a.active != b.active and None not in (a.active, b.active):
        why.append("became active" if b.active else "; ".join(_eligibility_reasons(b, doc_b)))
    if a.pv != b.pv and None not in (a.pv, b.pv):
        why.append(f"PV {points_str(a.pv)} → {points_str(b.pv)}")
    if a.gv != b.gv and None not in (a.gv, b.gv):
        why.append(f"GV {points_str(a.gv)} → {points_str(b.gv)}")
    if a.personal != b.personal:
        why.append(_money_change("personal commission", a.personal, b.personal))
    for level in sorted(levels_a.keys() | levels_b.keys()):
        count_a, total_a = levels_a.get(level, (0, ZERO))
        count_b, total_b = levels_b.get(level, (0, ZERO))
        if count_a == count_b and total_a == total_b:
            continue
        change = f"({_signed(total_b - total_a)})"
        if count_b > count_a:
            gained = count_b - count_a
            why.append(f"gained {gained} level-{level} override source{'s' if gained > 1 else ''} {change}")
        elif count_b < count_a:
            lost = count_a - count_b
            why.append(f"lost {lost} level-{level} override source{'s' if lost > 1 else ''} {change}")
        else:
            why.append(f"level-{level} overrides {money_str(total_a)} → {money_str(total_b)} {change}")
    if a.clawbacks != b.clawbacks:
        why.append(_money_change("clawbacks", a.clawbacks, b.clawbacks))
    if a.adjustments != b.adjustments:
        why.append(_money_change("adjustments", a.adjustments, b.adjustments))
    if a.carried_in != b.carried_in:
        why.append(_money_change("carried in", a.carried_in, b.carried_in))
    if (a.payout > 0) != (b.payout > 0):
        why.append("now paid out" if b.payout > 0 else "no longer paid out (net below the payout minimum)")
    return why
