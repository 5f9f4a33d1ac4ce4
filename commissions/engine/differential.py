"""Stairstep differential plan (compensation-plan §10): group volume with breakaway, the bracket rate,
the differential."""

from __future__ import annotations

from bisect import bisect_right
from decimal import ROUND_HALF_UP, Decimal

from commissions.engine.network import ZERO, Network
from commissions.engine.types import EngineLine
from core.money import CENT
from plans.document import PlanDocument


def differential(plan: PlanDocument, net: Network) -> tuple[list[Decimal], list[Decimal], list[EngineLine]]:
    """Group QV and CV of everyone after breakaways, and the bonus lines, in one bottom-up pass.

    X earns rate(X) x groupCV(X) - sum over its frontline c of rate(c) x groupCV(c), rounded per
    part: one line for X's own volume and one per frontline leg still in X's group. A leg whose
    rate is at least X's pays X nothing on it (never a negative line).
    """
    n = net.n
    first_child, next_sibling, ids = net.first_child, net.next_sibling, net.ids
    pv, cv = net.pv, net.rewardable_cv
    schedule = plan.differential_schedule
    minimums = [bracket.min_group_qv for bracket in schedule]
    rates = [ZERO] + [bracket.rate for bracket in schedule]
    top = minimums[-1]
    breakaway = plan.differential_breakaway

    group_qv: list[Decimal] = [ZERO] * n
    group_cv: list[Decimal] = [ZERO] * n
    rate: list[Decimal] = [ZERO] * n
    lines: list[EngineLine] = []
    add = lines.append
    for v in reversed(net.order):
        qv, gcv = pv[v], cv[v]
        c = first_child[v]
        while c >= 0:
            if not (breakaway and group_qv[c] >= top):
                qv += group_qv[c]
                gcv += group_cv[c]
            c = next_sibling[c]
        group_qv[v], group_cv[v] = qv, gcv
        own_rate = rate[v] = rates[bisect_right(minimums, qv)]
        if not own_rate:
            continue
        amount = (own_rate * cv[v]).quantize(CENT, ROUND_HALF_UP)
        if amount > 0:
            add(EngineLine("override", ids[v], ids[v], 0, own_rate, cv[v], amount))
        c = first_child[v]
        while c >= 0:
            if not (breakaway and group_qv[c] >= top):
                difference = own_rate - rate[c]
                if difference > 0:
                    amount = (difference * group_cv[c]).quantize(CENT, ROUND_HALF_UP)
                    if amount > 0:
                        add(EngineLine("override", ids[v], ids[c], 1, difference, group_cv[c], amount))
            c = next_sibling[c]
    return group_qv, group_cv, lines
