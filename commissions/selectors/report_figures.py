"""The figures of a close run that the compliance report needs, computed by the close from its own
aggregation and the rows it writes, and kept in the run's summary: so the report (compliance)
reads no order line, ledger line or statement, and the close depends on nothing above it (the
layers, pyproject.toml). And the run's period report as its summary keeps it (`period_report`),
for the admin's run page and `manage.py close_period`."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Self

from core.money import ZERO


class StoredFigures:
    """Figures kept in a close run's summary (JSON): every field an int or a Decimal, or None."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def as_json(self) -> dict[str, str | None]:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {name: None if value is None else str(value) for name, value in values.items()}

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Self:
        kinds = {name: f.type for name, f in cls.__dataclass_fields__.items()}
        return cls(
            **{
                name: None if data[name] is None else (int if kind == "int" else Decimal)(data[name])
                for name, kind in kinds.items()
            }
        )


@dataclass(frozen=True)
class OrderFigures(StoredFigures):
    """A period's orders as the compliance report counts them (docs/compliance.md), from the
    close's own per-distributor aggregation (commissions.services.aggregation.order_volumes)."""

    customer_qv: Decimal
    own_qv: Decimal
    customer_value: Decimal
    own_value: Decimal
    inventory_qv: Decimal
    inventory_value: Decimal
    over_cap_qv: Decimal  # own QV above the consumption cap, summed over distributors
    over_cap_distributors: int
    own_buyers: int  # distributors with own QV
    inventory_buyers: int
    inventory_without_sales: int  # bought inventory, sold nothing to customers
    inventory_without_sales_value: Decimal


def order_figures(volumes: Iterable[Any], cap: Decimal | None) -> OrderFigures:
    """Sum per-distributor OrderVolumes into the report's order figures; `cap` is the plan's
    personal consumption cap in QV (None: no cap, nobody is over it)."""
    cqv = oqv = cvalue = ovalue = iqv = ivalue = over_qv = idle_value = ZERO
    over_n = own_n = inventory_n = idle_n = 0
    for v in volumes:
        cqv += v.customer_qv
        oqv += v.own_qv
        cvalue += v.customer_value
        ovalue += v.own_value
        iqv += v.inventory_qv
        ivalue += v.inventory_value
        if v.own_qv > 0:
            own_n += 1
            if cap is not None and v.own_qv > cap:
                over_n += 1
                over_qv += v.own_qv - cap
        if v.inventory_qv > 0:
            inventory_n += 1
            if v.customer_qv <= 0:
                idle_n += 1
                idle_value += v.inventory_value
    return OrderFigures(
        cqv, oqv, cvalue, ovalue, iqv, ivalue, over_qv, over_n, own_n, inventory_n, idle_n, idle_value
    )


@dataclass(frozen=True)
class RunFigures(StoredFigures):
    """A close run's rewards and payouts as the compliance report counts them, computed by the close
    from the very rows it writes (run_figures), so the report reads no ledger line or statement."""

    personal: Decimal  # personal commission paid (all of it is customer sales)
    override: Decimal
    override_customer: Decimal  # override money in its sources' customer CV share of rewardable CV
    statements: int
    earning: int  # statements with earnings above zero
    paid: int  # statements with a payout
    total_payout: Decimal
    paid_payout: Decimal  # the positive payouts' sum
    median_payout: Decimal | None
    median_payout_paid: Decimal | None


_STORED_RATIO_PLACES = Decimal("1E-12")  # the scale results store rewardable CV with


@dataclass(frozen=True)
class LineSums:
    """Personal and override money of a run's ledger lines, and the override money per source."""

    personal: Decimal = ZERO
    override: Decimal = ZERO
    override_by_source: dict[int, Decimal] = field(default_factory=dict)


def run_figures(
    lines: LineSums, statements: Iterable[Any], sources: Iterable[tuple[int, Decimal, Decimal]]
) -> RunFigures:
    """The report's figures of a run from the sums of its ledger lines (as the close sums them
    while it sorts the lines into chunks; empty when only statements are read back), its
    statements as the close computed them (StatementRow tuples), and (distributor id, customer
    CV, rewardable CV) of every distributor in the run. Tuples are read by position: a million
    of them."""
    personal, override = lines.personal, lines.override
    get = lines.override_by_source.get
    override_customer = ZERO
    for source_id, customer_cv, rewardable_cv in sources:
        amount = get(source_id)
        if amount is None or not customer_cv:
            continue
        if customer_cv == rewardable_cv:  # all of it from customers (most sources)
            override_customer += amount
            continue
        # Rewardable CV as the results table stores it (numeric(32,12), half away from zero).
        rewardable = rewardable_cv.quantize(_STORED_RATIO_PLACES, ROUND_HALF_UP)
        if rewardable > 0:
            override_customer += amount * customer_cv / rewardable
    earning = 0
    zeros = 0
    nonzero = []
    for statement in statements:  # StatementRow: ..., personal, override, clawbacks, adjustments, ...
        if statement[2] + statement[3] + statement[4] + statement[5] > 0:
            earning += 1
        payout = statement[7]
        if payout:
            nonzero.append(payout)
        else:
            zeros += 1
    nonzero.sort()
    # Most payouts are zero (below the minimum): sort the others and put the zeros in their place.
    below = bisect.bisect_left(nonzero, ZERO)
    payouts = nonzero[:below] + [ZERO] * zeros + nonzero[below:]
    paid = nonzero[below:]
    return RunFigures(
        personal=personal,
        override=override,
        override_customer=override_customer,
        statements=len(payouts),
        earning=earning,
        paid=len(paid),
        total_payout=sum(nonzero, ZERO),
        paid_payout=sum(paid, ZERO),
        median_payout=median(payouts) if payouts else None,
        median_payout_paid=median(paid) if paid else None,
    )


@dataclass(frozen=True)
class PeriodReport:
    """A run's period report (compensation-plan §9) as its summary keeps it: amounts as the decimal
    text stored, counts as numbers, None for a figure the run did not store."""

    period: str | None
    plan: str | None
    distributors: int | None
    ranks: dict[str, int]  # paid-as rank -> how many distributors, by rank
    total_rewardable_cv: str | None
    personal: str | None
    override: str | None
    clawbacks: str | None
    adjustments: str | None
    carried_in: str | None
    total_paid: str | None
    paid_distributors: int | None
    carried_out: str | None
    breakage: str | None
    host_credit_issued: str | None
    lines: int | None
    duration_seconds: float | None


_REPORT_TOTALS = ("personal", "override", "clawbacks", "adjustments", "carried_in", "carried_out")
_REPORT_FIGURES = (
    "period", "plan", "distributors", "total_rewardable_cv", "total_paid", "paid_distributors", "breakage",
    "host_credit_issued", "lines", "duration_seconds",
)  # fmt: skip


def period_report(run: Any) -> PeriodReport | None:
    """The run's period report; None while it has none (until its compute is done)."""
    summary = run.summary or {}
    if not summary:
        return None
    totals = summary.get("totals", {})
    return PeriodReport(
        ranks=summary.get("ranks") or {},
        **{name: summary.get(name) for name in _REPORT_FIGURES},
        **{name: totals.get(name) for name in _REPORT_TOTALS},
    )


def stored_run_figures(run: Any) -> RunFigures | None:
    """The figures a close run computed as it closed; None for a run from before they were kept."""
    data = (run.summary or {}).get("run_figures")
    return RunFigures.from_json(data) if data else None


def median(values: list[Decimal]) -> Decimal:
    """The middle value of an ascending list; the mean of the two middle ones for an even count."""
    n = len(values)
    if n == 0:
        return ZERO
    middle = n // 2
    if n % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2
