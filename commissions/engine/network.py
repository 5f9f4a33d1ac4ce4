"""The period's network in flat lists: positions instead of ids, one order for every pass.

Everything here is per-distributor and independent of the plan type: personal volumes, the
personal consumption cap, activity and override eligibility (compensation-plan §2-§3). No recursion anywhere:
a sponsor line ten thousand deep is one more loop iteration, not a stack frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from commissions.engine.rules import active_flags, eligible_flags, requirement_met_flags
from commissions.engine.types import DistributorInput
from core.errors import ApplicationError
from plans.document import PlanDocument

ONE = Decimal(1)
ZERO = Decimal(0)


class EngineInputError(ApplicationError):
    """The period's inputs do not form a forest (unknown sponsor, duplicate id, a cycle)."""


class NetworkShape(NamedTuple):
    """The sponsor structure of a list of distributors, by position: everything in Network that
    depends on who sponsors whom and on nothing else. The close builds it from the distributors
    while the order volumes are still being summed."""

    ids: tuple[int, ...]
    sponsors: tuple[int | None, ...]
    parent: list[int]
    first_child: list[int]
    next_sibling: list[int]
    # Sponsors before their frontline (breadth first from the roots); backwards, bottom-up.
    order: list[int]


def network_shape(ids: Sequence[int], sponsors: Sequence[int | None]) -> NetworkShape:
    """The structure of distributors `ids` with sponsors `sponsors` (same positions); raises
    EngineInputError unless they form a forest (unknown sponsor, duplicate id, a cycle)."""
    ids, sponsors = tuple(ids), tuple(sponsors)
    n = len(ids)
    position = {distributor_id: i for i, distributor_id in enumerate(ids)}
    if len(position) != n:
        seen: set[int] = set()
        duplicates = sorted({x for x in ids if x in seen or seen.add(x)})  # type: ignore[func-returns-value]
        raise EngineInputError(
            f"Distributors listed more than once in the period's inputs: {duplicates[:10]}"
        )

    parent = [-1] * n
    first_child = [-1] * n
    next_sibling = [-1] * n
    roots = []
    get = position.get
    for i, sponsor_id in enumerate(sponsors):
        if sponsor_id is None:
            roots.append(i)
            continue
        p = get(sponsor_id, -1)
        if p < 0:
            raise EngineInputError(
                f"Distributor {ids[i]} has sponsor {sponsor_id}, who is not in the period's inputs."
            )
        parent[i] = p
        next_sibling[i] = first_child[p]
        first_child[p] = i

    # Breadth first from the roots: sponsors before their frontline, no recursion.
    order = roots
    append = order.append
    for v in order:
        c = first_child[v]
        while c >= 0:
            append(c)
            c = next_sibling[c]
    if len(order) != n:
        reached = set(order)
        stuck = [ids[i] for i in range(n) if i not in reached][:10]
        raise EngineInputError(f"The sponsor lines of these distributors form a cycle: {stuck}")
    return NetworkShape(ids, sponsors, parent, first_child, next_sibling, order)


class Network:
    """Flat, index-addressed view of one period's inputs.

    `order` lists positions so that every sponsor comes before its frontline (breadth first from
    the roots); walking it backwards visits every frontline before its sponsor, which is all a
    bottom-up roll-up needs.
    """

    __slots__ = (
        "n", "ids", "customer_qv", "own_qv", "customer_paid", "prior_title",
        "parent", "first_child", "next_sibling", "order",
        "pv", "own_cv_share", "rewardable_cv", "active", "requirement_met", "eligible",
    )  # fmt: skip

    def __init__(
        self, plan: PlanDocument, inputs: Iterable[DistributorInput], shape: NetworkShape | None = None
    ):
        """`shape`: the sponsor structure of these inputs' ids, if built already (network_shape);
        built here otherwise."""
        rows = inputs if isinstance(inputs, list) else list(inputs)
        n = self.n = len(rows)
        if n == 0:
            columns: list[tuple] = [()] * 10
        else:
            columns = list(zip(*rows, strict=True))
        ids, sponsors, statuses, customer_qv, customer_cv, paid, own_qv, own_cv, customer_count, title = (
            columns
        )
        self.ids, self.customer_qv, self.own_qv = ids, customer_qv, own_qv
        self.customer_paid, self.prior_title = paid, title

        if shape is None or shape.ids != ids or shape.sponsors != sponsors:
            shape = network_shape(ids, sponsors)
        self.parent, self.first_child, self.next_sibling = shape.parent, shape.first_child, shape.next_sibling
        self.order = shape.order

        # Personal volume and the personal consumption cap (compensation-plan §2).
        cap = plan.personal_consumption_cap_qv
        pv: list[Decimal] = [ZERO] * n
        share: list[Decimal] = [ONE] * n
        rewardable: list[Decimal] = [ZERO] * n
        for i in range(n):
            ppc = own_qv[i]
            if cap is None or ppc <= cap:
                pv[i] = customer_qv[i] + ppc
                rewardable[i] = customer_cv[i] + own_cv[i]
            else:
                pv[i] = customer_qv[i] + cap
                share[i] = cap / ppc
                # Multiply before dividing: exact whenever the true value is a finite decimal.
                rewardable[i] = customer_cv[i] + own_cv[i] * cap / ppc
        self.pv, self.own_cv_share, self.rewardable_cv = pv, share, rewardable

        # Activity, the customer requirement and override eligibility (compensation-plan §3).
        active = active_flags(plan, pv)
        met = requirement_met_flags(plan.customer_requirement, customer_qv, customer_count)
        self.active, self.requirement_met = active, met
        self.eligible = eligible_flags(active, met, statuses)

    def active_frontline(self) -> list[int]:
        active, parent = self.active, self.parent
        counts = [0] * self.n
        for i in range(self.n):
            p = parent[i]
            if p >= 0 and active[i]:
                counts[p] += 1
        return counts
