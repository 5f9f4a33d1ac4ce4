"""Statements, their ledger lines by cursor pages, rank progress read from what the close stored,
and the period calendar as a page, on the spec's example S1 closed for 2026-10:

    A (Team Leader, 3) ─ B (2) ─ D (1) ─ G (1)
                       │       ├ J (1)
                       │       └ E (0) ─ H (1) ─ I (1)
                       ├ C (1) ─ F (1)
                       └ K (1)
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from commissions.models import DistributorPeriod
from commissions.selectors.legs import leg_highest_ranks
from core.api.pagination import encode_cursor
from distributors.models import Distributor
from distributors.services.moves import distributor_move
from plans.models import Plan
from tests.commissions.closing import EXAMPLES, close, default_plan

from .conftest import client_for

TEAM_LEADER = {"number": 3, "name": "Team Leader"}


@pytest.fixture
def s1(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("import_network", str(EXAMPLES / "s1"), stdout=open("/dev/null", "w"))
    default_plan()
    run = close("2026-10")
    assert run.status == "succeeded", run.error
    clients = {"run": run}
    for external_id in ("A", "B", "K"):
        user = get_user_model().objects.create_user(f"{external_id.lower()}-login", password="x")
        Distributor.objects.filter(external_id=external_id).update(user=user)
        clients[external_id] = client_for(user)
    return clients


def test_the_close_stores_each_legs_best_rank_and_frontline_size(s1):
    rows = {
        external_id: (best, frontline)
        for external_id, best, frontline in DistributorPeriod.objects.filter(run=s1["run"]).values_list(
            "distributor__external_id", "subtree_max_rank", "frontline_count"
        )
    }
    assert rows == {
        "A": (3, 3), "B": (2, 3), "C": (1, 1), "K": (1, 0), "D": (1, 1), "J": (1, 0),
        "E": (1, 1), "H": (1, 1), "I": (1, 0), "G": (1, 0), "F": (1, 0),
    }  # fmt: skip


def test_statement_list_items_carry_rank_and_title(s1):
    item = s1["A"].get("/api/v1/statements/").json()["results"][0]
    assert (item["period"], item["paid_as_rank"], item["title"], item["net"]) == (
        "2026-10",
        TEAM_LEADER,
        TEAM_LEADER,
        "292.50",
    )


def test_statement_detail_is_the_list_item_plus_its_children(s1):
    item = s1["A"].get("/api/v1/statements/").json()["results"][0]
    detail = s1["A"].get("/api/v1/statements/2026-10/?page_size=4").json()
    assert {key: detail[key] for key in item} == item
    assert set(detail) - set(item) == {"explanation", "lines"}
    assert detail["explanation"]["paid_as_rank"] == TEAM_LEADER
    assert (detail["lines"]["count"], detail["lines"]["page_size"]) == (None, 4)
    # The embedded first page continues at the lines endpoint, with the same page size.
    lines, url = list(detail["lines"]["results"]), detail["lines"]["next"]
    assert "/api/v1/statements/2026-10/lines/" in url and "page_size=4" in url
    while url:
        page = s1["A"].get(url).json()
        lines += page["results"]
        url = page["next"]
    everything = s1["A"].get("/api/v1/statements/2026-10/lines/?page_size=100").json()
    assert lines == everything["results"]
    assert everything["next"] is None
    personal = [line for line in lines if line["kind"] == "personal"]
    overrides = [line for line in lines if line["kind"] == "override"]
    assert len(personal) + len(overrides) == len(lines)
    assert [line["amount"] for line in personal] == ["200.00"]
    assert sum(Decimal(line["amount"]) for line in overrides) == Decimal("92.50")


def _renamed_plan(version: str) -> Plan:
    """A newer plan whose ranks are named otherwise (rank 3 is "Gold" there)."""
    document = dict(default_plan().document, version=version)
    document["ranks"] = [dict(r, name=f"{r['name']} {version}") for r in document["ranks"]]
    document["ranks"][2]["name"] = "Gold"
    return Plan.objects.create(name="Renamed", version=version, plan_type="unilevel", document=document)


def test_ranks_are_named_by_the_plan_that_decided_them(s1, admin_client):
    """2026-10 closed under the default plan, then a plan naming rank 3 "Gold" came: October's
    statement keeps "Team Leader", and so does my live rank until a close under the new plan."""
    newer = _renamed_plan("2027.1")
    a = s1["A"]
    assert a.get("/api/v1/statements/").json()["results"][0]["paid_as_rank"] == TEAM_LEADER
    detail = a.get("/api/v1/statements/2026-10/").json()
    assert (detail["paid_as_rank"], detail["explanation"]["paid_as_rank"]) == (TEAM_LEADER, TEAM_LEADER)
    assert a.get("/api/v1/me/progress/").json()["title"] == TEAM_LEADER
    assert a.get("/api/v1/me/").json()["rank"] == TEAM_LEADER
    b = Distributor.objects.get(external_id="B")
    assert s1["A"].get(f"/api/v1/downline/{b.pk}/").json()["rank"] == {
        "number": 2,
        "name": "Senior Consultant",
    }
    admin_page = admin_client.get(
        reverse("admin:commissions_distributorperiod_changelist"), {"q": "A"}
    ).content.decode()
    assert '<td class="field-title_named">3 · Team Leader</td>' in admin_page and "Gold" not in admin_page

    november = close("2026-11", plan=newer)
    assert november.status == "succeeded", november.error
    # The title (3, highest ever) is now named by November's plan; October's statement is not.
    assert a.get("/api/v1/me/").json()["title"] == {"number": 3, "name": "Gold"}
    page = a.get("/api/v1/statements/").json()["results"]
    assert [(item["period"], item["title"]) for item in page] == [
        ("2026-11", {"number": 3, "name": "Gold"}),
        ("2026-10", TEAM_LEADER),
    ]
    assert a.get("/api/v1/statements/2026-10/").json()["explanation"]["title"] == TEAM_LEADER
    admin_page = admin_client.get(
        reverse("admin:commissions_distributorperiod_changelist"), {"q": "A"}
    ).content.decode()
    titles = [cell.split("<")[0] for cell in admin_page.split('<td class="field-title_named">')[1:]]
    assert titles == ["3 · Gold", "3 · Team Leader"]


def test_statement_lines_refuse_a_foreign_cursor_and_stay_mine(s1):
    bad = s1["A"].get("/api/v1/statements/2026-10/lines/", {"cursor": encode_cursor([5])})
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["cursor"]
    assert s1["A"].get("/api/v1/statements/2026-11/lines/").status_code == 404
    mine = s1["K"].get("/api/v1/statements/2026-10/lines/").json()["results"]
    assert [line["amount"] for line in mine] == ["50.00"]


def test_progress_reads_the_stored_best_ranks(s1, django_assert_max_num_queries):
    client = s1["A"]
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/me/progress/").json()
    legs = {
        leg["external_id"]: (leg["paid_as_rank"]["number"], leg["highest_rank"]["number"])
        for leg in body["legs"]
    }
    assert legs == {"B": (2, 2), "C": (1, 1), "K": (1, 1)}
    assert body["leg_count"] == 3
    assert (body["paid_as_rank"], body["title"]) == (TEAM_LEADER, TEAM_LEADER)
    # The same answer as the recursive query over the whole downline it replaces.
    a = Distributor.objects.get(external_id="A")
    by_id = dict(Distributor.objects.filter(external_id__in=legs).values_list("pk", "external_id"))
    recursive = {by_id[pk]: rank for pk, rank in leg_highest_ranks(s1["run"], a.pk).items()}
    assert recursive == {external_id: best for external_id, (_, best) in legs.items()}


def _rewrite_results(run, **values) -> None:
    # The rows of a closed period are immutable (a trigger); this test rewrites history on purpose.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        DistributorPeriod.objects.filter(run=run).update(**values)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_progress_of_a_run_without_stored_ranks_or_after_a_move_is_the_same(s1, admin_user):
    before = s1["A"].get("/api/v1/me/progress/").json()
    # Runs closed before the close stored them have nulls: the readers fall back.
    _rewrite_results(s1["run"], subtree_max_rank=None, frontline_count=None)
    assert s1["A"].get("/api/v1/me/progress/").json() == before
    # K moves away after the close: the period's frontline still has K.
    _rewrite_results(s1["run"], frontline_count=3)
    b = Distributor.objects.get(external_id="B")
    k = Distributor.objects.get(external_id="K")
    distributor_move(distributor=k, new_sponsor=b, actor=admin_user, reason="test")
    assert s1["A"].get("/api/v1/me/progress/").json()["legs"] == before["legs"]


def test_the_period_calendar_is_a_page(s1):
    body = s1["A"].get("/api/v1/periods/?page_size=1").json()
    assert set(body) == {"count", "page", "page_size", "num_pages", "next", "previous", "results"}
    assert body["count"] >= 2  # 2026-10 (closed) and the current month
    assert len(body["results"]) == 1
    periods = [row["period"] for row in s1["A"].get("/api/v1/periods/?page_size=100").json()["results"]]
    assert periods == sorted(periods, reverse=True)
    assert "2026-10" in periods
    assert s1["A"].get("/api/v1/periods/?page=0").status_code == 400


def test_the_schema_gives_minimums_and_the_period_pattern(s1):
    schema = s1["A"].get("/api/v1/schema/?format=json").json()
    parameters = {
        (path, parameter["name"]): parameter["schema"]
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
    }
    assert parameters[("/api/v1/statements/", "page")]["minimum"] == 1
    assert parameters[("/api/v1/statements/", "page_size")]["minimum"] == 1
    assert parameters[("/api/v1/downline/", "page_size")]["minimum"] == 1
    assert parameters[("/api/v1/downline/", "max_depth")]["minimum"] == 1
    for path in ("/api/v1/statements/{period}/", "/api/v1/statements/{period}/lines/"):
        assert parameters[(path, "period")]["pattern"] == r"^\d{4}-(0[1-9]|1[0-2])$"
