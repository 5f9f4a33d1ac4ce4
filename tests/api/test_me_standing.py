"""GET /api/v1/me/ carries the open month's standing (volumes and eligibility, live)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.periods import period_label, period_of
from distributors.models import Distributor
from tests.commissions.closing import EXAMPLES

S1 = EXAMPLES / "s1"

pytestmark = pytest.mark.django_db


def test_me_tells_a_distributor_this_month_s_standing_and_what_is_missing():
    call_command("import_network", str(S1), stdout=open("/dev/null", "w"))
    anna = Distributor.objects.get(external_id="A")
    anna.user = get_user_model().objects.create_user("anna", password="pw-anna-123")
    anna.save(update_fields=["user"])
    client = APIClient()
    client.force_authenticate(anna.user)

    standing = client.get("/api/v1/me/").json()["current_period"]

    # S1's orders are October's; the open month (today) has none yet.
    assert standing["period"] == period_label(period_of(timezone.now()))
    assert (standing["pv"], standing["gv"], standing["active"], standing["override_eligible"]) == (
        "0.0000",
        "0.0000",
        False,
        False,
    )
    assert standing["missing"][0] == "You need 100 more PV to be active (at least 100)."
