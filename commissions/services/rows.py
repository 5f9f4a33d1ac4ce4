"""The rows a close writes, as plain tuples (cheap to build for a million distributors, to ship to
chunk workers in a payload, and to COPY into PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class LineRow(NamedTuple):
    distributor_id: int
    kind: str
    key: str
    source_id: int | None
    level: int
    rate: Decimal
    base: Decimal
    amount: Decimal
    original_period: str | None  # ISO date of the reversed period (clawbacks)
    reversed_line_id: int | None
    adjustment_id: int | None


class StatementRow(NamedTuple):
    distributor_id: int
    carried_in: Decimal
    personal: Decimal
    override: Decimal
    clawbacks: Decimal
    adjustments: Decimal
    net: Decimal
    payout: Decimal
    carried_out: Decimal


LINE_COLUMNS = (
    "distributor_id", "kind", "key", "source_id", "level", "rate", "base", "amount",
    "original_period", "reversed_line_id", "adjustment_id",
)  # fmt: skip
STATEMENT_COLUMNS = (
    "distributor_id", "carried_in", "personal", "override", "clawbacks", "adjustments", "net",
    "payout", "carried_out",
)  # fmt: skip
RESULT_COLUMNS = (
    "distributor_id", "sponsor_id_in_period", "pcv", "ppc", "pv", "gv", "customer_cv", "own_cv",
    "customer_paid", "customer_count", "own_cv_share", "rewardable_cv", "active",
    "customer_requirement_met", "override_eligible", "paid_as_rank", "title", "active_frontline",
    "group_qv", "group_cv", "subtree_max_rank", "frontline_count", "leg_summary",
)  # fmt: skip


def line_key(kind: str, source_id: int | None, level: int, original_period: str | None = None) -> str:
    """The line's identity within a run and earner: a re-run can never write it twice."""
    if kind == "personal":
        return "personal"
    if kind == "override":
        return f"override:{source_id}:{level}"
    if kind == "clawback-personal":
        return f"clawback:personal:{original_period}"
    if kind == "clawback-override":
        return f"clawback:override:{source_id}:{level}:{original_period}"
    raise ValueError(kind)
