"""A slow, obviously correct transcription of compensation-plan.md §2-§6 and §10.

For small trees only: recursion over explicit children lists, whole-downline enumeration for every
question, a literal upline walk per source. The property test holds the fast engine to it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from commissions.engine.types import DistributorInput, DistributorResult, EngineLine, PeriodResult
from plans.document import PlanDocument

CENT = Decimal("0.01")


def rounded(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def reference_compute_period(plan: PlanDocument, inputs: list[DistributorInput]) -> PeriodResult:
    by_id = {d.id: d for d in inputs}
    children: dict[int, list[int]] = {d.id: [] for d in inputs}
    for d in inputs:
        if d.sponsor_id is not None:
            children[d.sponsor_id].append(d.id)

    @cache
    def downline(x: int) -> list[int]:
        """Everyone below x, at any depth."""
        found = []
        for c in children[x]:
            found.append(c)
            found.extend(downline(c))
        return found

    def uplines(x: int) -> list[int]:
        """x's sponsor, their sponsor, ... up to the root."""
        line = []
        s = by_id[x].sponsor_id
        while s is not None:
            line.append(s)
            s = by_id[s].sponsor_id
        return line

    cap = plan.personal_consumption_cap_qv

    def pv(x: int) -> Decimal:
        d = by_id[x]
        return d.customer_qv + (d.own_qv if cap is None else min(d.own_qv, cap))

    def own_cv_share(x: int) -> Decimal:
        d = by_id[x]
        if cap is None or d.own_qv <= cap:
            return Decimal(1)
        return cap / d.own_qv

    def rewardable_cv(x: int) -> Decimal:
        d = by_id[x]
        if cap is None or d.own_qv <= cap:
            return d.customer_cv + d.own_cv
        return d.customer_cv + d.own_cv * cap / d.own_qv

    @cache
    def gv(x: int) -> Decimal:
        return pv(x) + sum((gv(c) for c in children[x]), Decimal(0))

    def active(x: int) -> bool:
        return plan.activity_min_pv is None or pv(x) >= plan.activity_min_pv

    def requirement_met(x: int) -> bool:
        req = plan.customer_requirement
        if req is None:
            return True
        d = by_id[x]
        by_pcv = req.min_pcv is not None and d.customer_qv >= req.min_pcv
        by_count = req.min_customers is not None and d.customer_count >= req.min_customers
        return by_pcv or by_count

    def eligible(x: int) -> bool:
        return active(x) and by_id[x].status == "active" and requirement_met(x)

    rank_cache: dict[int, int] = {}

    def meets(x: int, r) -> bool:
        if pv(x) < r.min_pv:
            return False
        if sum(1 for c in children[x] if active(c)) < r.active_frontline:
            return False
        qualifying = pv(x)
        for c in children[x]:
            qualifying += gv(c) if r.max_leg_share is None else min(gv(c), r.max_leg_share * r.min_gv)
        if qualifying < r.min_gv:
            return False
        qualified = [c for c in children[x] if any(rank(m) >= r.leg_rank for m in [c, *downline(c)])]
        return len(qualified) >= r.qualified_legs

    def rank(x: int) -> int:
        if x not in rank_cache:
            best = 0
            if active(x) and not plan.is_differential:
                for r in plan.ranks:
                    if all(meets(x, lower) for lower in plan.ranks if lower.number <= r.number):
                        best = r.number
            rank_cache[x] = best
        return rank_cache[x]

    lines: list[EngineLine] = []
    for d in inputs:
        if d.customer_paid > 0:
            amount = rounded(plan.personal_commission_rate * d.customer_paid)
            if amount != 0:
                lines.append(
                    EngineLine(
                        "personal", d.id, None, 0, plan.personal_commission_rate, d.customer_paid, amount
                    )
                )

    breakage = Decimal(0)
    group_qv: dict[int, Decimal] = {}
    group_cv: dict[int, Decimal] = {}
    if not plan.is_differential:
        for d in inputs:
            group_qv[d.id], group_cv[d.id] = gv(d.id), Decimal(0)
        breakage = reference_overrides(plan, inputs, uplines, rewardable_cv, eligible, active, rank, lines)
    else:
        top = plan.differential_schedule[-1].min_group_qv

        def broken_away(c: int) -> bool:
            return plan.differential_breakaway and gqv(c) >= top

        @cache
        def gqv(x: int) -> Decimal:
            return pv(x) + sum((gqv(c) for c in children[x] if not broken_away(c)), Decimal(0))

        @cache
        def gcv(x: int) -> Decimal:
            return rewardable_cv(x) + sum((gcv(c) for c in children[x] if not broken_away(c)), Decimal(0))

        def rate(x: int) -> Decimal:
            found = Decimal(0)
            for bracket in plan.differential_schedule:
                if gqv(x) >= bracket.min_group_qv:
                    found = bracket.rate
            return found

        for d in inputs:
            x = d.id
            group_qv[x], group_cv[x] = gqv(x), gcv(x)
            own = rounded(rate(x) * rewardable_cv(x))
            if own > 0:
                lines.append(EngineLine("override", x, x, 0, rate(x), rewardable_cv(x), own))
            for c in children[x]:
                if broken_away(c):
                    continue
                part = rounded(rate(x) * gcv(c) - rate(c) * gcv(c))
                if part > 0:
                    lines.append(EngineLine("override", x, c, 1, rate(x) - rate(c), gcv(c), part))

    results = {}
    for d in inputs:
        x = d.id
        results[x] = DistributorResult(
            id=x,
            pcv=d.customer_qv,
            ppc=d.own_qv,
            pv=pv(x),
            gv=gv(x),
            own_cv_share=own_cv_share(x),
            rewardable_cv=rewardable_cv(x),
            active=active(x),
            customer_requirement_met=requirement_met(x),
            override_eligible=eligible(x),
            paid_as_rank=rank(x),
            title=max(d.prior_title, rank(x)),
            active_frontline=sum(1 for c in children[x] if active(c)),
            subtree_max_rank=max(rank(m) for m in [x, *downline(x)]),
            group_qv=group_qv[x],
            group_cv=group_cv[x],
        )
    total = sum((rewardable_cv(d.id) for d in inputs), Decimal(0))
    return PeriodResult(results, lines, total, breakage)


def reference_overrides(plan, inputs, uplines, rewardable_cv, eligible, active, rank, lines) -> Decimal:
    """compensation-plan §6 walked literally for every source: skip, pay or break, level by level."""

    def skipped(u: int) -> bool:
        if plan.compression == "not_eligible":
            return not eligible(u)
        if plan.compression == "inactive":
            return not active(u)
        return False

    breakage = Decimal(0)
    for d in inputs:
        cv = rewardable_cv(d.id)
        if not cv > 0:
            continue
        walk = [u for u in uplines(d.id) if not skipped(u)]
        position = 0
        for level in plan.levels:
            amount = rounded(cv * level.rate)
            paid = False
            while position < len(walk):
                u = walk[position]
                position += 1
                if eligible(u) and rank(u) >= level.min_rank:
                    if amount != 0:
                        lines.append(EngineLine("override", u, d.id, level.level, level.rate, cv, amount))
                    paid = True
                    break
                if plan.roll_up and eligible(u):
                    continue  # an eligible upline whose rank is too low does not use the level up
                break  # the level is used up for nothing
            if not paid:
                breakage += amount
    return breakage
