"""A comparison of two runs as the edges give it: its rows in CSV (`manage.py compare_runs --csv`,
the admin's download), the name of a run, and the whole comparison as plain text (what
`manage.py compare_runs` prints)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from commissions.models import CloseRun
from commissions.selectors.comparison import Comparison, SideFigures, _signed
from core.money import money_str, points_str
from core.periods import period_label

CSV_COLUMNS = (
    "distributor_id", "name", "net_a", "net_b", "delta", "payout_a", "payout_b", "personal_a",
    "personal_b", "override_a", "override_b", "clawbacks_a", "clawbacks_b", "adjustments_a",
    "adjustments_b", "rank_a", "rank_b", "pv_a", "pv_b", "gv_a", "gv_b", "eligible_a", "eligible_b",
    "why",
)  # fmt: skip


def _cell_money(side: SideFigures | None, name: str) -> str:
    return "" if side is None else money_str(getattr(side, name))


def _cell_points(side: SideFigures | None, name: str) -> str:
    value = None if side is None else getattr(side, name)
    return "" if value is None else points_str(value)


def _cell_bool(side: SideFigures | None) -> str:
    if side is None or side.override_eligible is None:
        return ""
    return "true" if side.override_eligible else "false"


def comparison_csv_rows(comparison: Comparison) -> Iterator[list[str]]:
    """The comparison's rows in CSV_COLUMNS order (money with two decimals, points plain)."""
    for row in comparison.rows:
        a, b = row.a, row.b
        rank_a = "" if a is None or a.paid_as_rank is None else str(a.paid_as_rank)
        rank_b = "" if b is None or b.paid_as_rank is None else str(b.paid_as_rank)
        yield [
            row.external_id,
            row.name,
            _cell_money(a, "net"),
            _cell_money(b, "net"),
            money_str(row.delta),
            _cell_money(a, "payout"),
            _cell_money(b, "payout"),
            _cell_money(a, "personal"),
            _cell_money(b, "personal"),
            _cell_money(a, "override"),
            _cell_money(b, "override"),
            _cell_money(a, "clawbacks"),
            _cell_money(b, "clawbacks"),
            _cell_money(a, "adjustments"),
            _cell_money(b, "adjustments"),
            rank_a,
            rank_b,
            _cell_points(a, "pv"),
            _cell_points(b, "pv"),
            _cell_points(a, "gv"),
            _cell_points(b, "gv"),
            _cell_bool(a),
            _cell_bool(b),
            "; ".join(row.why),
        ]


def run_label(run: CloseRun) -> str:
    """'preview 12 of 2026-10 (plan 2026.1)': how a run is named on every page and in every file."""
    kind = "final close" if run.kind == "final" else "preview"
    return f"{kind} {run.pk} of {period_label(run.period.start)} (plan {run.plan.version})"


def _breakage_text(value: Decimal | None) -> str:
    return "?" if value is None else money_str(value)


def comparison_text(comparison: Comparison) -> str:
    """The comparison as plain text (what `manage.py compare_runs` prints)."""
    t = comparison.totals
    out = [
        f"A: {run_label(comparison.run_a)}",
        f"B: {run_label(comparison.run_b)}",
    ]
    if comparison.plan_changes:
        out.append("Plan parameters that differ:")
        out += [f"  {change}" for change in comparison.plan_changes]
    elif not comparison.same_plan:
        out.append("The two plan versions set the same parameters.")
    out += [
        f"distributors {t.distributors_a} → {t.distributors_b}; changed {t.changed}: "
        f"gainers {t.gainers}, losers {t.losers}",
        f"total paid {money_str(t.total_paid_a)} → {money_str(t.total_paid_b)}"
        f" ({_signed(t.total_paid_delta)})",
        f"breakage {_breakage_text(t.breakage_a)} → {_breakage_text(t.breakage_b)}",
    ]
    if comparison.rows:
        out.append("")
        out.append(f"{'distributor':<14}{'net A':>12}{'net B':>12}{'delta':>12}  rank  why")
    for row in comparison.rows:
        rank_a = "-" if row.a is None or row.a.paid_as_rank is None else str(row.a.paid_as_rank)
        rank_b = "-" if row.b is None or row.b.paid_as_rank is None else str(row.b.paid_as_rank)
        net_a, net_b = _cell_money(row.a, "net") or "-", _cell_money(row.b, "net") or "-"
        out.append(
            f"{row.external_id:<14}{net_a:>12}{net_b:>12}"
            f"{money_str(row.delta):>12}  {rank_a}→{rank_b}  {'; '.join(row.why)}"
        )
    if comparison.limited:
        out.append(f"... {t.changed - len(comparison.rows)} more changed distributors not shown (--limit).")
    return "\n".join(out)
