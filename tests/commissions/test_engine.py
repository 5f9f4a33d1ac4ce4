"""The close engine against the worked examples S1, S2, S4 (compensation-plan §11), the example of
compensation-plan §10 and the variants of compensation-plan §6. Pure Python: no database."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from commissions.engine import EngineInputError, compute_period
from commissions.engine.types import DistributorInput
from plans.document import DEFAULT_PLAN_PATH, load_plan_file, parse_plan_document

D = Decimal
DEFAULT_DOCUMENT = load_plan_file(DEFAULT_PLAN_PATH)


def plan_with(change=None):
    document = copy.deepcopy(DEFAULT_DOCUMENT)
    if change:
        change(document)
    return parse_plan_document(document)


def distributor(
    id, sponsor, customer_qv="0", own_qv="0", *, cv_per_qv="1", paid=None, customers=5, status="active"
):
    customer_qv, own_qv = D(customer_qv), D(own_qv)
    return DistributorInput(
        id=id,
        sponsor_id=sponsor,
        status=status,
        customer_qv=customer_qv,
        customer_cv=customer_qv * D(cv_per_qv),
        customer_paid=D(paid) if paid is not None else D(0),
        own_qv=own_qv,
        own_cv=own_qv * D(cv_per_qv),
        customer_count=customers,
        prior_title=0,
    )


def overrides_of(result, earner):
    return {
        (line.source_id, line.level): line.amount
        for line in result.lines
        if line.kind == "override" and line.earner_id == earner
    }


def total(result, earner, kind="override"):
    return sum((line.amount for line in result.lines if line.kind == kind and line.earner_id == earner), D(0))


# -- S1: ranks, leg cap, compression, overrides ---------------------------------------------------

S1_TREE = {
    "A": None,
    "B": "A",
    "C": "A",
    "K": "A",
    "D": "B",
    "J": "B",
    "E": "B",
    "H": "E",
    "I": "H",
    "G": "D",
    "F": "C",
}
# Customer orders of one 75 QV / 75.00 CV product paid 100.00, distinct customers, own units.
S1_SALES = {"A": (8, 5), "B": (6, 5), "C": (2, 2), "K": (2, 2), "D": (3, 3), "J": (2, 2), "E": (0, 0),
            "H": (2, 2), "I": (4, 4), "G": (3, 3), "F": (7, 5)}  # fmt: skip
S1_OWN_UNITS = {"C": 4, "D": 1}
S1 = {name: number for number, name in enumerate(S1_TREE, start=1)}


def s1_inputs():
    rows = []
    for name, sponsor in S1_TREE.items():
        orders, customers = S1_SALES[name]
        rows.append(
            distributor(
                S1[name],
                S1.get(sponsor),
                customer_qv=75 * orders,
                own_qv=75 * S1_OWN_UNITS.get(name, 0),
                paid=100 * orders,
                customers=customers,
            )
        )
    return list(reversed(rows))  # frontline before sponsors: the engine must not care


def test_s1_volumes_ranks_and_eligibility_match_the_expected_statement():
    result = compute_period(plan_with(), s1_inputs())
    expected = {  # pv, gv, paid-as rank, active, override-eligible (examples/s1/expected-2026-10.csv)
        "A": ("600", "3200", 3, True, True),
        "B": ("450", "1575", 2, True, True),
        "C": ("350", "875", 1, True, True),
        "D": ("300", "525", 1, True, True),
        "E": ("0", "450", 0, False, False),
        "F": ("525", "525", 1, True, True),
        "G": ("225", "225", 1, True, True),
        "H": ("150", "450", 1, True, True),
        "I": ("300", "300", 1, True, True),
        "J": ("150", "150", 1, True, True),
        "K": ("150", "150", 1, True, True),
    }
    for name, (pv, gv, rank, active, eligible) in expected.items():
        row = result.distributors[S1[name]]
        assert (row.pv, row.gv, row.paid_as_rank, row.active, row.override_eligible) == (
            D(pv),
            D(gv),
            rank,
            active,
            eligible,
        ), name
    c = result.distributors[S1["C"]]
    assert c.own_cv_share == D(200) / D(300)
    assert c.rewardable_cv == D("350.00")
    assert result.distributors[S1["B"]].active_frontline == 2  # E sells nothing
    assert result.distributors[S1["A"]].subtree_max_rank == 3


def test_s1_personal_commission_is_a_quarter_of_what_customers_paid():
    result = compute_period(plan_with(), s1_inputs())
    personal = {line.earner_id: line.amount for line in result.lines if line.kind == "personal"}
    assert personal == {
        S1["A"]: D("200.00"), S1["B"]: D("150.00"), S1["C"]: D("50.00"), S1["D"]: D("75.00"),
        S1["F"]: D("175.00"), S1["G"]: D("75.00"), S1["H"]: D("50.00"), S1["I"]: D("100.00"),
        S1["J"]: D("50.00"), S1["K"]: D("50.00"),
    }  # fmt: skip


def test_s1_overrides_with_compression():
    result = compute_period(plan_with(), s1_inputs())
    assert overrides_of(result, S1["A"]) == {
        (S1["B"], 1): D("22.50"),
        (S1["C"], 1): D("17.50"),
        (S1["K"], 1): D("7.50"),
        (S1["D"], 2): D("12.00"),
        (S1["J"], 2): D("6.00"),
        (S1["F"], 2): D("21.00"),
        (S1["H"], 2): D("6.00"),  # E is compressed out
    }
    assert total(result, S1["A"]) == D("92.50")
    assert overrides_of(result, S1["B"]) == {
        (S1["D"], 1): D("15.00"),
        (S1["J"], 1): D("7.50"),
        (S1["H"], 1): D("7.50"),
    }
    assert total(result, S1["B"]) == D("30.00")
    assert {line.earner_id for line in result.lines if line.kind == "override"} == {S1["A"], S1["B"]}
    # Nobody is paid on I's or G's volume: it is all breakage, with every unpaid level elsewhere.
    assert not [line for line in result.lines if line.source_id in (S1["I"], S1["G"])]
    assert result.total_rewardable_cv == D("3200")
    paid = sum((line.amount for line in result.lines if line.kind == "override"), D(0))
    potential = sum(
        ((row.rewardable_cv * rate).quantize(D("0.01")) for row in result.distributors.values()
         for rate in (D("0.05"), D("0.04"), D("0.03"), D("0.02"), D("0.02"))),
        D(0),
    )  # fmt: skip
    assert result.breakage == potential - paid == D("389.50")


def test_s1_without_compression():
    plan = plan_with(lambda doc: doc["unilevel"].update(compression="none"))
    result = compute_period(plan, s1_inputs())
    assert total(result, S1["A"]) == D(
        "86.50"
    )  # H's volume reaches A at level 3 now: rank 3 does not unlock it
    assert total(result, S1["B"]) == D("22.50")  # E uses up B's level 1 on H
    assert (S1["H"], 2) not in overrides_of(result, S1["A"])


# -- S2: the leg cap decides -----------------------------------------------------------------------


def test_s2_the_leg_cap_keeps_x_at_rank_2():
    rows = [
        distributor(1, None, customer_qv="100"),
        distributor(2, 1, customer_qv="1200"),
        distributor(3, 1, customer_qv="100"),
        distributor(4, 1, customer_qv="100"),
    ]
    x = compute_period(plan_with(), rows).distributors[1]
    assert x.gv == D("1500")
    assert x.active_frontline == 3
    assert x.paid_as_rank == 2


def test_a_qualified_leg_counts_anyone_at_any_depth_once():
    # P has 4 active frontline and GV 4,000 within the 50% cap; rank 4 needs one leg holding a rank 3.
    def network(deep_rank_3):
        rows = [distributor(1, None, customer_qv="400")]
        for leg in range(2, 6):
            rows.append(distributor(leg, 1, customer_qv="100"))
        # Leg 2 holds, two levels down, a team leader: 3 active frontline and 1,500 GV.
        rows.append(distributor(10, 2, customer_qv="100"))
        rows.append(distributor(11, 10, customer_qv="100" if deep_rank_3 else "50"))
        for j in range(12, 15):
            rows.append(distributor(j, 11, customer_qv="500"))
        rows.append(distributor(20, 3, customer_qv="700"))
        rows.append(distributor(21, 4, customer_qv="700"))
        rows.append(distributor(22, 5, customer_qv="300"))
        return compute_period(plan_with(), rows).distributors

    ranked = network(deep_rank_3=True)
    assert ranked[11].paid_as_rank == 3
    assert ranked[2].subtree_max_rank == 3
    assert ranked[1].paid_as_rank == 4
    unranked = network(deep_rank_3=False)
    assert unranked[11].paid_as_rank == 0  # 50 PV: not active
    assert unranked[1].paid_as_rank == 3


# -- S4: rounding ---------------------------------------------------------------------------------


def test_s4_october_rounds_each_line_half_up():
    rows = [
        distributor(1, None, customer_qv="400", paid="400.00", customers=1),
        distributor(2, 1, customer_qv="112.5", paid="115.00", customers=2),
        distributor(3, 1, customer_qv="100", paid="100.00", customers=1),
    ]
    result = compute_period(plan_with(), rows)
    p = result.distributors[1]
    assert (p.pv, p.gv, p.paid_as_rank) == (D("400"), D("612.5"), 2)
    assert overrides_of(result, 1) == {(2, 1): D("5.63"), (3, 1): D("5.00")}
    assert total(result, 1) == D("10.63")
    assert {line.earner_id: line.amount for line in result.lines if line.kind == "personal"} == {
        1: D("100.00"),
        2: D("28.75"),
        3: D("25.00"),
    }
    line = next(line for line in result.lines if line.source_id == 2)
    assert (line.rate, line.base) == (D("0.05"), D("112.5"))


# -- compensation-plan §6 variants on a plan whose rank is simply PV / 100 -------------------------


def rank_by_pv(compression="not_eligible", roll_up=False):
    def change(doc):
        for rank in doc["ranks"]:
            rank.update(min_pv=str(100 * rank["number"]), active_frontline=0, min_gv="0", max_leg_share=None)
            rank.update(qualified_legs=0, leg_rank=0)
        doc["unilevel"].update(compression=compression, roll_up=roll_up)

    return plan_with(change)


@pytest.mark.parametrize(
    ("compression", "a_earns", "breakage"),
    [("not_eligible", {(3, 1): D("5.00")}, D("11.00")), ("inactive", {(3, 2): D("4.00")}, D("12.00")),
     ("none", {(3, 2): D("4.00")}, D("12.00"))],
)  # fmt: skip
def test_an_upline_on_hold_is_compressed_out_only_by_not_eligible(compression, a_earns, breakage):
    rows = [
        distributor(1, None, customer_qv="300", customers=0, cv_per_qv="0"),  # rank 3, eligible on PCV
        distributor(2, 1, customer_qv="100", status="hold", cv_per_qv="0"),  # active, not eligible
        distributor(3, 2, customer_qv="100"),  # the only source: CV 100.00
    ]
    result = compute_period(rank_by_pv(compression), rows)
    assert overrides_of(result, 1) == a_earns
    assert overrides_of(result, 2) == {}
    assert result.breakage == breakage  # 4+3+2+2 beyond the top, plus level 1 used up by 2


@pytest.mark.parametrize(
    ("compression", "a_earns"), [("inactive", {(3, 1): D("5.00")}), ("none", {(3, 2): D("4.00")})]
)
def test_an_inactive_upline_uses_a_level_only_without_compression(compression, a_earns):
    rows = [
        distributor(1, None, customer_qv="300", cv_per_qv="0"),
        distributor(2, 1, customer_qv="50", cv_per_qv="0"),  # 50 PV: inactive
        distributor(3, 2, customer_qv="100"),
    ]
    assert overrides_of(compute_period(rank_by_pv(compression), rows), 1) == a_earns


@pytest.mark.parametrize(
    ("roll_up", "a_earns", "breakage"), [(False, {}, D("11.00")), (True, {(4, 2): D("4.00")}, D("7.00"))]
)
def test_roll_up_passes_a_level_over_an_upline_whose_rank_does_not_unlock_it(roll_up, a_earns, breakage):
    rows = [
        distributor(1, None, customer_qv="300", cv_per_qv="0"),  # rank 3
        distributor(2, 1, customer_qv="100", cv_per_qv="0"),  # rank 1
        distributor(3, 2, customer_qv="200", cv_per_qv="0"),  # rank 2
        distributor(4, 3, customer_qv="100"),  # the only source: CV 100.00
    ]
    result = compute_period(rank_by_pv(roll_up=roll_up), rows)
    assert overrides_of(result, 3) == {(4, 1): D("5.00")}
    assert overrides_of(result, 2) == {}
    assert overrides_of(result, 1) == a_earns
    assert result.breakage == breakage


# -- compensation-plan §10: the stairstep differential -------------------------------------------------


def differential_plan(breakaway=True):
    def change(doc):
        doc["type"] = "differential"
        del doc["ranks"], doc["unilevel"]
        doc["differential"] = {
            "schedule": [
                {"min_group_qv": "200", "rate": "0.03"},
                {"min_group_qv": "600", "rate": "0.06"},
                {"min_group_qv": "1200", "rate": "0.09"},
            ],
            "breakaway": breakaway,
        }
        doc["personal_commission"] = {"rate": "0"}

    return plan_with(change)


def test_section_10_example_x_earns_36():
    rows = [
        distributor(1, None, own_qv="200", cv_per_qv="2"),  # X
        distributor(2, 1, customer_qv="300", cv_per_qv="2"),  # Y, whose group is 700 QV
        distributor(4, 2, customer_qv="400", cv_per_qv="2"),
        distributor(3, 1, customer_qv="100", cv_per_qv="2"),  # Z
    ]
    result = compute_period(differential_plan(), rows)
    assert total(result, 1) == D("36.00")
    assert overrides_of(result, 1) == {(1, 0): D("24.00"), (3, 1): D("12.00")}  # Y at 6% pays X nothing
    x = result.distributors[1]
    assert (x.group_qv, x.group_cv, x.paid_as_rank, x.gv) == (D("1000"), D("2000"), 0, D("1000"))
    assert overrides_of(result, 2) == {(2, 0): D("36.00"), (4, 1): D("24.00")}  # 6% x 600, (6% - 3%) x 800
    assert overrides_of(result, 4) == {(4, 0): D("24.00")}  # 400 QV: 3%
    assert not [line for line in result.lines if line.kind == "personal"]
    assert result.breakage == 0


@pytest.mark.parametrize(("breakaway", "x_earns"), [(True, D("18.00")), (False, D("54.00"))])
def test_a_leg_reaching_the_top_bracket_breaks_away(breakaway, x_earns):
    rows = [
        distributor(1, None, own_qv="200", cv_per_qv="2"),
        distributor(2, 1, customer_qv="1300", cv_per_qv="2"),  # top bracket on its own
        distributor(3, 1, customer_qv="100", cv_per_qv="2"),
    ]
    result = compute_period(differential_plan(breakaway), rows)
    assert total(result, 1) == x_earns
    assert result.distributors[1].group_qv == (D("300") if breakaway else D("1600"))


# -- inputs ----------------------------------------------------------------------------------------


def test_a_chain_ten_thousand_deep_needs_no_recursion():
    rows = [distributor(i, i - 1 if i > 1 else None, customer_qv="100") for i in range(1, 10_001)]
    result = compute_period(plan_with(), rows)
    assert result.distributors[1].gv == D("1000000")
    assert result.distributors[1].paid_as_rank == 1  # one active frontline only


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([distributor(1, 9)], "sponsor 9"),
        ([distributor(1, None), distributor(1, None)], "more than once"),
        ([distributor(1, None), distributor(2, 3), distributor(3, 2)], "cycle"),
    ],
)
def test_inputs_that_are_not_a_forest_are_refused(rows, message):
    with pytest.raises(EngineInputError, match=message):
        compute_period(plan_with(), rows)


def test_an_empty_period_and_a_generator_of_inputs():
    assert compute_period(plan_with(), iter([])) == ({}, [], D(0), D(0))
    result = compute_period(plan_with(), (row for row in s1_inputs()))
    assert total(result, S1["A"]) == D("92.50")


def test_a_sponsor_structure_built_beforehand_is_used_only_for_the_inputs_it_was_built_from():
    from commissions.engine import network_shape

    plan = plan_with()
    inputs = s1_inputs()
    expected = compute_period(plan, inputs)
    ids = [row.id for row in inputs]
    matching = network_shape(ids, [row.sponsor_id for row in inputs])
    assert compute_period(plan, inputs, shape=matching) == expected
    # A structure of other sponsor links (everyone under the first) is not taken for these inputs.
    other = network_shape(ids, [None, *[ids[0]] * (len(ids) - 1)])
    assert compute_period(plan, inputs, shape=other) == expected
