"""Statements, explained ledger lines, rank progress, payouts and the period calendar, on the
spec's example S1 closed for 2026-10 (spec/examples/s1: A is Team Leader with 200.00 personal
commission and 92.50 in overrides)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from commissions.services.payouts import payout_batch_create, payout_batch_mark_paid
from core.periods import parse_period
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor
from tests.commissions.closing import EXAMPLES, close, default_plan

from .conftest import client_for


@pytest.fixture
def s1(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("import_network", str(EXAMPLES / "s1"))
    default_plan()
    run = close("2026-10")
    assert run.status == "succeeded", run.error
    clients = {}
    for external_id in ("A", "B", "K"):
        user = get_user_model().objects.create_user(f"{external_id.lower()}-login", password="x")
        Distributor.objects.filter(external_id=external_id).update(user=user)
        clients[external_id] = client_for(user)
    return clients


def test_statement_list_shows_my_closed_periods(s1):
    body = s1["A"].get("/api/v1/statements/").json()
    assert body["count"] == 1
    statement = body["results"][0]
    assert (statement["period"], statement["personal"], statement["override"]) == (
        "2026-10",
        "200.00",
        "92.50",
    )
    assert statement["net"] == "292.50"


def test_statement_explains_rank_and_every_line(s1):
    response = s1["A"].get("/api/v1/statements/2026-10/")
    assert response.status_code == 200
    body = response.json()
    explanation = body["explanation"]
    assert (body["paid_as_rank"], explanation["paid_as_rank"], explanation["pv"], explanation["gv"]) == (
        {"number": 3, "name": "Team Leader"},
        {"number": 3, "name": "Team Leader"},
        "600.0000",
        "3200.0000",
    )
    assert (body["personal"], body["override"]) == ("200.00", "92.50")
    lines = body["lines"]["results"]
    overrides = [line for line in lines if line["kind"] == "override"]
    assert sum(Decimal(line["amount"]) for line in overrides) == Decimal("92.50")
    sources = {line["source_external_id"] for line in overrides}
    assert sources <= {"B", "C", "K", "D", "J", "E", "H", "I", "G", "F"}
    assert all(line["level"] >= 1 for line in overrides)
    # Legs show name, rank and volume only.
    assert set(explanation["legs"][0]) == {
        "distributor_id",
        "external_id",
        "name",
        "active",
        "paid_as_rank",
        "gv",
        "highest_rank",
    }
    assert "ETag" in response


def test_progress_says_what_is_missing_for_the_next_rank(s1):
    body = s1["B"].get("/api/v1/me/progress/").json()
    assert (body["period"], body["paid_as_rank"]["number"]) == ("2026-10", 2)
    assert body["next_rank"]["number"] == 3
    assert body["next_rank"]["missing"], "B is not rank 3, so something is missing"
    assert all(not requirement["met"] for requirement in body["next_rank"]["missing"])


def test_each_distributor_sees_only_their_own_statement(s1):
    a = s1["A"].get("/api/v1/statements/2026-10/").json()
    k = s1["K"].get("/api/v1/statements/2026-10/").json()
    assert a["net"] != k["net"]
    assert [row["period"] for row in s1["K"].get("/api/v1/statements/").json()["results"]] == ["2026-10"]


def test_open_or_unknown_periods_are_404(s1):
    assert s1["A"].get("/api/v1/statements/2026-11/").status_code == 404
    assert s1["A"].get("/api/v1/statements/2026-13/").status_code == 404
    assert s1["A"].get("/api/v1/statements/latest/").status_code == 404


def test_period_calendar(s1):
    rows = {row["period"]: row for row in s1["A"].get("/api/v1/periods/").json()["results"]}
    assert rows["2026-10"]["status"] == "closed"
    assert rows["2026-10"]["starts_at"] == "2026-10-01T00:00:00+02:00"
    assert rows["2026-10"]["ends_at"] == "2026-11-01T00:00:00+01:00"
    assert sum(row["is_current"] for row in rows.values()) == 1


def test_payouts_are_mine_only(s1, admin_user):
    assert s1["A"].get("/api/v1/payouts/").json()["count"] == 0
    seed_bank_accounts()  # payouts go to a valid bank account (distributors.bank)
    batch = payout_batch_create(period=parse_period("2026-10"), actor=admin_user)
    payout_batch_mark_paid(batch=batch, actor=admin_user)
    mine = s1["A"].get("/api/v1/payouts/").json()["results"]
    assert [(p["period"], p["amount"], p["status"]) for p in mine] == [("2026-10", "292.50", "paid")]
    k = s1["K"].get("/api/v1/payouts/").json()["results"]
    assert [p["amount"] for p in k] == ["50.00"]


def test_no_results_before_the_first_close(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from .conftest import enroll

    newbie = enroll("Nora Nieuw", None)
    client = client_for(newbie.user)
    assert client.get("/api/v1/me/progress/").status_code == 404
    assert client.get("/api/v1/statements/").json()["count"] == 0
