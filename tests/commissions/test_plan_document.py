"""The plan document: parsing, every kind of error by its JSON path, loading versions."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from core.errors import ApplicationError, Conflict
from core.models import AuditEntry
from plans.document import DEFAULT_PLAN_PATH, PlanDocumentError, load_plan_file, parse_plan_document
from plans.models import Plan
from plans.services import plan_ensure_default, plan_load, plan_newest

D = Decimal


@pytest.fixture
def document():
    return copy.deepcopy(load_plan_file(DEFAULT_PLAN_PATH))


def problems_of(document) -> dict[str, str]:
    with pytest.raises(PlanDocumentError) as caught:
        parse_plan_document(document)
    assert isinstance(caught.value, ApplicationError)
    return dict(caught.value.problems)


def test_the_default_plan_holds_every_parameter_of_the_spec(document):
    plan = parse_plan_document(document)
    assert (plan.name, plan.version, plan.type, plan.currency, plan.time_zone) == (
        "Standard", "2026.1", "unilevel", "EUR", "Europe/Amsterdam",
    )  # fmt: skip
    assert plan.personal_consumption_cap_qv == D("200")
    assert plan.activity_min_pv == D("100")
    assert (plan.customer_requirement.min_pcv, plan.customer_requirement.min_customers) == (D("50"), 5)
    assert [rank.number for rank in plan.ranks] == [1, 2, 3, 4, 5, 6]
    director = plan.ranks[4]
    assert (director.name, director.min_pv, director.active_frontline, director.min_gv) == (
        "Director", D("150"), 5, D("10000"),
    )  # fmt: skip
    assert (director.max_leg_share, director.max_per_leg, director.qualified_legs, director.leg_rank) == (
        D("0.40"), D("4000"), 2, 3,
    )  # fmt: skip
    assert plan.ranks[1].max_leg_share is None
    assert [(level.level, level.rate, level.min_rank) for level in plan.levels] == [
        (1, D("0.05"), 2), (2, D("0.04"), 3), (3, D("0.03"), 4), (4, D("0.02"), 5), (5, D("0.02"), 6),
    ]  # fmt: skip
    assert (plan.compression, plan.roll_up, plan.personal_commission_rate) == (
        "not_eligible",
        False,
        D("0.25"),
    )
    assert [(t.min_qps, t.rate) for t in plan.host_rewards.tiers] == [
        (D("200"), D("0.10")), (D("500"), D("0.15")), (D("1000"), D("0.20")),
    ]  # fmt: skip
    assert plan.host_rewards.half_price_item_per == D("250")
    assert (plan.host_rewards.half_price_items_max, plan.host_rewards.credit_valid_days) == (4, 60)
    assert plan.host_rewards.close_within_days == 30
    assert plan.payout_minimum == D("25.00")
    assert (plan.buyback_window_months, plan.buyback_refund_share, plan.cooling_off_days) == (
        12,
        D("0.90"),
        14,
    )
    assert plan.differential_schedule == ()


def test_ranks_and_levels_are_sorted_whatever_their_order_in_the_file(document):
    document["ranks"].reverse()
    document["unilevel"]["levels"].reverse()
    plan = parse_plan_document(document)
    assert [rank.number for rank in plan.ranks] == [1, 2, 3, 4, 5, 6]
    assert [level.level for level in plan.levels] == [1, 2, 3, 4, 5]


def test_optional_sections_left_out_mean_no_cap_everyone_active_no_requirement(document):
    for key in ("volumes", "activity", "customer_requirement"):
        del document[key]
    plan = parse_plan_document(document)
    assert (plan.personal_consumption_cap_qv, plan.activity_min_pv, plan.customer_requirement) == (
        None,
        None,
        None,
    )


def test_a_differential_plan(document):
    del document["ranks"], document["unilevel"]
    document["type"] = "differential"
    document["differential"] = {
        "schedule": [{"min_group_qv": "200", "rate": "0.03"}, {"min_group_qv": "600", "rate": "0.06"}],
    }
    plan = parse_plan_document(document)
    assert plan.is_differential
    assert [(b.min_group_qv, b.rate) for b in plan.differential_schedule] == [
        (D("200"), D("0.03")),
        (D("600"), D("0.06")),
    ]
    assert plan.differential_breakaway is True  # on by default
    assert (plan.ranks, plan.levels) == ((), ())


def test_numbers_instead_of_strings_are_refused_each_with_its_path(document):
    document["ranks"][2]["min_gv"] = 1500
    document["unilevel"]["levels"][0]["rate"] = 0.05
    document["payout"]["minimum"] = 25
    problems = problems_of(document)
    assert set(problems) == {"$.ranks[2].min_gv", "$.unilevel.levels[0].rate", "$.payout.minimum"}
    assert "JSON number is not allowed" in problems["$.unilevel.levels[0].rate"]


def test_unknown_and_missing_keys_are_refused(document):
    document["bonus_pool"] = {"rate": "0.01"}
    document["unilevel"]["levels"][1]["max_rank"] = 3
    del document["ranks"][0]["name"]
    del document["cooling_off_days"]
    problems = problems_of(document)
    assert set(problems) == {
        "$.bonus_pool",
        "$.unilevel.levels[1].max_rank",
        "$.ranks[0].name",
        "$.cooling_off_days",
    }
    assert problems["$.bonus_pool"].startswith("unknown key")
    assert problems["$.cooling_off_days"] == "is required"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d.update(type="matrix"), "$.type", "must be one of unilevel, differential"),
        (lambda d: d.update(currency="euro"), "$.currency", "three-letter"),
        (lambda d: d.update(time_zone="Mars/Olympus"), "$.time_zone", "not a known time zone"),
        (lambda d: d.update(name=""), "$.name", "non-empty"),
        (lambda d: d.update(version="v" * 33), "$.version", "at most 32"),
        (lambda d: d["personal_commission"].update(rate="1.5"), "$.personal_commission.rate", "at most 1"),
        (lambda d: d["buyback"].update(refund_share="-0.1"), "$.buyback.refund_share", "at least 0"),
        (lambda d: d["activity"].update(min_pv="lots"), "$.activity.min_pv", "not a decimal"),
        (lambda d: d["activity"].update(min_pv="1e3"), "$.activity.min_pv", "not a decimal"),
        (lambda d: d.update(cooling_off_days="14"), "$.cooling_off_days", "whole number"),
        (lambda d: d.update(cooling_off_days=True), "$.cooling_off_days", "whole number"),
        (lambda d: d["ranks"][3].update(number=7), "$.ranks", "rank numbers must be 1..6"),
        (lambda d: d["ranks"][3].update(number=3), "$.ranks", "each once"),
        (lambda d: d["ranks"][2].update(max_leg_share="1.5"), "$.ranks[2].max_leg_share", "at most 1"),
        (lambda d: d["ranks"][4].update(leg_rank=9), "$.ranks[4].leg_rank", "at most 6"),
        (lambda d: d["ranks"][4].update(leg_rank=0), "$.ranks[4].leg_rank", "at least 1"),
        (lambda d: d["unilevel"]["levels"][4].update(level=7), "$.unilevel.levels", "levels must be 1..5"),
        (lambda d: d["unilevel"]["levels"][0].update(min_rank=7), "$.unilevel.levels[0].min_rank", "at most 6"),  # noqa: E501
        (lambda d: d["unilevel"].update(compression="dynamic"), "$.unilevel.compression", "not_eligible, inactive, none"),  # noqa: E501
        (lambda d: d["unilevel"].update(roll_up="no"), "$.unilevel.roll_up", "true or false"),
        (lambda d: d["unilevel"].update(levels=[]), "$.unilevel.levels", "must not be empty"),
        (lambda d: d["host_rewards"]["tiers"][2].update(min_qps="400"), "$.host_rewards.tiers[2].min_qps", "ascending"),  # noqa: E501
        (lambda d: d["host_rewards"].update(half_price_item_per="0"), "$.host_rewards.half_price_item_per", "greater than 0"),  # noqa: E501
        (lambda d: d.update(customer_requirement={}), "$.customer_requirement", "min_pcv, min_customers"),
        (lambda d: d.update(ranks={}), "$.ranks", "must be an array"),
        (lambda d: d.pop("ranks"), "$.ranks", "required in a unilevel plan"),
        (lambda d: d.update(differential={"schedule": []}), "$.differential", "not allowed in a unilevel plan"),  # noqa: E501
    ],
)  # fmt: skip
def test_every_kind_of_problem_is_reported_with_its_path(document, change, path, message):
    change(document)
    problems = problems_of(document)
    assert path in problems, problems
    assert message in problems[path]


def test_a_differential_plan_must_not_carry_ranks_and_needs_its_schedule(document):
    document["type"] = "differential"
    problems = problems_of(document)
    assert problems["$.ranks"] == "is not allowed in a differential plan"
    assert problems["$.unilevel"] == "is not allowed in a differential plan"
    assert problems["$.differential"] == "is required in a differential plan"


def test_schedule_brackets_must_ascend(document):
    del document["ranks"], document["unilevel"]
    document["type"] = "differential"
    document["differential"] = {
        "schedule": [{"min_group_qv": "600", "rate": "0.06"}, {"min_group_qv": "200", "rate": "0.03"}]
    }
    assert "ascending" in problems_of(document)["$.differential.schedule[1].min_group_qv"]


def test_not_an_object():
    assert problems_of(["a plan"]) == {"$": "must be an object, not an array"}


def test_json_errors_are_reported_with_line_and_column(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{\n  "name": "Standard",\n  "version": 2026.1,,\n}\n')
    with pytest.raises(PlanDocumentError) as caught:
        load_plan_file(path)
    [(where, message)] = caught.value.problems
    assert where == "$"
    assert message.startswith("invalid JSON at line 3, column 21")


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(PlanDocumentError, match="cannot read"):
        load_plan_file(tmp_path / "nope.json")


# -- storing versions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_load_stores_a_version_and_audits_it(document, admin_user):
    plan = plan_load(document=document, actor=admin_user)
    assert (plan.name, plan.version, plan.plan_type, plan.document) == (
        "Standard",
        "2026.1",
        "unilevel",
        document,
    )
    assert plan.loaded_by == admin_user
    entry = AuditEntry.objects.get(action="plan.load")
    assert (entry.actor, entry.target_id) == (admin_user, str(plan.pk))
    assert plan_newest() == plan


@pytest.mark.django_db
def test_the_same_document_again_is_idempotent_and_a_changed_one_needs_a_new_version(document):
    first = plan_load(document=document)
    assert plan_load(document=copy.deepcopy(document)) == first
    assert Plan.objects.count() == 1
    document["payout"]["minimum"] = "50.00"
    with pytest.raises(Conflict, match="new version"):
        plan_load(document=document)
    document["version"] = "2026.2"
    second = plan_load(document=document)
    assert Plan.objects.count() == 2
    assert plan_newest() == second
    assert AuditEntry.objects.filter(action="plan.load").count() == 2


@pytest.mark.django_db
def test_plan_ensure_default_loads_the_shipped_plan_once():
    plan = plan_ensure_default()
    assert (plan.name, plan.version) == ("Standard", "2026.1")
    assert plan_ensure_default() == plan
    assert Plan.objects.count() == 1


@pytest.mark.django_db
def test_load_plan_command(tmp_path, document, capsys):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    call_command("load_plan", str(path))
    call_command("load_plan", str(path))
    assert capsys.readouterr().out == "Loaded plan Standard 2026.1\nLoaded plan Standard 2026.1\n"
    assert Plan.objects.count() == 1


@pytest.mark.django_db
def test_load_plan_command_lists_every_problem_and_stores_nothing(tmp_path, document):
    document["version"] = "2026.9"
    document["ranks"][0]["min_pv"] = 100
    document["unilevel"]["compression"] = "sometimes"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError) as caught:
        call_command("load_plan", str(path))
    message = str(caught.value)
    assert "nothing was loaded" in message
    assert "$.ranks[0].min_pv: must be a string holding a decimal" in message
    assert "$.unilevel.compression: must be one of not_eligible, inactive, none" in message
    assert not Plan.objects.exists()
    assert not AuditEntry.objects.exists()
