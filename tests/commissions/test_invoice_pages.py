"""The VAT status (one check behind the portal, the API and the admin), the invoices as PDF in the
portal, the API and the admin (each distributor only their own), the statement export with its
invoices, and the VAT report of a period (admin page, CSV, command)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from commissions.invoice_documents import invoice_html, invoice_pdf
from commissions.models import SelfBillingInvoice
from commissions.selectors.invoices import vat_report, vat_report_period
from commissions.services.payouts import payout_batch_create
from core.errors import ApplicationError, PermissionDenied
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor, VatRegistration
from distributors.services.tax import vat_registration_set
from distributors.tax import vat_details_check
from tests.api.conftest import client_for

from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db
ADDRESS = "Dorpsstraat 1\n1234 AB Ergens"


# --- the VAT status check


def errors_of(**details: str) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        vat_details_check(**details)
    return caught.value.message_dict


def test_valid_vat_numbers_are_kept_compact_with_their_country_code():
    nl = vat_details_check(vat_status="nl", vat_number="nl 0000.99998.b57", address=f"  {ADDRESS} ")
    assert (nl.vat_number, nl.address) == ("NL000099998B57", ADDRESS)
    assert vat_details_check(vat_status="nl", vat_number="000099998B57", address=ADDRESS).vat_number == (
        "NL000099998B57"
    )
    assert vat_details_check(vat_status="eu", vat_number="BE 0411.905.847", address="x").vat_number == (
        "BE0411905847"
    )
    assert vat_details_check(vat_status="kor").vat_number == ""
    # Not registered: a number typed before the status changed is dropped, not refused.
    assert vat_details_check(vat_status="none", vat_number="whatever").vat_number == ""


@pytest.mark.parametrize(
    "details, field, message",
    [
        ({"vat_status": "nl", "address": ADDRESS}, "vat_number", "Enter your VAT number"),
        (
            {"vat_status": "nl", "vat_number": "NL000099998B58", "address": ADDRESS},
            "vat_number",
            "typing error",
        ),
        (
            {"vat_status": "nl", "vat_number": "BE0411905847", "address": ADDRESS},
            "vat_number",
            "Dutch VAT number",
        ),
        ({"vat_status": "kor", "vat_number": "DE136695976"}, "vat_number", "Dutch VAT number"),
        (
            {"vat_status": "eu", "vat_number": "NL000099998B57", "address": ADDRESS},
            "vat_number",
            "is a Dutch",
        ),
        ({"vat_status": "eu", "vat_number": "US123456789", "address": ADDRESS}, "vat_number", "EU country"),
        ({"vat_status": "eu", "vat_number": "BE0411905847"}, "address", "address of your business"),
        ({"vat_status": "maybe"}, "vat_status", "Choose your VAT status"),
    ],
)
def test_a_wrong_vat_status_or_number_is_refused_on_its_field(details, field, message):
    errors = errors_of(**details)
    assert field in errors and message in errors[field][0], errors


def test_only_the_distributor_or_staff_set_a_vat_status(admin_user):
    from tests.distributors.factories import DistributorFactory

    someone, other = DistributorFactory(), DistributorFactory()
    user = get_user_model().objects.create_user("other", password="x")
    Distributor.objects.filter(pk=other.pk).update(user=user)
    with pytest.raises(PermissionDenied):
        vat_registration_set(distributor=someone, vat_status="kor", actor=user)
    with pytest.raises(ApplicationError) as caught:
        vat_registration_set(
            distributor=someone, vat_status="nl", vat_number="NL1", address="x", actor=admin_user
        )
    assert caught.value.field == "vat_number"
    saved = vat_registration_set(
        distributor=someone,
        vat_status="eu",
        vat_number="DE136695976",
        address="Hauptstr. 1",
        actor=admin_user,
    )
    assert (saved.vat_status, saved.vat_number) == ("eu", "DE136695976")


# --- with invoices


@pytest.fixture
def invoiced(settings):
    """s1 closed for 2026-10 and paid: Anna (A) VAT-registered in NL, Bert (B) reverse charge; both
    have logins."""
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    seed_bank_accounts()
    default_plan()
    close("2026-10")
    for external_id, status, number in (("A", "nl", "NL000099998B57"), ("B", "eu", "BE0411905847")):
        VatRegistration.objects.create(
            distributor=Distributor.objects.get(external_id=external_id),
            vat_status=status,
            vat_number=number,
            address=ADDRESS,
        )
        user = get_user_model().objects.create_user(f"{external_id.lower()}-login", password="x")
        Distributor.objects.filter(external_id=external_id).update(user=user)
    payout_batch_create(period=period("2026-10"))
    return SelfBillingInvoice.objects.select_related("period", "payout", "distributor")


def login(external_id: str) -> Client:
    client = Client()
    client.force_login(Distributor.objects.get(external_id=external_id).user)
    return client


def test_the_pdf_renders_with_the_legal_texts_in_the_distributors_language(invoiced):
    anna = invoiced.get(distributor__external_id="A")
    pdf = invoice_pdf(anna)
    assert pdf.startswith(b"%PDF") and len(pdf) > 2_000
    html = invoice_html(anna)
    assert anna.number in html and 'lang="nl"' in html
    assert "factuur uitgereikt door afnemer" in html
    assert "NL000099998B57" in html and "NL004495445B01" in html and "Dorpsstraat 1" in html
    bert = invoiced.get(distributor__external_id="B")
    html = invoice_html(bert)
    assert "btw verlegd" in html.lower() and "BE0411905847" in html  # "Btw verlegd: ..." in Dutch
    assert "btw verlegd" not in invoice_html(anna).lower()
    other = invoiced.get(distributor__external_id="C")
    assert "not registered for VAT" in invoice_html(other) or other.language == "nl"


def test_the_portal_lists_the_invoice_with_the_statement_and_serves_only_my_own(invoiced):
    anna = invoiced.get(distributor__external_id="A")
    client = login("A")
    listing = client.get("/portal/statements/").content.decode()
    assert f"Invoice {anna.number}" in listing and "/portal/statements/2026-10/invoice/" in listing
    detail = client.get("/portal/statements/2026-10/").content.decode()
    assert anna.number in detail and "/portal/statements/2026-10/invoice/" in detail
    pdf = client.get("/portal/statements/2026-10/invoice/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and anna.number in pdf["Content-Disposition"]
    # Bert's invoice link gives Bert's, never Anna's; a month without a statement is a 404.
    bert_pdf = login("B").get("/portal/statements/2026-10/invoice/")
    assert invoiced.get(distributor__external_id="B").number in bert_pdf["Content-Disposition"]
    assert client.get("/portal/statements/2026-09/invoice/").status_code == 404


def test_the_portal_vat_page_saves_a_status_and_shows_errors_on_their_fields(invoiced):
    client = login("A")
    assert "/portal/me/vat-status/" in client.get("/portal/me/").content.decode()
    page = client.get("/portal/me/vat-status/")
    assert page.status_code == 200 and page.context["form"]["vat_status"].value() == "nl"
    refused = client.post("/portal/me/vat-status/", {"vat_status": "eu", "vat_number": "NL000099998B57"})
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert "is a Dutch VAT number" in errors["vat_number"][0] and "address" in errors
    assert VatRegistration.objects.get(distributor__external_id="A").vat_status == "nl"  # nothing changed
    saved = client.post(
        "/portal/me/vat-status/",
        {"vat_status": "eu", "vat_number": "DE 136 695 976", "address": "Hauptstr. 1\n10115 Berlin"},
    )
    assert saved.status_code == 302
    row = VatRegistration.objects.get(distributor__external_id="A")
    assert (row.vat_status, row.vat_number, row.address) == ("eu", "DE136695976", "Hauptstr. 1\n10115 Berlin")


def test_the_api_lists_my_invoices_and_serves_their_pdf_and_my_vat_status(invoiced):
    anna_invoice = invoiced.get(distributor__external_id="A")
    anna = client_for(Distributor.objects.get(external_id="A").user)
    (mine,) = anna.get("/api/v1/me/invoices/").json()["results"]
    assert (mine["number"], mine["period"], mine["vat_status"], mine["commission"]) == (
        anna_invoice.number, "2026-10", "nl", "292.50",
    )  # fmt: skip
    assert (mine["vat_amount"], mine["total"], mine["vat_rate"]) == ("61.43", "353.93", "21.00")
    pdf = anna.get(f"/api/v1/me/invoices/{anna_invoice.number}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert mine["pdf"].endswith(f"/api/v1/me/invoices/{anna_invoice.number}/pdf/")
    bert_number = invoiced.get(distributor__external_id="B").number
    assert anna.get(f"/api/v1/me/invoices/{bert_number}/pdf/").status_code == 404

    status = anna.get("/api/v1/me/vat-status/").json()
    assert (status["vat_status"], status["vat_number"]) == ("nl", "NL000099998B57")
    bad = anna.put(
        "/api/v1/me/vat-status/", {"vat_status": "nl", "vat_number": "NL000099998B58"}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"vat_number", "address"}
    ok = anna.put("/api/v1/me/vat-status/", {"vat_status": "kor"}, format="json")
    assert ok.status_code == 200 and ok.json()["vat_status"] == "kor"
    assert client_for(None).get("/api/v1/me/invoices/").status_code == 401


def test_the_admin_lists_invoices_serves_their_pdf_and_edits_vat_statuses(invoiced, admin_client):
    anna = invoiced.get(distributor__external_id="A")
    listing = admin_client.get("/admin/commissions/selfbillinginvoice/")
    assert listing.status_code == 200 and anna.number in listing.content.decode()
    assert "vat-report/" in listing.content.decode()
    assert admin_client.get(f"/admin/commissions/selfbillinginvoice/{anna.pk}/change/").status_code == 200
    pdf = admin_client.get(f"/admin/commissions/selfbillinginvoice/{anna.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert admin_client.get("/admin/commissions/selfbillinginvoice/add/").status_code == 403
    row = VatRegistration.objects.get(distributor__external_id="B")
    url = f"/admin/distributors/vatregistration/{row.pk}/change/"
    assert admin_client.get(url).status_code == 200
    refused = admin_client.post(url, {"vat_status": "eu", "vat_number": "BE0411905848", "address": ADDRESS})
    assert refused.status_code == 200 and "typing error" in refused.content.decode()
    saved = admin_client.post(url, {"vat_status": "kor", "vat_number": "", "address": ""})
    assert saved.status_code == 302
    assert VatRegistration.objects.get(pk=row.pk).vat_status == "kor"
    assert admin_client.get("/admin/distributors/vatregistration/").status_code == 200


def test_the_statement_export_shows_each_payouts_invoice(invoiced):
    out = io.StringIO()
    call_command("export_statements", "2026-10", "-", "--invoices", stdout=out)
    rows = {row["distributor_id"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    anna = rows["A"]
    assert (anna["payout"], anna["vat_status"], anna["vat_amount"], anna["invoice_total"]) == (
        "292.50", "nl", "61.43", "353.93",
    )  # fmt: skip
    assert anna["invoice_number"] == invoiced.get(distributor__external_id="A").number
    assert rows["B"]["vat_status"] == "eu" and rows["B"]["vat_amount"] == "0.00"
    plain = io.StringIO()
    call_command("export_statements", "2026-10", "-", stdout=plain)
    assert "invoice_number" not in plain.getvalue().splitlines()[0]  # the interface's columns unchanged


def test_the_vat_report_totals_a_period_per_vat_status(invoiced, admin_client):
    today = timezone.localdate()
    start, end = vat_report_period(f"{today.year}-{today.month:02d}")
    report = vat_report(start=start, end=end)
    by_status = {row.vat_status: row for row in report.rows}
    invoices = list(invoiced)
    assert report.invoices == len(invoices) == 10
    assert (by_status["nl"].invoices, by_status["nl"].base, by_status["nl"].vat) == (
        1, Decimal("292.50"), Decimal("61.43"),
    )  # fmt: skip
    bert = invoiced.get(distributor__external_id="B").commission
    assert report.reverse_charge_base == bert
    assert report.no_vat_base == sum(i.commission for i in invoices) - Decimal("292.50") - bert
    assert report.base == Decimal("1097.50") and report.vat == Decimal("61.43")
    assert vat_report(start=vat_report_period("2020")[0], end=vat_report_period("2020")[1]).invoices == 0

    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    page = admin_client.get("/admin/commissions/selfbillinginvoice/vat-report/", {"period": quarter})
    assert page.status_code == 200 and page.context["report"].vat == Decimal("61.43")
    assert admin_client.get("/admin/commissions/selfbillinginvoice/vat-report/").status_code == 200
    bad = admin_client.get("/admin/commissions/selfbillinginvoice/vat-report/", {"period": "2026-13"})
    assert bad.status_code == 400
    download = admin_client.get(
        "/admin/commissions/selfbillinginvoice/vat-report/", {"period": quarter, "format": "csv"}
    )
    lines = list(csv.reader(io.StringIO(download.content.decode())))
    assert lines[0] == ["period_from", "period_to", "vat_status", "invoices", "base", "vat", "total"]
    assert lines[-1][2:] == ["total", "10", "1097.50", "61.43", "1158.93"]

    out = io.StringIO()
    call_command("vat_report", quarter, stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("total,10,1097.50,61.43,1158.93")
    with pytest.raises(CommandError, match="YYYY-Qn"):
        call_command("vat_report", "last-quarter", stdout=io.StringIO())


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2026-Q4", "2026-10-01", "2027-01-01"),
        ("2026-q1", "2026-01-01", "2026-04-01"),
        ("2026-12", "2026-12-01", "2027-01-01"),
        ("2026", "2026-01-01", "2027-01-01"),
    ],
)
def test_a_report_period_is_a_quarter_a_month_or_a_year(text, start, end):
    assert tuple(day.isoformat() for day in vat_report_period(text)) == (start, end)


@pytest.mark.parametrize("text", ["9999", "9999-12", "9999-Q4", "1999", "0000-01"])
def test_a_report_period_out_of_the_years_range_is_refused_on_its_field(text, admin_client):
    with pytest.raises(ApplicationError) as caught:
        vat_report_period(text)
    assert caught.value.field == "period" and "2000" in caught.value.message
    page = admin_client.get("/admin/commissions/selfbillinginvoice/vat-report/", {"period": text})
    assert page.status_code == 400 and "Give a year from 2000 to 2999." in page.content.decode()
    with pytest.raises(CommandError, match="Give a year from 2000 to 2999"):
        call_command("vat_report", text, stdout=io.StringIO())
