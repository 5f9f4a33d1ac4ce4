"""SEPA payouts: the batch's pain.001.001.09 file (valid against the schema, to the cent), the
distributors held for want of a valid bank account, and the camt.053 import that reconciles what
the bank paid and returned."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest
import sepaxml
import xmlschema
from django.core.management import CommandError, call_command
from django.urls import reverse

from commissions.models import (
    Adjustment,
    BankLineOutcome,
    BankLineProblem,
    BankStatement,
    BankStatementLine,
    Payout,
    PayoutBatchStatus,
    PayoutHold,
    PayoutHoldReason,
    PayoutStatus,
)
from commissions.services.bank_statements import bank_statement_import
from commissions.services.payouts import payout_batch_create
from commissions.services.sepa import payout_batch_pain001
from core.errors import ApplicationError
from distributors.bank import bank_account_set
from distributors.demo import seed_bank_accounts
from distributors.models import BankAccount, Distributor

from .camt import COMPANY_IBAN, Line, camt053
from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db

PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"
# The schema sepaxml ships (and validates with): in the installed package, nothing fetched.
PAIN_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"


@pytest.fixture(autouse=True)
def company_account(settings):
    settings.SEPA_DEBTOR_NAME = "Voorbeeld Direct B.V."
    settings.SEPA_DEBTOR_IBAN = COMPANY_IBAN
    settings.SEPA_DEBTOR_BIC = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def s1_closed():
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    seed_bank_accounts()
    default_plan()
    return close("2026-10")


def d(external_id: str) -> Distributor:
    return Distributor.objects.get(external_id=external_id)


def payout_of(external_id: str) -> Payout:
    return Payout.objects.get(distributor__external_id=external_id)


# --- pain.001


def test_the_pain001_file_is_valid_against_the_schema_and_pays_each_payout_to_the_cent(s1_closed):
    batch = payout_batch_create(period=period("2026-10"))
    xml = payout_batch_pain001(batch)
    xmlschema.XMLSchema(str(PAIN_XSD)).validate(xml.decode())
    root = fromstring(xml)
    header = root.find(f"{PAIN}CstmrCdtTrfInitn/{PAIN}GrpHdr")
    assert header.findtext(f"{PAIN}MsgId") == "PAY-2026-10-001"  # a bank refuses a second upload
    assert (header.findtext(f"{PAIN}NbOfTxs"), header.findtext(f"{PAIN}CtrlSum")) == ("10", "1097.50")
    info = root.find(f"{PAIN}CstmrCdtTrfInitn/{PAIN}PmtInf")
    assert info.findtext(f"{PAIN}DbtrAcct/{PAIN}Id/{PAIN}IBAN") == COMPANY_IBAN
    assert info.findtext(f"{PAIN}Dbtr/{PAIN}Nm") == "Voorbeeld Direct B.V."
    transfers = {
        tx.findtext(f"{PAIN}PmtId/{PAIN}EndToEndId"): (
            tx.findtext(f"{PAIN}Amt/{PAIN}InstdAmt"),
            tx.findtext(f"{PAIN}CdtrAcct/{PAIN}Id/{PAIN}IBAN"),
            tx.findtext(f"{PAIN}RmtInf/{PAIN}Ustrd"),
        )
        for tx in info.iter(f"{PAIN}CdtTrfTxInf")
    }
    payouts = list(Payout.objects.filter(batch=batch))
    assert transfers == {
        p.reference: (f"{p.amount:.2f}", p.iban, f"Commission 2026-10 {p.reference}") for p in payouts
    }
    assert sum(Decimal(amount) for amount, _iban, _text in transfers.values()) == Decimal("1097.50")
    anna = payout_of("A")
    assert (transfers[anna.reference][0], anna.iban) == (
        "292.50",
        BankAccount.objects.get(distributor=d("A")).iban,
    )


def test_the_file_needs_the_company_account_and_the_payouts_keep_the_account_they_went_to(
    admin_user, s1_closed, settings
):
    batch = payout_batch_create(period=period("2026-10"))
    sent_to = payout_of("A").iban
    bank_account_set(distributor=d("A"), holder="Anna A", iban="NL91 ABNA 0417 1643 00", actor=admin_user)
    assert payout_of("A").iban == sent_to != "NL91ABNA0417164300"
    settings.SEPA_DEBTOR_IBAN = ""
    with pytest.raises(ApplicationError, match="SEPA_DEBTOR_IBAN"):
        payout_batch_pain001(batch)


# --- held distributors


def test_distributors_without_a_valid_bank_account_are_held_and_paid_by_a_later_batch(admin_user, s1_closed):
    BankAccount.objects.filter(distributor=d("B")).delete()
    BankAccount.objects.filter(distributor=d("C")).update(iban="NL00ABNA0000000000")  # bad check digits
    BankAccount.objects.filter(distributor=d("D")).update(returned_at="2026-10-20T10:00:00Z")
    batch = payout_batch_create(period=period("2026-10"))
    assert (batch.count, batch.total) == (7, Decimal("1097.50") - held_total())
    holds = {h.distributor.external_id: h.reason for h in PayoutHold.objects.select_related("distributor")}
    assert holds == {
        "B": PayoutHoldReason.NO_BANK_ACCOUNT,
        "C": PayoutHoldReason.INVALID_BANK_ACCOUNT,
        "D": PayoutHoldReason.RETURNED,
    }
    assert not Payout.objects.filter(distributor__external_id__in=["B", "C", "D"]).exists()

    bank_account_set(distributor=d("B"), holder="Bert B", iban="NL91ABNA0417164300", actor=admin_user)
    second = payout_batch_create(period=period("2026-10"))
    assert second.reference == "PAY-2026-10-002"
    assert list(second.payouts.values_list("distributor__external_id", flat=True)) == ["B"]
    hold_b = PayoutHold.objects.get(distributor=d("B"))
    assert hold_b.released_by == second
    assert set(
        PayoutHold.objects.filter(released_by__isnull=True).values_list("distributor__external_id", "batch")
    ) == {("C", second.pk), ("D", second.pk)}
    # Everyone left is held: nothing to pay, no batch (tests/commissions/test_agreement_holds.py).
    assert payout_batch_create(period=period("2026-10")) is None


def held_total() -> Decimal:
    return sum(PayoutHold.objects.values_list("amount", flat=True), Decimal(0))


# --- camt.053


def test_a_statement_marks_payouts_paid_returns_one_and_lists_what_it_cannot_match(s1_closed):
    batch = payout_batch_create(period=period("2026-10"))
    payouts = list(Payout.objects.filter(batch=batch).select_related("distributor").order_by("id"))
    anna, bert = payout_of("A"), payout_of("B")
    lines = [Line(p.amount, p.reference) for p in payouts]
    lines += [
        Line(anna.amount, anna.reference, credit=True, return_code="AC04", return_info="Rekening opgeheven"),
        Line("4.50", info="Kosten betalingsverkeer"),  # the bank's charges: no payout
        Line("12.00", "PAY-1999-01-001-1"),  # an end-to-end id we never sent
        Line(bert.amount + Decimal("0.01"), bert.reference),  # a cent off
    ]
    result = bank_statement_import(data=camt053(lines), filename="stmt.xml")
    statement = result.statement
    assert result.created
    assert (statement.paid, statement.returned, statement.unmatched) == (10, 1, 3)
    anna.refresh_from_db()
    assert (anna.status, anna.return_code, anna.return_reason) == (
        PayoutStatus.RETURNED, "AC04", "Rekening opgeheven",
    )  # fmt: skip
    # The amount is back on Anna's balance: an adjustment of the open month, paid by its close.
    adjustment = anna.return_adjustment
    assert (adjustment.distributor_id, adjustment.amount, adjustment.period.start.isoformat()) == (
        anna.distributor_id, Decimal("292.50"), "2026-12-01",
    )  # fmt: skip
    assert adjustment.reason == (
        f"Payout {anna.reference} returned by the bank: AC04: Closed account number (Rekening opgeheven)"
    )
    assert BankAccount.objects.get(distributor=anna.distributor).returned_at is not None
    assert Payout.objects.filter(status=PayoutStatus.PAID).count() == 9
    unmatched = BankStatementLine.objects.filter(outcome=BankLineOutcome.UNMATCHED).order_by("number")
    assert [(line.amount, line.problem, line.payout_id) for line in unmatched] == [
        (Decimal("4.50"), BankLineProblem.UNKNOWN_REFERENCE, None),
        (Decimal("12.00"), BankLineProblem.UNKNOWN_REFERENCE, None),
        (bert.amount + Decimal("0.01"), BankLineProblem.AMOUNT_DIFFERS, bert.pk),
    ]
    # Every payout booked (paid, or returned after it was paid): the batch is paid.
    batch.refresh_from_db()
    assert batch.status == PayoutBatchStatus.PAID and batch.paid_at is not None

    again = bank_statement_import(data=camt053(lines), filename="stmt.xml")
    assert not again.created and again.statement == statement
    assert BankStatement.objects.count() == 1 and BankStatementLine.objects.count() == len(lines)
    assert Adjustment.objects.count() == 1


def test_a_held_account_is_paid_again_only_after_it_is_saved_again(admin_user, s1_closed):
    payout_batch_create(period=period("2026-10"))
    anna = payout_of("A")
    bank_statement_import(data=camt053([Line(anna.amount, anna.reference, credit=True, return_code="MD07")]))
    assert payout_of("A").status == PayoutStatus.RETURNED  # returned before it was seen paid
    account = BankAccount.objects.get(distributor=anna.distributor)
    bank_account_set(distributor=anna.distributor, holder=account.holder, iban=account.iban, actor=admin_user)
    assert BankAccount.objects.get(pk=account.pk).returned_at is None


@pytest.mark.parametrize(
    "data, message",
    [
        (b"this is no xml", "not well-formed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>',
            "DTD or entities",
        ),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>', "not a camt.053"),
        (camt053([Line("abc", "PAY-X")]), "is not an amount"),
        (camt053([Line("1.00", "PAY-X")], iban="NL91ABNA0417164300"), "not of the company's account"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason_and_changes_nothing(s1_closed, data, message):
    payout_batch_create(period=period("2026-10"))
    with pytest.raises(ApplicationError, match=message):
        bank_statement_import(data=data)
    assert not BankStatement.objects.exists()
    assert not Payout.objects.exclude(status=PayoutStatus.SENT).exists()


def test_a_batch_booked_as_one_entry_is_matched_by_its_message_id(s1_closed):
    batch = payout_batch_create(period=period("2026-10"))
    xml = camt053([Line("1097.50")]).replace(
        b"</Ntry>",
        b"<NtryDtls><Btch><MsgId>PAY-2026-10-001</MsgId><NbOfTxs>10</NbOfTxs></Btch></NtryDtls></Ntry>",
    )
    assert bank_statement_import(data=xml).statement.paid == 1
    assert set(Payout.objects.values_list("status", flat=True)) == {PayoutStatus.PAID}
    batch.refresh_from_db()
    assert batch.status == PayoutBatchStatus.PAID


def test_the_command_imports_a_statement_once(s1_closed, tmp_path):
    payout_batch_create(period=period("2026-10"))
    anna = payout_of("A")
    path = tmp_path / "camt.xml"
    path.write_bytes(camt053([Line(anna.amount, anna.reference)]))
    out = io.StringIO()
    call_command("import_bank_statement", str(path), stdout=out)
    call_command("import_bank_statement", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "Statement STMT-2026-11-05: 1 paid, 0 returned, 0 unmatched.",
        "Statement STMT-2026-11-05 was imported before: nothing changed.",
    ]
    path.write_bytes(b"<nope")
    with pytest.raises(CommandError, match="not well-formed XML"):
        call_command("import_bank_statement", str(path), stdout=out)


# --- the admin


def test_the_admin_downloads_the_pain001_and_imports_a_statement(admin_client, s1_closed):
    batch = payout_batch_create(period=period("2026-10"))
    page = admin_client.get(reverse("admin:commissions_payoutbatch_change", args=[batch.pk])).content.decode()
    url = reverse("admin:commissions_payoutbatch_pain001", args=[batch.pk])
    assert url in page
    response = admin_client.get(url)
    assert response["Content-Disposition"] == 'attachment; filename="PAY-2026-10-001.pain.001.xml"'
    xmlschema.XMLSchema(str(PAIN_XSD)).validate(response.content.decode())

    anna = payout_of("A")
    add = reverse("admin:commissions_bankstatement_add")
    assert admin_client.get(add).status_code == 200
    upload = io.BytesIO(camt053([Line(anna.amount, anna.reference), Line("4.50", info="Kosten")]))
    upload.name = "camt.xml"
    response = admin_client.post(add, {"file": upload}, follow=True)
    assert "1 paid, 0 returned, 1 unmatched" in response.content.decode()
    lines = admin_client.get(
        reverse("admin:commissions_bankstatementline_changelist") + "?outcome__exact=unmatched"
    )
    assert "Kosten" in lines.content.decode()
    bad = io.BytesIO(b"<nope")
    bad.name = "bad.xml"
    refused = admin_client.post(add, {"file": bad})
    assert refused.status_code == 400 and "not well-formed XML" in refused.content.decode()
    for name in ("commissions_payouthold_changelist", "commissions_bankstatement_changelist"):
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_the_api_and_the_portal_show_a_returned_payout_with_the_banks_reason(s1_closed):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.api.conftest import client_for

    payout_batch_create(period=period("2026-10"))
    anna = payout_of("A")
    bank_statement_import(data=camt053([Line(anna.amount, anna.reference, credit=True, return_code="AC04")]))
    user = get_user_model().objects.create_user("a-login", password="x")
    Distributor.objects.filter(external_id="A").update(user=user)
    (mine,) = client_for(user).get("/api/v1/payouts/").json()["results"]
    assert (mine["bank_status"], mine["return_code"]) == ("returned", "AC04")
    portal = Client()
    portal.force_login(user)
    page = portal.get("/portal/statements/2026-10/").content.decode()
    assert "Your bank returned this payment: AC04: Closed account number" in page
    assert (
        "Your bank returned a payment to this account"
        in portal.get("/portal/me/bank-account/").content.decode()
    )
