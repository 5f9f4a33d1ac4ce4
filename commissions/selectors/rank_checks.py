"""Every rank of the plan checked against a distributor's numbers in a run, requirement by
requirement (the same tests the engine applies, compensation-plan §4), and the paid-as rank they
give: what the explanation and the rank progress show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from commissions.engine.rules import is_qualified_leg, leg_contribution, qualifying_gv
from commissions.models import DistributorPeriod
from commissions.selectors.legs import PeriodLeg
from core.templatetags import formatting  # numbers and ranks as the reader's language writes them
from plans.document import PlanDocument


def _number_text(value: Decimal | int | str) -> str:
    if isinstance(value, Decimal):
        return formatting.points(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return formatting.number(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One condition with the number required, the distributor's number and whether it is met."""

    label: str
    required: Decimal | int | str
    actual: Decimal | int | str
    met: bool
    detail: str = ""

    @property
    def required_text(self) -> str:
        return _number_text(self.required)

    @property
    def actual_text(self) -> str:
        return _number_text(self.actual)

    def __str__(self) -> str:
        text = (
            _("%(label)s: %(actual)s (needs %(required)s) — met")
            if self.met
            else _("%(label)s: %(actual)s (needs %(required)s) — NOT met")
        ) % {"label": self.label, "actual": self.actual_text, "required": self.required_text}
        return text + (f"; {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class LegContribution:
    leg: PeriodLeg
    contribution: Decimal  # min(GV of the leg, the cap per leg)
    capped: bool


@dataclass(frozen=True, slots=True)
class RankCheck:
    number: int
    name: str
    requirements: tuple[Requirement, ...]
    met: bool  # every requirement of this rank is met (the ranks below are not considered)
    qualifying_gv: Decimal | None  # with the leg cap applied, when the rank caps legs
    cap_per_leg: Decimal | None
    # Per leg: GV and what it contributes to this rank; of a frontline longer than LEGS_READ read
    # without `all_legs`, only the legs with the most GV (qualifying_gv still counts every leg).
    legs: tuple[LegContribution, ...]

    @property
    def missing(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if not r.met)


def plan_rank_names(plan: PlanDocument) -> dict[int, str]:
    """Rank number -> name in this plan document (0, no rank, has none)."""
    return {rank.number: rank.name for rank in plan.ranks}


def rank_checks(
    plan: PlanDocument, result: DistributorPeriod, legs: list[PeriodLeg], *, summary: dict | None = None
) -> list[RankCheck]:
    """Every rank of the plan, in order, with each requirement against the distributor's numbers
    (the same tests the engine applies, compensation-plan §4).

    `summary`: `result.leg_summary` when `legs` are only some of the frontline (the ones with the
    most GV): the qualifying GV and the qualified legs come from its sums over every leg, and the
    requirements' details name the legs given and count the others.
    """
    checks = []
    total = result.frontline_count if summary is not None else None
    pv = result.pv
    names = plan_rank_names(plan)
    for index, rank in enumerate(plan.ranks):
        requirements = []
        if index == 0 and plan.activity_min_pv is not None:
            requirements.append(
                Requirement(
                    _("Active (PV)"), plan.activity_min_pv, pv, bool(result.active), _("ranks need activity")
                )
            )
        requirements.append(Requirement(_("Personal volume (PV)"), rank.min_pv, pv, pv >= rank.min_pv))
        if rank.active_frontline:
            requirements.append(
                Requirement(
                    _("Active frontline"),
                    rank.active_frontline,
                    result.active_frontline,
                    result.active_frontline >= rank.active_frontline,
                )
            )
        cap = rank.max_per_leg
        contributions: list[LegContribution] = []
        qualifying = None
        if rank.min_gv:
            if cap is not None:
                qualifying = qualifying_gv(pv, (leg.gv for leg in legs), cap)
                contributions = [
                    LegContribution(leg, leg_contribution(leg.gv, cap), leg.gv > cap) for leg in legs
                ]
                if summary is not None:
                    # PV + every leg up to the cap = GV - what the legs have above the cap.
                    qualifying = result.gv - Decimal(summary["above"].get(str(rank.number), "0"))
                parts = _leg_parts(contributions, total)
                detail = f"PV {formatting.points(pv)} + {' + '.join(parts) or '0'}"
                detail += "; " + _("at most %(cap)s from any one leg") % {"cap": formatting.points(cap)}
                requirements.append(
                    Requirement(
                        _("Qualifying GV"), rank.min_gv, qualifying, qualifying >= rank.min_gv, detail
                    )
                )
            else:
                requirements.append(
                    Requirement(_("Group volume (GV)"), rank.min_gv, result.gv, result.gv >= rank.min_gv)
                )
        if rank.qualified_legs:
            qualified = [leg for leg in legs if is_qualified_leg(leg.highest_rank, rank.leg_rank)]
            count = len(qualified)
            if summary is not None:
                count = int(summary["qualified"].get(str(rank.number), 0))
            detail = ", ".join(
                _some(
                    qualified,
                    lambda leg: (
                        _("%(leg)s (rank %(rank)s)")
                        % {"leg": leg.external_id, "rank": formatting.rank(leg.highest_rank, names)}
                    ),
                    count,
                )
            )
            requirements.append(
                Requirement(
                    _("Legs with a rank ≥ %(rank)s") % {"rank": formatting.rank(rank.leg_rank, names)},
                    rank.qualified_legs,
                    count,
                    count >= rank.qualified_legs,
                    detail,
                )
            )
        checks.append(
            RankCheck(
                rank.number,
                rank.name,
                tuple(requirements),
                all(r.met for r in requirements),
                qualifying,
                cap,
                tuple(contributions),
            )
        )
    return checks


# A leader's frontline can hold thousands of legs: a requirement's detail names this many.
DETAIL_LEGS = 20


def _some(items: list, text: Callable[[Any], str], total: int | None = None) -> list[str]:
    """`text` of the first DETAIL_LEGS items, and how many more there are (`total`: all of them,
    when `items` are only some)."""
    parts = [text(item) for item in items[:DETAIL_LEGS]]
    more = (len(items) if total is None else max(total, len(items))) - len(parts)
    if more > 0:
        parts.append(_("%(count)s more") % {"count": more})
    return parts


def _leg_parts(contributions: list[LegContribution], total: int | None = None) -> list[str]:
    return _some(
        contributions,
        lambda c: (
            f"{c.leg.external_id} {formatting.points(c.contribution)}"
            + (" " + _("(of %(gv)s)") % {"gv": formatting.points(c.leg.gv)} if c.capped else "")
        ),
        total,
    )


def paid_as_from_checks(checks: list[RankCheck]) -> int:
    """The highest rank met together with every rank below it (ranks are cumulative)."""
    paid_as = 0
    for check in checks:
        if not check.met:
            break
        paid_as = check.number
    return paid_as
