"""GET /api/v1/me/ carries the open month's standing: my own volumes and eligibility live, GV and
the rank so far from the newest preview close (live only before the month's first preview)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from commissions.selectors import standing as standing_module
from commissions.selectors.standing import current_standing
from core.periods import period_label, period_of
from distributors.models import Distributor
from tests.commissions.closing import EXAMPLES, close, default_plan

S1 = EXAMPLES / "s1"

pytestmark = pytest.mark.django_db


DURING_OCTOBER = dt.datetime(2026, 10, 28, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def anna_client():
    call_command("import_network", str(S1), stdout=open("/dev/null", "w"))
    default_plan()
    anna = Distributor.objects.get(external_id="A")
    anna.user = get_user_model().objects.create_user("anna", password="pw-anna-123")
    anna.save(update_fields=["user"])
    client = APIClient()
    client.force_authenticate(anna.user)
    return client


def test_me_tells_a_distributor_this_month_s_standing_and_what_is_missing(anna_client):
    standing = anna_client.get("/api/v1/me/").json()["current_period"]

    # S1's orders are October's; the open month (today) has none yet.
    assert standing["period"] == period_label(period_of(timezone.now()))
    assert (standing["pv"], standing["gv"], standing["active"], standing["override_eligible"]) == (
        "0.0000",
        "0.0000",
        False,
        False,
    )
    assert standing["missing"][0] == "You need 100 more PV to be active (at least 100)."
    # No preview of the month yet: GV is summed live, and there is no rank so far.
    assert (standing["gv_source"], standing["paid_as_rank"]) == ("live", None)
    assert standing["gv_as_of"] is not None


def test_me_takes_gv_and_the_rank_so_far_from_the_newest_preview_with_its_moment(anna_client):
    run = close(period_label(period_of(timezone.now())), preview=True)
    assert run.status == "succeeded", run.error

    standing = anna_client.get("/api/v1/me/").json()["current_period"]

    assert standing["gv_source"] == "preview"
    assert dt.datetime.fromisoformat(standing["gv_as_of"]) == run.finished_at
    assert standing["paid_as_rank"] == {"number": 0, "name": None}
    assert standing["gv"] == "0.0000"


def test_standing_reads_the_downline_from_the_preview_and_only_my_own_orders_live(anna_client, monkeypatch):
    october = close("2026-10", preview=True)
    anna = Distributor.objects.get(external_id="A")

    def no_downline_sum(*args, **kwargs):
        raise AssertionError("the downline's orders were summed although a preview exists")

    monkeypatch.setattr(standing_module, "_downline_pv", no_downline_sum)
    standing = current_standing(anna, at=DURING_OCTOBER)

    # S1: A has PV 600 (own, live) and GV 3,200, paid as Team Leader (the preview's).
    assert (standing.pv, standing.gv) == (Decimal("600"), Decimal("3200"))
    assert (standing.gv_source, standing.gv_as_of) == ("preview", october.finished_at)
    assert (standing.paid_as_rank, standing.paid_as_rank_name) == (3, "Team Leader")


def test_without_a_preview_gv_is_the_live_sum_of_the_downline(anna_client):
    anna = Distributor.objects.get(external_id="A")
    standing = current_standing(anna, at=DURING_OCTOBER)
    assert (standing.gv, standing.gv_source, standing.gv_as_of) == (Decimal("3200"), "live", DURING_OCTOBER)
    assert standing.paid_as_rank is None
