"""The admin pages: buy-back decisions, compliance reports with warnings, the income disclosure
statement (page, CSV, printable page) and the command."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from compliance.services import compliance_report_compute
from core.models import AuditEntry
from orders.models import BuybackStatus, Return, ReturnKind
from orders.services.buyback import buyback_request_create
from tests.compliance.factories import make_customer, make_distributor, make_order, make_product

D = Decimal

HEADER = (
    "year,rank,rank_name,participants,share_of_participants,paid_anything,"
    "median_gross,mean_gross,lowest_gross,highest_gross,total_gross"
)
EXPECTED_CSV = (
    HEADER
    + """
2025,all,All participants,7,1.0000,4,20.00,170.71,-5.00,1000.00,1195.00
2025,0,No rank,2,0.2857,0,-2.50,-2.50,-5.00,0.00,-5.00
2025,1,Consultant,2,0.2857,1,10.00,10.00,0.00,20.00,20.00
2025,2,Senior Consultant,1,0.1429,1,30.00,30.00,30.00,30.00,30.00
2025,3,Team Leader,2,0.2857,2,575.00,575.00,150.00,1000.00,1150.00
2025,4,Manager,0,0.0000,0,0.00,0.00,0.00,0.00,0.00
2025,5,Director,0,0.0000,0,0.00,0.00,0.00,0.00,0.00
2025,6,Executive Director,0,0.0000,0,0.00,0.00,0.00,0.00,0.00
"""
)


@pytest.fixture
def staff_client(client, admin_user, settings):
    # Plain static storage: the manifest exists only after collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client.force_login(admin_user)
    return client


def test_income_disclosure_page_csv_and_print(staff_client, population):
    page = staff_client.get(reverse("admin:compliance_income_disclosure") + "?year=2025")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Income disclosure statement 2025" in html
    assert "4 (57.1%)" in html
    assert "gross earnings before expenses" in html

    csv_response = staff_client.get(reverse("admin:compliance_income_disclosure_csv", args=[2025]))
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().replace("\r\n", "\n") == EXPECTED_CSV

    printable = staff_client.get(reverse("admin:compliance_income_disclosure_print", args=[2025]))
    assert printable.status_code == 200
    assert "<h1>Income disclosure statement 2025</h1>" in printable.content.decode()


def test_income_disclosure_command(population, tmp_path):
    out = io.StringIO()
    call_command("income_disclosure", "2025", stdout=out)
    text = out.getvalue()
    assert "Participants: 7 (joined 1, left 1)" in text
    assert "Median gross: 20.00   Mean gross: 170.71" in text
    target = tmp_path / "disclosure.csv"
    call_command("income_disclosure", "2025", "--csv", str(target), stdout=io.StringIO())
    assert target.read_text().replace("\r\n", "\n") == EXPECTED_CSV


def test_report_pages_show_warnings(staff_client, db, django_assert_max_num_queries):
    product = make_product("PAN")
    xandra = make_distributor("Xandra")
    march = dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC)
    make_order(xandra, "inventory", march, [(product, 4)])
    make_order(xandra, "customer", march, [(product, 1)], customer=make_customer(xandra))
    report = compliance_report_compute(period_start=dt.date(2025, 3, 1))
    for month in (4, 5, 6):
        compliance_report_compute(period_start=dt.date(2025, month, 1))

    with django_assert_max_num_queries(8):
        listing = staff_client.get(reverse("admin:compliance_compliancereport_changelist"))
    assert listing.status_code == 200
    assert "⚠ 3" in listing.content.decode()  # volume share, over the cap, resale ratio

    detail = staff_client.get(reverse("admin:compliance_compliancereport_change", args=[report.pk]))
    html = detail.content.decode()
    assert "compliance-warning" in html
    assert "Volume sold to end customers" in html
    assert "Only 20.0% of the period&#x27;s volume was sold to end customers" in html

    computed = staff_client.post(reverse("admin:compliance_compliancereport_compute"), {"period": "2025-07"})
    assert computed.status_code == 302


@pytest.fixture
def buyback(db, admin_user):
    ingrid = make_distributor("Ingrid")
    product = make_product("PAN")
    stock = make_order(ingrid, "inventory", timezone.now() - dt.timedelta(days=3), [(product, 4)])
    request = buyback_request_create(distributor=ingrid, lines=[(stock.lines.get(), 4)], actor=admin_user)
    return request


def test_buyback_list_and_partial_decision(staff_client, buyback, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        listing = staff_client.get(reverse("admin:orders_buybackrequest_changelist"))
    assert "Requested" in listing.content.decode()

    page = staff_client.get(reverse("admin:orders_buybackrequest_decide", args=[buyback.pk]))
    assert page.status_code == 200
    line = buyback.lines.get()
    refused = staff_client.post(
        reverse("admin:orders_buybackrequest_decide", args=[buyback.pk]),
        {f"line-{line.pk}": "3", "reason": ""},
    )
    assert "Give the reason" in refused.content.decode()

    done = staff_client.post(
        reverse("admin:orders_buybackrequest_decide", args=[buyback.pk]),
        {f"line-{line.pk}": "3", "reason": "One was opened"},
    )
    assert done.status_code == 302
    buyback.refresh_from_db()
    assert buyback.status == BuybackStatus.PARTLY_APPROVED
    assert buyback.refund_total == D("202.50")
    assert Return.objects.get(kind=ReturnKind.BUYBACK).refund_amount == D("202.50")
    assert AuditEntry.objects.filter(action="buyback.partly_approve", reason="One was opened").exists()


def test_buyback_reject_action_asks_for_a_reason(staff_client, buyback):
    url = reverse("admin:orders_buybackrequest_changelist")
    form = staff_client.post(url, {"action": "reject_with_reason", "_selected_action": [buyback.pk]})
    assert "Reject these buy-back requests?" in form.content.decode()
    staff_client.post(
        url, {"action": "reject_with_reason", "_selected_action": [buyback.pk], "reason": "Used products"}
    )
    buyback.refresh_from_db()
    assert (buyback.status, buyback.decision_reason) == (BuybackStatus.REJECTED, "Used products")


def test_buyback_approve_action(staff_client, buyback):
    url = reverse("admin:orders_buybackrequest_changelist")
    staff_client.post(url, {"action": "approve_in_full", "_selected_action": [buyback.pk]})
    buyback.refresh_from_db()
    assert buyback.status == BuybackStatus.APPROVED
    assert buyback.refund_total == D("270.00")


def test_buyback_change_page_links_to_the_decision(staff_client, buyback):
    page = staff_client.get(reverse("admin:orders_buybackrequest_change", args=[buyback.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("admin:orders_buybackrequest_decide", args=[buyback.pk]) in html
    assert "67.50" in html  # the refund per unit on the line


def test_the_compliance_pages_format_every_number_in_the_readers_language(staff_client, population):
    staff_client.cookies["django_language"] = "nl"
    html = staff_client.get(reverse("admin:compliance_income_disclosure") + "?year=2025").content.decode()
    assert "4 (57,1%)" in html  # never "57.1%" beside "170,71"
    assert '<td class="num">€\u00a0170,71</td>' in html  # mean gross payment
    assert "3 · Team Leader</td>" in html
    printable = staff_client.get(reverse("admin:compliance_income_disclosure_print", args=[2025]))
    assert "€\u00a01.000,00" in printable.content.decode()  # highest gross payment


def test_the_report_page_formats_shares_volumes_and_thresholds(staff_client, db):
    product = make_product("PAN")
    xandra = make_distributor("Xandra")
    march = dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC)
    make_order(xandra, "inventory", march, [(product, 4)])
    make_order(xandra, "customer", march, [(product, 1)], customer=make_customer(xandra))
    report = compliance_report_compute(period_start=dt.date(2025, 3, 1))
    staff_client.cookies["django_language"] = "nl"
    html = staff_client.get(
        reverse("admin:compliance_compliancereport_change", args=[report.pk])
    ).content.decode()
    assert '<td class="num">20,0%</td>' in html  # share sold to end customers
    assert '<td class="num">50%</td>' in html  # a threshold, as a percentage
