"""Unilevel plan: group volume, paid-as ranks bottom-up, overrides with dynamic compression
(compensation-plan §2-§6)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from commissions.engine.network import ZERO, Network
from commissions.engine.rules import is_qualified_leg, qualifying_gv
from commissions.engine.types import EngineLine
from core.money import CENT
from plans.document import PlanDocument


def roll_up_ranks(plan: PlanDocument, net: Network) -> tuple[list[Decimal], list[int], list[int], list[int]]:
    """GV, paid-as rank, active frontline and subtree max rank of everyone, in one bottom-up pass.

    A rank needs the GV and the subtree max rank of every leg, so each distributor is ranked
    after the whole frontline (reverse breadth-first order); one pass gives all four lists.
    """
    n = net.n
    pv, active = net.pv, net.active
    first_child, next_sibling = net.first_child, net.next_sibling
    gv: list[Decimal] = [ZERO] * n
    rank = [0] * n
    active_frontline = [0] * n
    subtree_max = [0] * n
    # Per rank: (number, min PV, active frontline, min GV, max GV per leg or None, legs, leg rank).
    ranks = [
        (r.number, r.min_pv, r.active_frontline, r.min_gv, r.max_per_leg, r.qualified_legs, r.leg_rank)
        for r in plan.ranks
    ]

    for v in reversed(net.order):
        g = pv[v]
        frontline_active = 0
        best_below = 0
        c = first_child[v]
        while c >= 0:
            g += gv[c]
            if active[c]:
                frontline_active += 1
            if subtree_max[c] > best_below:
                best_below = subtree_max[c]
            c = next_sibling[c]
        gv[v] = g
        active_frontline[v] = frontline_active

        paid_as = 0
        if active[v]:
            own = pv[v]
            for number, min_pv, min_frontline, min_gv, per_leg, legs, leg_rank in ranks:
                # Raw GV bounds qualifying GV from above: most distributors fail here cheaply.
                if own < min_pv or frontline_active < min_frontline or g < min_gv:
                    break
                if per_leg is not None:
                    frontline = _frontline(v, first_child, next_sibling)
                    if qualifying_gv(own, (gv[c] for c in frontline), per_leg) < min_gv:
                        break
                if legs:
                    if best_below < leg_rank:
                        break
                    frontline = _frontline(v, first_child, next_sibling)
                    if sum(1 for c in frontline if is_qualified_leg(subtree_max[c], leg_rank)) < legs:
                        break
                paid_as = number
        rank[v] = paid_as
        subtree_max[v] = paid_as if paid_as > best_below else best_below
    return gv, rank, active_frontline, subtree_max


def _frontline(v: int, first_child: list[int], next_sibling: list[int]) -> Iterator[int]:
    c = first_child[v]
    while c >= 0:
        yield c
        c = next_sibling[c]


def overrides(plan: PlanDocument, net: Network, rank: list[int]) -> tuple[list[EngineLine], Decimal]:
    """Override lines of every source's rewardable CV, and the breakage (compensation-plan §6).

    `up[v]` is v's nearest upline who is not compressed out, computed top-down once, so a walk
    takes one step per level however many skipped uplines lie between. With roll-up, `stop[k][v]`
    is the first upline from v (inclusive, along `up`) who settles a level needing rank k: one who
    can be paid on it, or one who is not eligible and so uses it up for nothing.
    """
    n = net.n
    parent, order, ids = net.parent, net.order, net.ids
    eligible, active = net.eligible, net.active
    levels = [(level.level, level.rate, level.min_rank) for level in plan.levels]
    if plan.compression == "not_eligible":
        skipped = [not e for e in eligible]
    elif plan.compression == "inactive":
        skipped = [not a for a in active]
    else:
        skipped = [False] * n

    up = [-1] * n
    for v in order:
        p = parent[v]
        if p >= 0:
            up[v] = up[p] if skipped[p] else p

    stops: dict[int, list[int]] = {}
    if plan.roll_up:
        for k in {min_rank for _, _, min_rank in levels}:
            stop = [-1] * n
            for v in order:
                if not skipped[v] and (not eligible[v] or rank[v] >= k):
                    stop[v] = v
                else:
                    u = up[v]
                    stop[v] = stop[u] if u >= 0 else -1
            stops[k] = stop
    level_stops = [stops.get(min_rank) for _, _, min_rank in levels]
    roll_up = plan.roll_up

    lines: list[EngineLine] = []
    add = lines.append
    new_line = tuple.__new__  # EngineLine's own __new__ is Python code: too slow a million times
    numbers = [number for number, _, _ in levels]
    rates = [rate for _, rate, _ in levels]
    min_ranks = [min_rank for _, _, min_rank in levels]
    level_count = len(levels)
    # The rank an upline can be paid with: -1 when not override-eligible (never enough).
    payable = [r if e else -1 for r, e in zip(rank, eligible, strict=True)]
    # Volumes repeat (product CVs add up to the same sums): round each value's levels once.
    rewardable_cv = net.rewardable_cv
    sources = [s for s, cv in enumerate(rewardable_cv) if cv > ZERO]
    cvs = [rewardable_cv[s] for s in sources]
    # Volumes repeat (product CVs add up to the same sums): round each value's levels once.
    amounts_of = {cv: [(cv * rate).quantize(CENT, ROUND_HALF_UP) for rate in rates] for cv in set(cvs)}
    paid = ZERO

    if roll_up:
        for s, cv in zip(sources, cvs, strict=True):
            amounts = amounts_of[cv]
            u = up[s]
            index = 0
            while u >= 0 and index < level_count:
                u = level_stops[index][u]
                if u < 0:
                    break
                if payable[u] >= min_ranks[index]:
                    amount = amounts[index]
                    if amount:
                        paid += amount
                        add(
                            new_line(
                                EngineLine,
                                ("override", ids[u], ids[s], numbers[index], rates[index], cv, amount),
                            )
                        )
                u = up[u]
                index += 1
    else:
        # Level by level for all sources at once: `at[j]` is the upline source j reached at this
        # level (n past the top, a sentinel who is never payable and is its own upline).
        step = [u if u >= 0 else n for u in up]
        step.append(n)
        payable.append(-1)
        at = [step[s] for s in sources]
        for index in range(level_count):
            min_rank, number, rate = min_ranks[index], numbers[index], rates[index]
            for j in [j for j, u in enumerate(at) if payable[u] >= min_rank]:
                u, cv = at[j], cvs[j]
                amount = amounts_of[cv][index]
                if amount:
                    paid += amount
                    add(new_line(EngineLine, ("override", ids[u], ids[sources[j]], number, rate, cv, amount)))
            at = [step[u] for u in at]
    # Breakage is what every level of every source could pay minus what was paid.
    totals = {cv: sum(amounts, ZERO) for cv, amounts in amounts_of.items()}
    potential = sum((totals[cv] for cv in cvs), ZERO)
    return lines, potential - paid
