"""The fast engine equals the slow, obviously correct one (reference_engine.py) on random networks."""

from __future__ import annotations

import copy
import sys
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commissions.engine import compute_period
from commissions.engine.types import DistributorInput
from plans.document import DEFAULT_PLAN_PATH, load_plan_file, parse_plan_document
from tests.commissions.reference_engine import reference_compute_period

# The reference recurses down deep chains.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))

DEFAULT_DOCUMENT = load_plan_file(DEFAULT_PLAN_PATH)
# Small trees reach the higher ranks only with smaller requirements: scale GV down with `divisor`.
DIVISORS = (1, 10, 40)


@st.composite
def plans(draw):
    document = copy.deepcopy(DEFAULT_DOCUMENT)
    if draw(st.integers(0, 4)) == 0:
        document["type"] = "differential"
        del document["ranks"], document["unilevel"]
        top = draw(st.sampled_from(["600", "1200", "3000"]))
        document["differential"] = {
            "schedule": [
                {"min_group_qv": "200", "rate": "0.03"},
                {"min_group_qv": "450", "rate": "0.06"},
                {"min_group_qv": top, "rate": "0.09"},
            ],
            "breakaway": draw(st.booleans()),
        }
    else:
        divisor = Decimal(draw(st.sampled_from(DIVISORS)))
        for rank in document["ranks"]:
            rank["min_gv"] = str(Decimal(rank["min_gv"]) / divisor)
            rank["active_frontline"] = min(rank["active_frontline"], draw(st.integers(0, 6)))
        document["unilevel"]["compression"] = draw(st.sampled_from(["not_eligible", "inactive", "none"]))
        document["unilevel"]["roll_up"] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        del document["volumes"]
    if draw(st.integers(0, 5)) == 0:
        del document["activity"]
    if draw(st.integers(0, 5)) == 0:
        del document["customer_requirement"]
    return parse_plan_document(document)


# Cents at random, and round numbers that land exactly on thresholds (100 PV, 600 group QV...).
points = st.integers(0, 40000).map(lambda cents: Decimal(cents).scaleb(-2)) | st.integers(0, 8).map(
    lambda k: Decimal(k * 50)
)


@st.composite
def networks(draw):
    shape = draw(st.sampled_from(["random", "random", "chain", "fan", "deep_chain"]))
    size = {"deep_chain": draw(st.integers(200, 400)), "fan": draw(st.integers(1, 60))}.get(
        shape, draw(st.integers(1, 40))
    )
    sponsors: list[int | None] = []
    for i in range(size):
        if i == 0 or (shape == "random" and draw(st.integers(0, 9)) == 0):
            sponsors.append(None)  # several roots: a forest
        elif shape in ("chain", "deep_chain"):
            sponsors.append(i - 1)
        elif shape == "fan":
            sponsors.append(0 if draw(st.integers(0, 4)) else draw(st.integers(0, i - 1)))
        else:
            sponsors.append(draw(st.integers(0, i - 1)))
    rows = []
    for i, sponsor in enumerate(sponsors):
        quiet = draw(st.integers(0, 3)) == 0
        customer_qv = Decimal(0) if quiet else draw(points)
        own_qv = (
            Decimal(0) if quiet else draw(st.sampled_from([Decimal(0), Decimal(75), Decimal(300)]) | points)
        )
        rows.append(
            DistributorInput(
                id=1000 + i * 7,
                sponsor_id=None if sponsor is None else 1000 + sponsor * 7,
                status=draw(st.sampled_from(["active", "active", "active", "hold", "terminated"])),
                customer_qv=customer_qv,
                customer_cv=draw(st.sampled_from([customer_qv, customer_qv * 2]))
                if shape != "deep_chain"
                else customer_qv,
                customer_paid=(customer_qv * Decimal("1.33")).quantize(Decimal("0.01")),
                own_qv=own_qv,
                own_cv=own_qv,
                customer_count=draw(st.integers(0, 7)),
                prior_title=draw(st.integers(0, 6)),
            )
        )
    # Inputs may list a frontline member before the sponsor.
    return draw(st.permutations(rows))


def canonical_lines(lines):
    return sorted(lines, key=lambda line: (line.kind, line.earner_id, line.source_id or 0, line.level))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(plan=plans(), inputs=networks())
def test_fast_engine_equals_reference(plan, inputs):
    fast = compute_period(plan, inputs)
    slow = reference_compute_period(plan, list(inputs))

    assert fast.distributors == slow.distributors
    assert canonical_lines(fast.lines) == canonical_lines(slow.lines)
    assert fast.total_rewardable_cv == slow.total_rewardable_cv
    assert fast.breakage == slow.breakage
