"""Pure in-memory commission engine; see types.py for the contract and docs/adr/0002-close-engine.md.

`compute_period(plan, inputs)` takes one period's per-distributor aggregates and returns every
distributor's volumes, rank and eligibility, the rounded ledger lines and the breakage. No
database, no per-node work beyond a few passes over flat lists.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

from commissions.engine.differential import differential
from commissions.engine.network import ZERO, EngineInputError, Network, NetworkShape, network_shape
from commissions.engine.types import DistributorInput, DistributorResult, EngineLine, PeriodResult
from commissions.engine.unilevel import overrides, roll_up_ranks
from core.money import CENT
from plans.document import PlanDocument

__all__ = ["EngineInputError", "NetworkShape", "compute_period", "network_shape"]

# The caller's decimal context must not change a result: 28 digits, like Python's default.
ENGINE_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


RanksCallback = Callable[[Sequence[int], Sequence[int], Sequence[int]], None]


def compute_period(
    plan: PlanDocument,
    inputs: Iterable[DistributorInput],
    *,
    ranked: RanksCallback | None = None,
    shape: NetworkShape | None = None,
) -> PeriodResult:
    """`ranked(ids, paid_as_ranks, titles)` is called as soon as the ranks are known, before the
    overrides (the close writes them to the distributors meanwhile). `shape`: the inputs' sponsor
    structure, if built already (network_shape); it is built from the inputs otherwise."""
    # Millions of small objects and no cycles: the cyclic collector would rescan the growing heap
    # again and again (quadratic in practice); reference counting frees everything anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with localcontext(ENGINE_CONTEXT):
            return _compute(plan, inputs, ranked, shape)
    finally:
        if collecting:
            gc.enable()


def _compute(
    plan: PlanDocument,
    inputs: Iterable[DistributorInput],
    ranked: RanksCallback | None,
    shape: NetworkShape | None,
) -> PeriodResult:
    net = Network(plan, inputs, shape)
    n = net.n
    if plan.is_differential:
        rank = subtree_max = [0] * n
    else:
        gv, rank, active_frontline, subtree_max = roll_up_ranks(plan, net)
    titles = [
        paid_as if paid_as > prior else prior for paid_as, prior in zip(rank, net.prior_title, strict=True)
    ]
    if ranked is not None:
        ranked(net.ids, rank, titles)
    if plan.is_differential:
        group_qv, group_cv, bonus_lines = differential(plan, net)
        gv = _group_volume(net)
        active_frontline = net.active_frontline()
        breakage = ZERO
    else:
        bonus_lines, breakage = overrides(plan, net, rank)
        group_qv, group_cv = gv, [ZERO] * n

    lines = _personal_lines(plan, net)
    lines.extend(bonus_lines)

    new = tuple.__new__  # the NamedTuples' own __new__ is Python code: too slow a million times
    pv, share, rewardable, active = net.pv, net.own_cv_share, net.rewardable_cv, net.active
    columns = zip(
        net.ids,
        net.customer_qv,
        net.own_qv,
        pv,
        gv,
        share,
        rewardable,
        active,
        net.requirement_met,
        net.eligible,
        rank,
        titles,
        active_frontline,
        subtree_max,
        group_qv,
        group_cv,
        strict=True,
    )
    results: dict[int, DistributorResult] = {values[0]: new(DistributorResult, values) for values in columns}
    return PeriodResult(results, lines, sum(rewardable, ZERO), breakage)


def _personal_lines(plan: PlanDocument, net: Network) -> list[EngineLine]:
    """Personal commission (compensation-plan §5): one line per distributor on what their customers paid."""
    rate = plan.personal_commission_rate
    lines: list[EngineLine] = []
    add = lines.append
    new = tuple.__new__
    for distributor_id, paid in zip(net.ids, net.customer_paid, strict=True):
        if paid > ZERO:
            amount = (rate * paid).quantize(CENT, ROUND_HALF_UP)
            if amount:
                add(new(EngineLine, ("personal", distributor_id, None, 0, rate, paid, amount)))
    return lines


def _group_volume(net: Network) -> list[Decimal]:
    """GV = PV + the whole downline's PV, uncompressed (reported in differential plans too)."""
    gv = list(net.pv)
    parent = net.parent
    for v in reversed(net.order):
        p = parent[v]
        if p >= 0:
            gv[p] += gv[v]
    return gv
