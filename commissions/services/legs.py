"""What rank progress needs of a long frontline, summed by the close (DistributorPeriod.leg_summary).

A leader's rank check sums over every frontline leg: the qualifying GV (each leg up to the rank's
cap) and the legs that reach the leg rank. The root of a million has thousands of legs; reading
and checking them all made a request slow. For everyone with more than LEGS_READ legs the close
stores those sums and the ids of the LEGS_READ legs with the most GV, so that a request reads the
distributor's own row and those legs only (commissions.selectors.explanation).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)
# The legs a request reads (and the API shows) of a longer frontline: the ones with the most GV.
LEGS_READ = 100


def leg_summaries(
    plan: Any, inputs: Sequence[Sequence[Any]], computed: dict[int, Any], frontline: Mapping[int, int]
) -> dict[int, str]:
    """JSON text of `leg_summary` per distributor with more than LEGS_READ legs in the period.

    `inputs`: the engine's DistributorInput rows (id, sponsor id, ...); `computed`: its results by
    id (gv at 4, subtree_max_rank at 13); `frontline`: sponsor id -> the size of their frontline. The
    summary: `above` (rank number -> the legs' GV above that rank's cap per leg, summed: qualifying
    GV = GV - above), `qualified` (rank number -> legs whose highest rank reaches the leg rank),
    `top` (the LEGS_READ legs with the most GV, most first; ties by id).
    """
    long = {sponsor for sponsor, count in frontline.items() if sponsor is not None and count > LEGS_READ}
    if not long:
        return {}
    legs: dict[int, list[tuple[Decimal, int, int]]] = {sponsor: [] for sponsor in long}
    for row in inputs:
        sponsor = row[1]
        if sponsor in long:
            result = computed[row[0]]
            legs[sponsor].append((result[4], result[13], row[0]))
    caps = [(rank.number, rank.max_per_leg) for rank in plan.ranks if rank.min_gv]
    capped = [(number, cap) for number, cap in caps if cap is not None]
    leg_ranks = [(rank.number, rank.leg_rank) for rank in plan.ranks if rank.qualified_legs]
    summaries = {}
    for sponsor, rows in legs.items():
        summary = {
            "above": {
                str(n): str(sum((gv - cap for gv, _, _ in rows if gv > cap), ZERO)) for n, cap in capped
            },
            "qualified": {str(n): sum(1 for _, best, _ in rows if best >= rank) for n, rank in leg_ranks},
            "top": [pk for _, _, pk in heapq.nsmallest(LEGS_READ, rows, key=lambda leg: (-leg[0], leg[2]))],
        }
        summaries[sponsor] = json.dumps(summary, separators=(",", ":"))
    return summaries
