"""Portal: Statements, on the spec's example S1 closed for 2026-10 (A earns 200.00 personal and
92.50 in overrides: net 292.50; K earns 50.00), and the income disclosure statement."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from commissions.services.payouts import payout_batch_create, payout_batch_mark_paid
from core.periods import parse_period
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor
from tests.commissions.closing import EXAMPLES, close, default_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def s1(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("import_network", str(EXAMPLES / "s1"), stdout=open("/dev/null", "w"))
    default_plan()
    run = close("2026-10")
    assert run.status == "succeeded", run.error
    clients = {"run": run}
    for external_id in ("A", "K"):
        user = get_user_model().objects.create_user(f"{external_id.lower()}-login", password="x")
        Distributor.objects.filter(external_id=external_id).update(user=user)
        client = Client()
        client.force_login(user)
        clients[external_id] = client
    return clients


def test_the_list_shows_my_closed_periods(s1):
    response = s1["A"].get("/portal/statements/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["s"].period.start.isoformat(), row["s"].net, row["s"].paid_as_rank) for row in rows] == [
        ("2026-10-01", Decimal("292.50"), 3)
    ]
    body = response.content.decode()
    assert "/portal/statements/2026-10/" in body and "Team Leader" in body
    assert "/portal/statements/income-disclosure/" in body


def test_a_statement_explains_every_line_with_totals_and_payout(s1):
    response = s1["A"].get("/portal/statements/2026-10/")
    assert response.status_code == 200
    lines = [item["line"] for item in response.context["lines"]]
    assert [line.amount for line in lines if line.kind == "personal"] == [Decimal("200.00")]
    assert sum(line.amount for line in lines if line.kind == "override") == Decimal("92.50")
    body = response.content.decode()
    for text in ("Personal commission", "Carried forward to next month", "€\xa0292.50", "own customers"):
        assert text in body, text
    assert "/portal/statements/2026-10/csv/" in body and "/portal/statements/income-disclosure/" in body


def test_lines_page_by_cursor(s1, monkeypatch):
    from portal.views import statements

    monkeypatch.setattr(statements, "LINES_PER_PAGE", 2)
    client = s1["A"]
    first = client.get("/portal/statements/2026-10/")
    seen = [item["key"] for item in first.context["lines"]]
    after = first.context["next_after"]
    while after:
        page = client.get("/portal/statements/2026-10/", {"after": after})
        seen += [item["key"] for item in page.context["lines"]]
        after = page.context["next_after"]
    everything = s1["A"].get("/portal/statements/2026-10/print/").context["lines"]
    assert seen == [item["key"] for item in everything]
    assert len(seen) > 2


def test_the_payout_and_its_status(s1, admin_user):
    assert "Nothing is paid" not in s1["A"].get("/portal/statements/2026-10/").content.decode()
    seed_bank_accounts()  # payouts go to a valid bank account (distributors.bank)
    batch = payout_batch_create(period=parse_period("2026-10"), actor=admin_user)
    payout_batch_mark_paid(batch=batch, actor=admin_user)
    response = s1["A"].get("/portal/statements/2026-10/")
    payout = response.context["payout"]
    assert (payout.amount, payout.batch.status) == (Decimal("292.50"), "paid")
    assert "Paid" in response.content.decode()


def test_the_csv_has_every_line_in_a_fixed_format(s1):
    response = s1["A"].get("/portal/statements/2026-10/csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="statement-2026-10.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal("292.50")
    personal = [row for row in rows if row["kind"] == "personal"]
    assert [(row["period"], row["level"], row["amount"], row["source_external_id"]) for row in personal] == [
        ("2026-10", "0", "200.00", "")
    ]
    html_lines = s1["A"].get("/portal/statements/2026-10/print/").context["lines"]
    assert len(rows) == len(html_lines)


def test_the_csv_neutralises_formulas(s1):
    Distributor.objects.filter(external_id="B").update(first_name="=HYPERLINK(1)")
    rows = list(csv.reader(io.StringIO(s1["A"].get("/portal/statements/2026-10/csv/").content.decode())))
    names = {row[3] for row in rows[1:]}
    assert "'=HYPERLINK(1) " + Distributor.objects.get(external_id="B").last_name in names


def test_the_printable_page(s1):
    response = s1["A"].get("/portal/statements/2026-10/print/")
    assert response.status_code == 200
    assert "Print" in response.content.decode()


def test_only_my_own_statement_and_only_closed_periods(s1):
    k = s1["K"].get("/portal/statements/2026-10/")
    assert [item["line"].amount for item in k.context["lines"]] == [Decimal("50.00")]
    for url in ("2026-11/", "2026-11/csv/", "2026-11/print/", "2026-13/", "nonsense/", "nonsense/csv/"):
        assert s1["A"].get(f"/portal/statements/{url}").status_code == 404, url


def test_a_distributor_without_a_statement_in_the_period_gets_404(s1, net, portal):
    client = portal("anna")
    assert client.get("/portal/statements/").status_code == 200
    for url in ("2026-10/", "2026-10/csv/", "2026-10/print/"):
        assert client.get(f"/portal/statements/{url}").status_code == 404


def test_the_income_disclosure_statement(s1):
    response = s1["A"].get("/portal/statements/income-disclosure/")
    assert response.status_code == 200
    d = response.context["d"]
    assert (d.year, d.months) == (2026, ["2026-10"])
    assert "Median gross payment" in response.content.decode()
    assert s1["A"].get("/portal/statements/income-disclosure/?year=1999").status_code == 404


def test_the_income_disclosure_before_any_close(portal):
    response = portal("anna").get("/portal/statements/income-disclosure/")
    assert response.status_code == 200 and response.context["d"] is None


def test_every_portal_page_links_the_income_disclosure(portal):
    assert "/portal/statements/income-disclosure/" in portal("anna").get("/portal/me/").content.decode()


def test_the_list_reads_a_fixed_number_of_queries(s1, django_assert_max_num_queries):
    s1["A"].get("/portal/statements/")
    with django_assert_max_num_queries(10):
        assert s1["A"].get("/portal/statements/").status_code == 200


def test_a_statement_reads_a_fixed_number_of_queries(s1, django_assert_max_num_queries):
    s1["A"].get("/portal/statements/2026-10/")
    with django_assert_max_num_queries(10):
        assert s1["A"].get("/portal/statements/2026-10/").status_code == 200


def test_amounts_are_formatted_in_dutch(s1):
    client = s1["A"]
    client.cookies["django_language"] = "nl"
    body = client.get("/portal/statements/2026-10/").content.decode()
    assert "€\xa0292,50" in body
    # The CSV keeps its fixed format whatever the reader's language.
    rows = list(csv.DictReader(io.StringIO(client.get("/portal/statements/2026-10/csv/").content.decode())))
    assert all("," not in row["amount"] for row in rows)


def test_a_changed_or_raw_lines_cursor_is_a_bad_request_not_an_error(s1, monkeypatch):
    from portal.views import statements

    monkeypatch.setattr(statements, "LINES_PER_PAGE", 2)
    client = s1["A"]
    first = client.get("/portal/statements/2026-10/")
    raw_key = first.context["lines"][-1]["key"]
    # A NUL byte (the database refuses it in a text comparison), a raw line key (the old link), a
    # cursor cut short, a cursor of a number: each a 400 with a word, never a server error.
    for after in ("a\x00b", raw_key, first.context["next_after"][:-3], statements.encode_cursor([7])):
        response = client.get("/portal/statements/2026-10/", {"after": after})
        assert response.status_code == 400, after
        assert "More lines" in response.content.decode()
    # The link on the page is the signed cursor and works.
    assert "?after=" + quote(first.context["next_after"], safe="/") in first.content.decode()
    assert (
        client.get("/portal/statements/2026-10/", {"after": first.context["next_after"]}).status_code == 200
    )
