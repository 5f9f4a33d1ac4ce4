"""The plan's rules on one distributor's figures, the one home of each (compensation-plan §3, §4).

The engine applies them to everyone of a period at once: the list forms (`active_flags`,
`requirement_met_flags`, `eligible_flags`) cost no call per distributor. The close's aggregation,
the explanation of a result (commissions.selectors.explanation, .rank_checks), the open month's
standing (commissions.selectors.standing) and the live customer requirement
(commissions.selectors.customer_requirement) ask the same rules about one distributor, so what they
show and what the close pays cannot differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from plans.document import CustomerRequirement, PlanDocument

ACTIVE = "active"


def status_in_period(status: str, terminated_later: bool) -> str:
    """A distributor's status as it was in the period: a termination after the period's end did
    not affect it, so a distributor terminated later counts as active in it."""
    return ACTIVE if terminated_later and status == "terminated" else status


# --- activity, the customer requirement and override eligibility (compensation-plan §3)


def active_flags(plan: PlanDocument, pv: Sequence[Decimal]) -> list[bool]:
    """Active: PV at least the plan's activity threshold (everyone, when the plan has none)."""
    min_pv = plan.activity_min_pv
    return [True] * len(pv) if min_pv is None else [v >= min_pv for v in pv]


def is_active(plan: PlanDocument, pv: Decimal) -> bool:
    return active_flags(plan, [pv])[0]


def requirement_met_flags(
    requirement: CustomerRequirement | None, pcv: Sequence[Decimal], customer_count: Sequence[int]
) -> list[bool]:
    """The customer requirement: customer volume (PCV) or paying customers, either enough; met by
    everyone when the plan has none."""
    if requirement is None:
        return [True] * len(pcv)
    min_pcv, min_customers = requirement.min_pcv, requirement.min_customers
    return [
        (min_pcv is not None and qv >= min_pcv) or (min_customers is not None and count >= min_customers)
        for qv, count in zip(pcv, customer_count, strict=True)
    ]


def requirement_met(requirement: CustomerRequirement | None, pcv: Decimal, customer_count: int) -> bool:
    return requirement_met_flags(requirement, [pcv], [customer_count])[0]


def eligible_flags(active: Sequence[bool], met: Sequence[bool], statuses: Sequence[str]) -> list[bool]:
    """Override eligibility: active, the customer requirement met, and active in status in the
    period (not on hold, not terminated: status_in_period)."""
    return [a and m and status == ACTIVE for a, m, status in zip(active, met, statuses, strict=True)]


def is_eligible(active: bool, met: bool, status: str) -> bool:
    return eligible_flags([active], [met], [status])[0]


# --- rank requirements on the legs (compensation-plan §4)


def leg_contribution(gv: Decimal, cap: Decimal | None) -> Decimal:
    """What a leg's GV adds to qualifying GV: all of it, or at most the rank's cap per leg."""
    return cap if cap is not None and gv > cap else gv


def qualifying_gv(pv: Decimal, leg_gvs: Iterable[Decimal], cap: Decimal | None) -> Decimal:
    """Qualifying GV: PV plus every leg's GV up to the cap per leg, added in the legs' order."""
    qualifying = pv
    for gv in leg_gvs:
        qualifying += leg_contribution(gv, cap)
    return qualifying


def is_qualified_leg(highest_rank: int, leg_rank: int) -> bool:
    """A leg counts for a rank's qualified legs when someone in it (its head included) has at
    least the rank's leg rank."""
    return highest_rank >= leg_rank
