"""The warnings of the compliance report are shown in the reader's language, whatever language
the report was computed in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from compliance.services import compliance_report_compute
from compliance.warnings import WARNING_TEXTS, localized_warnings, warning_text
from tests.compliance.factories import make_customer, make_distributor, make_order, make_product

D = Decimal


def test_a_warning_is_written_in_the_active_language_with_its_decimal_mark():
    with translation.override("nl"):
        title, message = warning_text("customer_volume_share", D("0.4167"), D("0.50"))
    assert title == "Volume verkocht aan eindklanten"
    assert message.startswith("Slechts 41,7% van het volume van de periode is aan eindklanten verkocht")
    assert "de drempel is minstens 50,0%." in message
    title, message = warning_text("customer_volume_share", D("0.4167"), D("0.50"))
    assert title == "Volume sold to end customers"
    assert message.startswith("Only 41.7% of the period's volume was sold to end customers")


def test_every_warning_has_a_dutch_title_and_message():
    for code in WARNING_TEXTS:
        english = warning_text(code, D("0.1"), D("0.2"))
        with translation.override("nl"):
            dutch = warning_text(code, D("0.1"), D("0.2"))
        assert dutch[0] != english[0] and dutch[1] != english[1], code
        assert "10,0%" in dutch[1] and "20,0%" in dutch[1], code


def test_stored_warnings_are_shown_in_the_readers_language():
    stored = [
        {
            "code": "buyback_rate",
            "level": "warning",
            "title": "Buy-back rate",
            "message": "Buy-backs were 12.9% of the value ... (threshold at most 5.0%).",
            "value": "0.1286",
            "threshold": "0.05",
        },
        # A code this version does not know keeps the text it was stored with.
        {"code": "gone", "level": "info", "title": "Old", "message": "Old", "value": "1", "threshold": "0"},
    ]
    with translation.override("nl"):
        shown = localized_warnings(stored)
    assert shown[0] == {
        **stored[0],
        "title": "Terugkooppercentage",
        "message": "Terugkopen waren 12,9% van de waarde die distributeurs in deze periode voor zichzelf "
        "kochten (drempel hoogstens 5,0%).",
    }
    assert shown[1] == stored[1]
    assert stored[0]["title"] == "Buy-back rate"  # the stored record is not changed


def test_the_admin_shows_the_warning_banner_in_dutch(admin_client):
    product = make_product("PAN")
    xandra = make_distributor("Xandra")
    march = dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC)
    make_order(xandra, "inventory", march, [(product, 4)])
    make_order(xandra, "customer", march, [(product, 1)], customer=make_customer(xandra))
    report = compliance_report_compute(period_start=dt.date(2025, 3, 1))  # computed in English

    url = reverse("admin:compliance_compliancereport_change", args=[report.pk])
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Volume verkocht aan eindklanten" in html
    assert "Slechts 20,0% van het volume van de periode is aan eindklanten verkocht" in html
    assert "Only 20.0%" not in html
    english = admin_client.get(url).content.decode()
    assert "Only 20.0% of the period&#x27;s volume was sold to end customers" in english
