"""Unmatched bank statement lines: staff mark each one handled with a note (the service, its
refusals and its race), from the admin through a page asking for the note, and filter by it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import IntegrityError, transaction
from django.urls import reverse

from commissions.models import BankLineOutcome, BankStatement, BankStatementLine
from commissions.services.bank_statements import bank_statement_import, bank_statement_line_handle
from core.errors import ApplicationError, Conflict, PermissionDenied
from core.models import AuditEntry

from .camt import COMPANY_IBAN, Line, camt053

pytestmark = pytest.mark.django_db

LINES_URL = reverse("admin:commissions_bankstatementline_changelist")


@pytest.fixture(autouse=True)
def company_account(settings):
    settings.SEPA_DEBTOR_IBAN = COMPANY_IBAN
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def statement() -> BankStatement:
    """Three lines no payout matches (the bank's charges, interest, an unknown transfer) and one
    line recorded before (matched)."""
    lines = [
        Line("4.50", info="Kosten betalingsverkeer"),
        Line("0.12", credit=True, info="Creditrente"),
        Line("12.00", "PAY-1999-01-001-1"),
    ]
    statement = bank_statement_import(data=camt053(lines), filename="stmt.xml").statement
    BankStatementLine.objects.create(
        statement=statement, number=4, amount=Decimal("30.00"), currency="EUR", credit=False,
        outcome=BankLineOutcome.KNOWN,
    )  # fmt: skip
    return statement


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("ops", password="x", is_staff=True)


def line(statement: BankStatement, number: int) -> BankStatementLine:
    return BankStatementLine.objects.get(statement=statement, number=number)


# --- the service


def test_staff_mark_an_unmatched_line_handled_with_a_note_and_it_is_audited(statement, staff):
    handled = bank_statement_line_handle(
        line=line(statement, 1), actor=staff, note="  Bank charges, booked.  "
    )
    stored = line(statement, 1)
    assert (stored.handled_by, stored.handled_note) == (staff, "Bank charges, booked.")
    assert stored.handled_at == handled.handled_at is not None
    entry = AuditEntry.objects.get(action="commissions.bank_statement_line_handled")
    assert (entry.actor, entry.target_id, entry.reason) == (staff, str(stored.pk), "Bank charges, booked.")
    assert entry.data == {"amount": "4.50", "credit": False, "problem": "unknown"}


@pytest.mark.parametrize("who", ["nobody", "distributor"])
def test_only_staff_mark_a_line_handled(statement, django_user_model, who):
    actor = None if who == "nobody" else django_user_model.objects.create_user("anna", password="x")
    with pytest.raises(PermissionDenied):
        bank_statement_line_handle(line=line(statement, 1), actor=actor, note="Looked into it")
    assert line(statement, 1).handled_at is None
    assert not AuditEntry.objects.filter(action="commissions.bank_statement_line_handled").exists()


@pytest.mark.parametrize("note", ["", "   "])
def test_a_note_is_required(statement, staff, note):
    with pytest.raises(ApplicationError) as refused:
        bank_statement_line_handle(line=line(statement, 1), actor=staff, note=note)
    assert refused.value.field == "note"
    assert line(statement, 1).handled_at is None


def test_a_matched_line_is_not_handled(statement, staff):
    with pytest.raises(
        Conflict, match=r"Line 4 of Bank statement STMT-2026-11-05 was matched \(already recorded\)"
    ):
        bank_statement_line_handle(line=line(statement, 4), actor=staff, note="Looked into it")
    assert line(statement, 4).handled_at is None
    # The database holds to it too, and to the note.
    for changes in ({"pk": line(statement, 4).pk}, {"pk": line(statement, 1).pk, "handled_note": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            BankStatementLine.objects.filter(pk=changes.pop("pk")).update(
                handled_at="2026-11-06T10:00Z", **changes
            )


def test_handling_a_line_twice_is_a_conflict_and_the_first_note_stays(statement, staff, django_user_model):
    other = django_user_model.objects.create_user("ops2", password="x", is_staff=True)
    # Both read the line before either wrote: the second finds it handled (the conditional UPDATE).
    first, second = line(statement, 3), line(statement, 3)
    bank_statement_line_handle(line=first, actor=staff, note="Transfer from a customer, refunded")
    with pytest.raises(Conflict, match="was handled already"):
        bank_statement_line_handle(line=second, actor=other, note="Looked into it")
    stored = line(statement, 3)
    assert (stored.handled_by, stored.handled_note) == (staff, "Transfer from a customer, refunded")
    assert AuditEntry.objects.filter(action="commissions.bank_statement_line_handled").count() == 1


# --- the admin


def test_the_admin_marks_lines_handled_after_asking_for_the_note(admin_client, admin_user, statement):
    ids = [line(statement, number).pk for number in (1, 2, 4)]  # 4 is matched: left as it is
    asked = admin_client.post(LINES_URL, {"action": "mark_handled", ACTION_CHECKBOX_NAME: ids})
    page = asked.content.decode()
    assert asked.status_code == 200 and 'name="note"' in page
    assert "Kosten betalingsverkeer" in page and "Creditrente" in page
    assert "1 selected line is matched or handled already" in page
    apply = {"action": "mark_handled", ACTION_CHECKBOX_NAME: ids[:2], "apply": "1"}
    # Without a note: asked again, nothing changed.
    again = admin_client.post(LINES_URL, {**apply, "note": " "})
    assert again.status_code == 200 and "This field is required." in again.content.decode()
    assert not BankStatementLine.objects.filter(handled_at__isnull=False).exists()

    done = admin_client.post(LINES_URL, {**apply, "note": "Bank charges and interest, booked"}, follow=True)
    assert "2 lines marked handled." in done.content.decode()
    handled = BankStatementLine.objects.filter(handled_at__isnull=False).order_by("number")
    assert [(h.number, h.handled_by, h.handled_note) for h in handled] == [
        (1, admin_user, "Bank charges and interest, booked"),
        (2, admin_user, "Bank charges and interest, booked"),
    ]
    # Selecting only handled or matched lines asks for nothing.
    refused = admin_client.post(LINES_URL, {"action": "mark_handled", ACTION_CHECKBOX_NAME: ids}, follow=True)
    assert "Select between 1 and 500 unmatched lines that are not handled yet." in refused.content.decode()


def test_the_filter_and_the_statement_count_only_lines_still_to_handle(admin_client, staff, statement):
    bank_statement_line_handle(line=line(statement, 1), actor=staff, note="Bank charges, booked")

    def shown(query: str) -> list[bool]:
        page = admin_client.get(LINES_URL + query).content.decode()
        return ["Kosten betalingsverkeer" in page, "Creditrente" in page, "PAY-1999-01-001-1" in page]

    assert shown("?handling=open") == [False, True, True]
    assert shown("?handling=handled") == [True, False, False]
    assert shown("") == [True, True, True]
    statements = admin_client.get(reverse("admin:commissions_bankstatement_changelist")).content.decode()
    assert f'{LINES_URL}?statement__id__exact={statement.pk}&amp;handling=open">2</a>' in statements
    for rest in (2, 3):
        bank_statement_line_handle(line=line(statement, rest), actor=staff, note="Looked into it")
    page = admin_client.get(
        reverse("admin:commissions_bankstatement_change", args=[statement.pk])
    ).content.decode()
    assert "0 (3 handled)" in page
