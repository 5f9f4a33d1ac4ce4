"""GET /me/progress/?month=open: the open month so far, from its newest preview (the portal's rank
report card reads the same explanation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from commissions.selectors.rank_progress import rank_progress
from core.periods import period_label, period_of, previous_period
from distributors.models import Distributor
from tests.commissions.closing import close, default_plan

pytestmark = pytest.mark.django_db


def _month(start: dt.date) -> str:
    return period_label(start)


def test_the_open_month_needs_a_preview_then_answers_from_it(api, net):
    Distributor.objects.update(enrolled_at=timezone.now() - dt.timedelta(days=70))
    default_plan()
    this_month = period_of(timezone.now())
    assert close(_month(previous_period(this_month))).status == "succeeded"
    client = api("anna")
    closed = client.get("/api/v1/me/progress/").json()
    assert closed["period"] == _month(previous_period(this_month))
    assert client.get("/api/v1/me/progress/?month=open").status_code == 404  # no preview yet

    preview = close(_month(this_month), preview=True)
    body = client.get("/api/v1/me/progress/?month=open").json()
    expected = rank_progress(net.anna, preview)
    assert body["period"] == _month(this_month)
    assert (Decimal(body["pv"]), Decimal(body["gv"])) == (expected.pv, expected.gv)
    # The default stays the last closed period.
    assert client.get("/api/v1/me/progress/").json()["period"] == closed["period"]


@pytest.mark.parametrize("query", ["month=next", "month=", "monthly=open"])
def test_a_bad_month_is_a_400_with_a_field_message(api, net, query):
    response = api("anna").get(f"/api/v1/me/progress/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]
