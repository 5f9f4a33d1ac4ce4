"""Explain a distributor's rank and money in a run (issue item 7), on S1 and
the compensation-plan §10 example."""

import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

from commissions.admin_views import admin_urls
from commissions.selectors.explanation import explain_distributor
from commissions.selectors.legs import leg_highest_ranks
from commissions.selectors.rank_checks import paid_as_from_checks
from distributors.models import Distributor
from plans.models import Plan

from .closing import EXAMPLES, close, default_plan
from .networks import customer_orders, import_network

pytestmark = pytest.mark.django_db


@pytest.fixture
def s1_run():
    call_command("import_network", str(EXAMPLES / "s1"))
    default_plan()
    run = close("2026-10")
    assert run.status == "succeeded", run.error
    return run


def explain(external_id, run):
    return explain_distributor(Distributor.objects.get(external_id=external_id), run)


def requirement_rows(check):
    return [(r.label, r.required_text, r.actual_text, r.met) for r in check.requirements]


def test_a_is_team_leader_with_the_leg_cap_applied_per_leg(s1_run):
    e = explain("A", s1_run)

    assert (e.paid_as_rank, e.paid_as_name) == (3, "Team Leader")
    assert (e.pv, e.gv, e.active_frontline) == (Decimal("600"), Decimal("3200"), 3)
    rank3 = e.ranks[2]
    assert rank3.met
    assert rank3.qualifying_gv == Decimal("2250")
    assert rank3.cap_per_leg == Decimal("750")
    assert [(c.leg.external_id, c.leg.gv, c.contribution, c.capped) for c in rank3.legs] == [
        ("B", Decimal("1575"), Decimal("750"), True),
        ("C", Decimal("875"), Decimal("750"), True),
        ("K", Decimal("150"), Decimal("150"), False),
    ]
    assert requirement_rows(rank3) == [
        ("Personal volume (PV)", "100", "600", True),
        ("Active frontline", "3", "3", True),
        ("Qualifying GV", "1,500", "2,250", True),
    ]
    assert (
        rank3.requirements[2].detail
        == "PV 600 + B 750 (of 1,575) + C 750 (of 875) + K 150; at most 750 from any one leg"
    )


def test_a_misses_manager_on_frontline_gv_and_a_rank_3_leg(s1_run):
    e = explain("A", s1_run)

    assert e.next_rank is e.ranks[3]
    assert not e.ranks[3].met
    assert [(r.label, r.required_text, r.actual_text) for r in e.next_rank.missing] == [
        ("Active frontline", "4", "3"),
        ("Qualifying GV", "4,000", "3,200"),
        ("Legs with a rank ≥ 3 · Team Leader", "1", "0"),
    ]
    assert [(leg.external_id, leg.paid_as_rank, leg.highest_rank) for leg in e.legs] == [
        ("B", 2, 2),
        ("C", 1, 1),
        ("K", 1, 1),
    ]
    assert [check.met for check in e.ranks] == [True, True, True, False, False, False]
    assert paid_as_from_checks(list(e.ranks)) == 3
    assert e.notes == ()


def test_texts_follow_the_readers_language_and_name_the_ranks(s1_run):
    from django.utils import translation

    with translation.override("nl"):
        rank3 = explain("A", s1_run).ranks[2]
        texts = [(r.required_text, r.actual_text) for r in rank3.requirements]
    assert texts == [("100", "600"), ("3", "3"), ("1.500", "2.250")]
    assert rank3.requirements[2].detail.startswith("PV 600 + B 750 ")
    assert "1.575" in rank3.requirements[2].detail


def test_a_rank_the_requirements_do_not_give_is_noted_with_both_names():
    from commissions.models import DistributorPeriod

    call_command("import_network", str(EXAMPLES / "s1"))
    default_plan()
    preview = close("2026-10", preview=True)  # a preview's rows may still change (a closed period's not)
    DistributorPeriod.objects.filter(run=preview, distributor__external_id="A").update(paid_as_rank=2)
    assert explain("A", preview).notes == (
        "The run recorded rank 2 · Senior Consultant; the requirements above give 3 · Team Leader.",
    )


def test_b_is_senior_consultant_and_misses_team_leader_only_on_active_frontline(s1_run):
    e = explain("B", s1_run)

    assert e.paid_as_rank == 2
    assert [(leg.external_id, leg.active) for leg in e.legs] == [("D", True), ("E", False), ("J", True)]
    assert [(r.label, r.required_text, r.actual_text) for r in e.next_rank.missing] == [
        ("Active frontline", "3", "2")
    ]
    assert e.ranks[2].qualifying_gv == Decimal("1575")
    # E's leg holds H and I, whose rank 1 is the highest in it.
    assert {leg.external_id: leg.highest_rank for leg in e.legs} == {"D": 1, "E": 1, "J": 1}


def test_e_is_inactive_and_not_override_eligible(s1_run):
    e = explain("E", s1_run)

    assert e.paid_as_rank == 0
    assert (e.activity.required_text, e.activity.actual_text, e.activity.met) == ("100", "0", False)
    assert not e.customer_requirement_met
    assert [(r.label, r.required_text, r.actual_text, r.met) for r in e.customer_requirement] == [
        ("Customer volume (PCV)", "50", "0", False),
        ("Paying customers", "5", "0", False),
    ]
    assert [(r.label, r.met) for r in e.eligibility] == [
        ("Active", False),
        ("Status", True),
        ("Customer requirement", False),
    ]
    assert not e.override_eligible
    assert e.next_rank.number == 1
    assert [(r.label, r.actual_text) for r in e.next_rank.missing] == [
        ("Active (PV)", "0"),
        ("Personal volume (PV)", "0"),
    ]
    assert e.money == ()


def test_c_own_purchases_above_the_cap_are_left_out(s1_run):
    e = explain("C", s1_run)
    assert (e.pcv, e.ppc, e.consumption_cap, e.ppc_left_out, e.pv) == (
        Decimal("150"),
        Decimal("300"),
        Decimal("200"),
        Decimal("100"),
        Decimal("350"),
    )
    assert e.rewardable_cv == Decimal("350")
    assert e.own_cv_share.quantize(Decimal("0.0001")) == Decimal("0.6667")


def test_a_money_lines_name_each_source_level_and_rate(s1_run):
    e = explain("A", s1_run)

    personal, overrides = e.money
    assert (personal.label, personal.total) == ("Personal commission", Decimal("200.00"))
    assert [(m.rate, m.base, m.amount) for m in personal.lines] == [
        (Decimal("0.25"), Decimal("800"), Decimal("200.00"))
    ]
    assert overrides.total == Decimal("92.50")
    assert [(m.level, m.source_external_id, m.source_name, m.rate, m.amount) for m in overrides.lines] == [
        (1, "B", "Bram B", Decimal("0.05"), Decimal("22.50")),
        (1, "C", "Cor C", Decimal("0.05"), Decimal("17.50")),
        (1, "K", "Kees K", Decimal("0.05"), Decimal("7.50")),
        (2, "D", "Dirk D", Decimal("0.04"), Decimal("12.00")),
        (2, "F", "Fenna F", Decimal("0.04"), Decimal("21.00")),
        # H's volume reaches A at level 2: E, not eligible, is compressed out.
        (2, "H", "Henk H", Decimal("0.04"), Decimal("6.00")),
        (2, "J", "Joop J", Decimal("0.04"), Decimal("6.00")),
    ]
    assert overrides.lines[1].base == Decimal("350")  # C's rewardable CV after the cap
    assert (e.net, e.payout, e.total_earned) == (Decimal("292.50"), Decimal("292.50"), Decimal("292.50"))


def test_clawback_lines_name_the_period_they_reverse():
    call_command("import_network", str(EXAMPLES / "s4"))
    default_plan()
    assert close("2026-10").status == "succeeded"
    november = close("2026-11")
    assert november.status == "succeeded", november.error

    (p_clawbacks,) = explain("P", november).money
    assert p_clawbacks.label == "Clawback"
    assert [
        (m.source_external_id, m.level, m.rate, m.amount, m.original_period) for m in p_clawbacks.lines
    ] == [("S", 1, Decimal("0.05"), Decimal("-0.63"), "2026-10")]
    (s_clawbacks,) = explain("S", november).money
    assert [(m.source_text, m.amount, m.original_period) for m in s_clawbacks.lines] == [
        ("own customers", Decimal("-3.75"), "2026-10")
    ]
    out = io.StringIO()
    call_command("explain", "P", "2026-11", stdout=out)
    assert "-0.63  level 1  from S S (S)  5% of 12.5  reverses 2026-10" in out.getvalue()


def test_leg_highest_ranks_is_one_query_over_the_whole_downline(s1_run):
    a = Distributor.objects.get(external_id="A")
    ids = dict(Distributor.objects.values_list("external_id", "id"))
    with CaptureQueriesContext(connection) as queries:
        highest = leg_highest_ranks(s1_run, a.pk)
    assert len(queries) == 1
    assert highest == {ids["B"]: 2, ids["C"]: 1, ids["K"]: 1}


def test_explaining_costs_a_fixed_number_of_queries(s1_run):
    a = Distributor.objects.get(external_id="A")
    with CaptureQueriesContext(connection) as queries:
        explain_distributor(a, s1_run)
    assert len(queries) <= 8


def test_explain_command_prints_the_rank_table_and_the_money(s1_run):
    out = io.StringIO()
    call_command("explain", "A", "2026-10", stdout=out)
    text = out.getvalue()
    assert "Paid-as rank: 3 (Team Leader); title 3 · Team Leader" in text
    assert (
        "Qualifying GV: 2,250 (needs 1,500) — met; PV 600 + B 750 (of 1,575) + C 750 (of 875) + K 150" in text
    )
    assert "Next rank 4 (Manager) is missing: Active frontline 3 of 4; Qualifying GV 3,200 of 4,000" in text
    assert "B            Bram B                   active   rank 2 · Senior Consultant  GV 1,575  " in text
    assert "Override: €\u00a092.50" in text
    assert "€\u00a06.00  level 2  from Henk H (H)  4% of 150" in text


def test_explain_command_refuses_an_unknown_distributor_and_a_period_without_a_close(s1_run):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no distributor with id 'Z'"):
        call_command("explain", "Z", "2026-10")
    with pytest.raises(CommandError, match="2026-11 has no succeeded preview"):
        call_command("explain", "A", "2026-11", "--preview")


def test_differential_plan_shows_group_volumes_brackets_and_leg_differentials(tmp_path):
    # compensation-plan §10: X with 200 QV, frontline Y with a 700 QV group (Y 300 + W 400) and Z with 100 QV.
    import_network(
        tmp_path / "net",
        tree={"X": None, "Y": "X", "W": "Y", "Z": "X"},
        orders=[
            *customer_orders("X", 2, paid_at="2026-10-10T12:00:00+02:00", sku="D2"),
            *customer_orders("Y", 3, paid_at="2026-10-10T12:00:00+02:00", sku="D2"),
            *customer_orders("W", 4, paid_at="2026-10-10T12:00:00+02:00", sku="D2"),
            *customer_orders("Z", 1, paid_at="2026-10-10T12:00:00+02:00", sku="D2"),
        ],
    )
    document = dict(default_plan().document)
    for key in ("ranks", "unilevel"):
        document.pop(key)
    document.update(
        version="diff-1",
        type="differential",
        differential={
            "schedule": [
                {"min_group_qv": "200", "rate": "0.03"},
                {"min_group_qv": "600", "rate": "0.06"},
                {"min_group_qv": "1200", "rate": "0.09"},
            ],
            "breakaway": True,
        },
        personal_commission={"rate": "0"},
    )
    plan = Plan.objects.create(name="Diff", version="diff-1", plan_type="differential", document=document)
    run = close("2026-10", plan=plan, preview=True)
    assert run.status == "succeeded", run.error

    e = explain("X", run)

    assert e.ranks == () and e.next_rank is None and e.paid_as_rank == 0
    d = e.differential
    assert (d.group_qv, d.group_cv, d.rate) == (Decimal("1000"), Decimal("2000"), Decimal("0.06"))
    assert [(leg.leg.external_id, leg.leg.group_qv, leg.rate, leg.broke_away) for leg in d.legs] == [
        ("Y", Decimal("700"), Decimal("0.06"), False),
        ("Z", Decimal("100"), Decimal("0"), False),
    ]
    (bonus,) = e.money
    assert [(m.source_external_id, m.rate, m.base, m.amount) for m in bonus.lines] == [
        ("X", Decimal("0.06"), Decimal("400"), Decimal("24.00")),
        ("Z", Decimal("0.06"), Decimal("200"), Decimal("12.00")),
    ]
    assert bonus.total == Decimal("36.00")
    out = io.StringIO()
    call_command("explain", "X", "2026-10", "--preview", stdout=out)
    assert "Group QV 1,000, group CV 2,000: bracket 6% (schedule: 200 QV → 3%, 600 QV → 6%, 1,200 QV" in (
        out.getvalue()
    )


# --- the staff page -------------------------------------------------------------------------------

# The lead mounts these URLs in backoffice/urls.py; the tests mount them the same way here.
urlpatterns = [
    path("admin/commissions/", include(admin_urls())),
    path("admin/", admin.site.urls),
]


@pytest.mark.urls("tests.commissions.test_explain")
def test_explain_page_shows_the_rank_table_and_the_money_lines(s1_run, admin_client):
    url = reverse("commissions_explain", args=[s1_run.pk])
    assert url == f"/admin/commissions/runs/{s1_run.pk}/explain/"

    response = admin_client.get(url, {"distributor": "A"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Paid-as rank: <strong>3 – Team Leader</strong>" in page
    assert "PV 600 + B 750 (of 1,575) + C 750 (of 875) + K 150; at most 750 from any one leg" in page
    assert "<td>Legs with a rank ≥ 3 · Team Leader</td>" in page
    assert "(title 3 · Team Leader)" in page
    assert "<h4>Override: €\u00a092.50</h4>" in page
    assert "<td>Henk H (H)</td>" in page
    assert "<h4>Personal commission: €\u00a0200.00</h4>" in page


@pytest.mark.urls("tests.commissions.test_explain")
def test_explain_page_says_what_is_wrong_with_an_unknown_distributor(s1_run, admin_client):
    response = admin_client.get(reverse("commissions_explain", args=[s1_run.pk]), {"distributor": "Z"})
    assert response.status_code == 404
    assert "There is no distributor with the id or external id &#x27;Z&#x27;." in response.content.decode()


@pytest.mark.urls("tests.commissions.test_explain")
def test_explain_page_is_for_staff_only(s1_run, client, django_user_model):
    url = reverse("commissions_explain", args=[s1_run.pk])
    assert client.get(url).status_code == 302  # to the admin login
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(url, {"distributor": "A"}).status_code == 403  # staff without the view permission


# --- A frontline longer than a request reads (commissions.services.legs.LEGS_READ) ---------------


@pytest.fixture
def s1_run_two_legs_read(monkeypatch):
    """S1 closed as if a request read only 2 legs: A (3 legs) gets a stored leg summary."""
    from commissions.services import legs

    monkeypatch.setattr(legs, "LEGS_READ", 2)
    call_command("import_network", str(EXAMPLES / "s1"))
    default_plan()
    run = close("2026-10")
    assert run.status == "succeeded", run.error
    return run


def test_the_close_stores_the_rank_checks_sums_for_a_long_frontline_only(s1_run_two_legs_read):
    from commissions.models import DistributorPeriod

    ids = dict(Distributor.objects.values_list("external_id", "id"))
    summaries = dict(
        DistributorPeriod.objects.filter(run=s1_run_two_legs_read, leg_summary__isnull=False).values_list(
            "distributor_id", "leg_summary"
        )
    )
    long = DistributorPeriod.objects.filter(run=s1_run_two_legs_read, frontline_count__gt=2)
    assert set(summaries) == set(long.values_list("distributor_id", flat=True)) >= {ids["A"]}
    # Legs B 1,575, C 875, K 150 GV; caps 750 (rank 3), 2,000 (4), 4,000 (5), 10,000 (6).
    assert summaries[ids["A"]] == {
        "above": {"3": "950.0000", "4": "0", "5": "0", "6": "0"},
        "qualified": {"4": 0, "5": 0, "6": 0},
        "top": [ids["B"], ids["C"]],
    }


def test_without_all_legs_the_checks_are_the_same_from_the_stored_sums_and_the_biggest_legs(
    s1_run_two_legs_read,
):
    from commissions.selectors.rank_progress import rank_progress

    a = Distributor.objects.get(external_id="A")
    full = explain_distributor(a, s1_run_two_legs_read, with_money=False)
    with CaptureQueriesContext(connection) as queries:
        short = explain_distributor(a, s1_run_two_legs_read, with_money=False, all_legs=False)
    assert len(queries) <= 8

    assert (len(full.legs), full.leg_count) == (3, 3)
    assert [leg.external_id for leg in short.legs] == ["B", "C"] and short.leg_count == 3
    assert [(c.number, c.met, c.qualifying_gv) for c in short.ranks] == [
        (c.number, c.met, c.qualifying_gv) for c in full.ranks
    ]
    assert [requirement_rows(c) for c in short.ranks] == [requirement_rows(c) for c in full.ranks]
    assert short.ranks[2].qualifying_gv == Decimal("2250")
    assert [c.leg.external_id for c in short.ranks[2].legs] == ["B", "C"]
    assert (
        short.ranks[2].requirements[2].detail
        == "PV 600 + B 750 (of 1,575) + C 750 (of 875) + 1 more; at most 750 from any one leg"
    )
    assert short.paid_as_rank == full.paid_as_rank == 3 and not short.notes

    progress = rank_progress(a)
    assert progress is not None and progress.run_id == s1_run_two_legs_read.pk
    assert [leg.external_id for leg in progress.legs] == ["B", "C"] and progress.leg_count == 3
    assert rank_progress(a, s1_run_two_legs_read).ranks == progress.ranks


def test_rank_progress_is_none_before_the_first_close_and_for_a_run_without_me(s1_run):
    from commissions.selectors.rank_progress import rank_progress
    from distributors.models import Distributor as D

    newcomer = D.objects.create(
        external_id="NEW", first_name="New", last_name="Comer", email="new@example.nl",
        referral_code="RNEW0001", sponsor=D.objects.get(external_id="A"), enrolled_at=timezone.now(),
    )  # fmt: skip
    assert rank_progress(newcomer) is None
    assert rank_progress(newcomer, s1_run) is None
