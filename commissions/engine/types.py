"""The contract between the close orchestration (SQL in, ledger out) and the pure engine.

The engine is pure Python: no database, no Django models. It takes one period's per-distributor
aggregates and the parsed plan, rolls the tree up in memory in one pass, and returns per-distributor
results and rounded ledger lines. The orchestration (commissions/close/) aggregates the
order lines in SQL, calls `compute_period`, and writes the results in bulk.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class DistributorInput(NamedTuple):
    """One distributor's aggregates for the period (same-period returns already netted out)."""

    id: int
    sponsor_id: int | None
    status: str  # "active" | "hold" | "terminated"
    customer_qv: Decimal  # PCV: QV of customer orders credited to the distributor
    customer_cv: Decimal  # CV of those customer orders
    customer_paid: Decimal  # ex-VAT amount customers actually paid on them (personal commission base)
    own_qv: Decimal  # PPC: QV of the distributor's own (personal/inventory) orders
    own_cv: Decimal  # CV of those own orders
    customer_count: int  # distinct paying real customers in the period
    prior_title: int  # title (highest paid-as rank ever) before this period


class DistributorResult(NamedTuple):
    id: int
    pcv: Decimal
    ppc: Decimal
    pv: Decimal  # PCV + min(PPC, cap)
    gv: Decimal  # PV + sum of frontline GV (uncompressed)
    own_cv_share: Decimal  # min(1, cap / PPC); 1 when PPC is 0 or there is no cap
    rewardable_cv: Decimal  # customer CV + own CV x own_cv_share
    active: bool
    customer_requirement_met: bool
    override_eligible: bool
    paid_as_rank: int  # 0 when not active; always 0 in a differential plan
    title: int  # max(prior_title, paid_as_rank)
    active_frontline: int  # frontline members who are active
    subtree_max_rank: int  # highest paid-as rank in self + whole downline (for leg qualification)
    group_qv: Decimal  # differential plans: group volume after breakaways (else equal to gv)
    group_cv: Decimal  # differential plans: group CV after breakaways (else 0)


class EngineLine(NamedTuple):
    """A ledger line before it is written, already rounded to cents (compensation-plan §9)."""

    kind: str  # "personal" | "override"
    earner_id: int
    source_id: int | None  # override: the source distributor (differential: the frontline leg,
    #                         or the earner itself for the own-volume line); personal: None
    level: int  # compressed level 1..n for overrides; 0 for personal and differential own volume
    rate: Decimal
    base: Decimal  # the amount the rate applies to (CV, or what customers paid)
    amount: Decimal  # round(base x rate) half away from zero, to cents


class PeriodResult(NamedTuple):
    distributors: dict[int, DistributorResult]
    lines: list[EngineLine]
    total_rewardable_cv: Decimal
    # Override money not paid: for every source and every plan level 1..n, round(rewardable CV x
    # level rate) where nobody was paid on that level (an eligible upline whose rank does not
    # unlock it, or the walk ran out of uplines). Differential plans: 0.
    breakage: Decimal
