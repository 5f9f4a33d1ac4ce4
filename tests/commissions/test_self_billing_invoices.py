"""Self-billing invoices: one per payout, issued with the payout batch, with each VAT status to the
cent; numbered without gaps per year, also when batches are made at once; a payout the bank
returned is paid again without being invoiced twice."""

from __future__ import annotations

import io
import threading
from decimal import Decimal
from xml.etree.ElementTree import fromstring

import pytest
from django.core.management import call_command
from django.db import connection

from commissions.models import Adjustment, Payout, PayoutStatus, SelfBillingInvoice, VatTreatment
from commissions.services.bank_statements import bank_statement_import
from commissions.services.invoices import vat_of
from commissions.services.payouts import payout_batch_create
from commissions.services.sepa import payout_batch_pain001
from core.errors import ApplicationError
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor, VatRegistration
from plans.models import Period

from .camt import COMPANY_IBAN, Line, camt053
from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db

PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"


@pytest.fixture(autouse=True)
def company(settings):
    settings.SEPA_DEBTOR_NAME = "Voorbeeld Direct B.V."
    settings.SEPA_DEBTOR_IBAN = COMPANY_IBAN
    settings.SEPA_DEBTOR_BIC = ""
    settings.COMPANY_NAME = "Voorbeeld Direct B.V."
    settings.COMPANY_ADDRESS = "Herengracht 1|1015 BA Amsterdam"
    settings.COMPANY_VAT_NUMBER = "NL004495445B01"


def d(external_id: str) -> Distributor:
    return Distributor.objects.get(external_id=external_id)


def vat(
    external_id: str, status: str, number: str = "", address: str = "Dorpsstraat 1\n1234 AB Ergens"
) -> None:
    VatRegistration.objects.update_or_create(
        distributor=d(external_id), defaults={"vat_status": status, "vat_number": number, "address": address}
    )


def invoice_of(external_id: str) -> SelfBillingInvoice:
    return SelfBillingInvoice.objects.select_related("payout").get(distributor__external_id=external_id)


@pytest.fixture
def s1_closed():
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    seed_bank_accounts()
    default_plan()
    return close("2026-10")


@pytest.mark.parametrize(
    "commission, treatment, rate, amount",
    [
        ("292.50", "nl", "21.00", "61.43"),  # 61.425: half up
        ("2.50", "nl", "21.00", "0.53"),  # 0.525
        ("0.10", "nl", "21.00", "0.02"),  # 0.021
        ("0.02", "nl", "21.00", "0.00"),  # 0.0042
        ("1000.00", "nl", "21.00", "210.00"),
        ("292.50", "eu", "0.00", "0"),
        ("292.50", "kor", "0.00", "0"),
        ("292.50", "none", "0.00", "0"),
    ],
)
def test_vat_is_21_percent_on_top_rounded_half_up_to_the_cent_only_when_registered_in_nl(
    commission, treatment, rate, amount
):
    assert vat_of(Decimal(commission), treatment) == (Decimal(rate), Decimal(amount))


def test_each_payout_gets_an_invoice_with_its_vat_status_to_the_cent(s1_closed):
    vat("A", "nl", "NL000099998B57")
    vat("B", "eu", "BE0411905847")
    vat("C", "kor")
    # D and the rest: no VAT status entered, not registered.
    batch = payout_batch_create(period=period("2026-10"))
    invoices = {
        i.distributor.external_id: i for i in SelfBillingInvoice.objects.select_related("distributor")
    }
    assert len(invoices) == batch.count == 10
    anna = invoices["A"]
    assert (anna.commission, anna.vat_rate, anna.vat_amount, anna.total) == (
        Decimal("292.50"), Decimal("21.00"), Decimal("61.43"), Decimal("353.93"),
    )  # fmt: skip
    assert (anna.vat_treatment, anna.supplier_vat_number, anna.language) == ("nl", "NL000099998B57", "nl")
    assert anna.payout.amount == Decimal("353.93") and anna.payout.repaid == 0
    for external_id, treatment in (("B", "eu"), ("C", "kor"), ("D", "none")):
        invoice = invoices[external_id]
        assert invoice.vat_treatment == treatment
        assert (invoice.vat_amount, invoice.total) == (Decimal("0"), invoice.commission)
        assert invoice.payout.amount == invoice.commission
    assert invoices["B"].reverse_charge and invoices["B"].supplier_vat_number == "BE0411905847"
    assert (anna.customer_name, anna.customer_vat_number) == ("Voorbeeld Direct B.V.", "NL004495445B01")
    assert anna.customer_address == "Herengracht 1\n1015 BA Amsterdam"
    assert anna.supplier_address == "Dorpsstraat 1\n1234 AB Ergens"
    # The statement's payout is the commission; the batch and the bank file pay commission + VAT.
    assert batch.total == Decimal("1097.50") + Decimal("61.43")
    assert sum(i.total for i in invoices.values()) == batch.total
    header = fromstring(payout_batch_pain001(batch)).find(f"{PAIN}CstmrCdtTrfInitn/{PAIN}GrpHdr")
    assert header.findtext(f"{PAIN}CtrlSum") == "1158.93"
    # Numbered in the year the batch was made, in order of distributor, without gaps.
    year = anna.issued_on.year
    numbers = sorted(SelfBillingInvoice.objects.values_list("number", flat=True))
    assert numbers == [f"SB-{year}-{n:06d}" for n in range(1, 11)]


def test_a_later_status_change_never_alters_an_issued_invoice(s1_closed):
    vat("A", "nl", "NL000099998B57")
    payout_batch_create(period=period("2026-10"))
    vat("A", "none")
    assert (invoice_of("A").vat_treatment, invoice_of("A").vat_amount) == ("nl", Decimal("61.43"))


def test_no_batch_without_the_company_on_the_invoices(s1_closed, settings):
    settings.COMPANY_VAT_NUMBER = ""
    with pytest.raises(ApplicationError, match="COMPANY_VAT_NUMBER"):
        payout_batch_create(period=period("2026-10"))
    assert not Payout.objects.exists() and not SelfBillingInvoice.objects.exists()


def test_a_later_batch_numbers_on_without_a_gap(s1_closed, admin_user):
    from distributors.models import BankAccount

    BankAccount.objects.filter(distributor=d("B")).delete()
    payout_batch_create(period=period("2026-10"))
    assert SelfBillingInvoice.objects.count() == 9
    seed_bank_accounts()
    payout_batch_create(period=period("2026-10"))
    assert list(SelfBillingInvoice.objects.order_by("sequence").values_list("sequence", flat=True)) == list(
        range(1, 11)
    )
    assert invoice_of("B").sequence == 10


def test_a_returned_payout_is_paid_again_without_a_second_invoice(s1_closed):
    vat("A", "nl", "NL000099998B57")
    payout_batch_create(period=period("2026-10"))
    anna = invoice_of("A").payout
    bank_statement_import(data=camt053([Line(anna.amount, anna.reference, credit=True, return_code="AC04")]))
    anna.refresh_from_db()
    assert anna.status == PayoutStatus.RETURNED
    # As if the return was booked in November: the amount is on Anna's November statement.
    Adjustment.objects.filter(pk=anna.return_adjustment_id).update(
        period=Period.objects.get_or_create(start=period("2026-11"))[0]
    )
    assert anna.return_adjustment.amount == Decimal("353.93")  # commission + VAT, as transferred
    # Anna also earns 100.00 more in November.
    from commissions.services.adjustments import adjustment_create

    adjustment_create(
        distributor=d("A"), period=period("2026-11"), amount="100.00", reason="Bonus", actor=None
    )
    close("2026-11")
    seed_bank_accounts()
    from distributors.models import BankAccount

    BankAccount.objects.filter(distributor=d("A")).update(returned_at=None)
    payout_batch_create(period=period("2026-11"))
    again = Payout.objects.get(distributor=d("A"), batch__period__start=period("2026-11"))
    # 453.93 on the statement: 353.93 repaid (invoiced with October's), 100.00 + 21.00 VAT invoiced now.
    assert again.statement.payout == Decimal("453.93")
    assert (again.repaid, again.amount) == (Decimal("353.93"), Decimal("474.93"))
    second = again.invoice
    assert (second.commission, second.vat_amount, second.total) == (
        Decimal("100.00"), Decimal("21.00"), Decimal("121.00"),
    )  # fmt: skip
    invoiced = sum(i.commission for i in SelfBillingInvoice.objects.filter(distributor=d("A")))
    assert invoiced == Decimal("392.50")  # 292.50 + 100.00, the commission earned: nothing twice


def test_a_repayment_alone_is_transferred_without_an_invoice(s1_closed):
    payout_batch_create(period=period("2026-10"))
    anna = invoice_of("A").payout
    bank_statement_import(data=camt053([Line(anna.amount, anna.reference, credit=True, return_code="AC04")]))
    anna.refresh_from_db()
    Adjustment.objects.filter(pk=anna.return_adjustment_id).update(
        period=Period.objects.get_or_create(start=period("2026-11"))[0]
    )
    close("2026-11")
    from distributors.models import BankAccount

    BankAccount.objects.filter(distributor=d("A")).update(returned_at=None)
    payout_batch_create(period=period("2026-11"))
    again = Payout.objects.get(distributor=d("A"), batch__period__start=period("2026-11"))
    assert (again.amount, again.repaid) == (Decimal("292.50"), Decimal("292.50"))
    assert not SelfBillingInvoice.objects.filter(payout=again).exists()
    assert SelfBillingInvoice.objects.filter(distributor=d("A")).count() == 1


@pytest.mark.django_db(transaction=True)
def test_batches_made_at_once_never_share_or_skip_a_number():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    seed_bank_accounts()
    default_plan()
    close("2026-10")
    from commissions.services.adjustments import adjustment_create

    for external_id in ("A", "B", "C", "D", "E"):
        adjustment_create(
            distributor=d(external_id), period=period("2026-11"), amount="80.00", reason="Bonus", actor=None
        )
    close("2026-11")
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def make(label: str) -> None:
        try:
            barrier.wait(timeout=10)
            payout_batch_create(period=period(label))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=make, args=(label,)) for label in ("2026-10", "2026-11")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    count = Payout.objects.count()
    assert count > 10
    assert sorted(SelfBillingInvoice.objects.values_list("sequence", flat=True)) == list(range(1, count + 1))
    # Each batch's numbers are one run: the second batch waited for the first to commit.
    for period_start in (period("2026-10"), period("2026-11")):
        numbers = sorted(
            SelfBillingInvoice.objects.filter(period__start=period_start).values_list("sequence", flat=True)
        )
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_vat_treatments_are_the_distributor_statuses():
    from distributors.tax import VatStatus

    assert set(VatTreatment.values) == set(VatStatus.values)


def test_a_repayment_stays_with_the_statement_that_carries_the_return(s1_closed):
    """November's statement carries the return but is held; December's batch is made first: it
    invoices December's commission whole, and November's, paid later, repays the return."""
    from commissions.services.adjustments import adjustment_create
    from distributors.models import BankAccount

    payout_batch_create(period=period("2026-10"))
    anna = invoice_of("A").payout
    bank_statement_import(data=camt053([Line(anna.amount, anna.reference, credit=True, return_code="AC04")]))
    anna.refresh_from_db()
    Adjustment.objects.filter(pk=anna.return_adjustment_id).update(
        period=Period.objects.get_or_create(start=period("2026-11"))[0]
    )
    close("2026-11")
    assert BankAccount.objects.get(distributor=d("A")).returned_at is not None
    payout_batch_create(period=period("2026-11"))  # Anna's November statement is held
    assert not Payout.objects.filter(distributor=d("A"), batch__period__start=period("2026-11")).exists()
    adjustment_create(
        distributor=d("A"), period=period("2026-12"), amount="100.00", reason="Bonus", actor=None
    )
    close("2026-12")
    BankAccount.objects.filter(distributor=d("A")).update(returned_at=None)

    payout_batch_create(period=period("2026-12"))
    december = Payout.objects.get(distributor=d("A"), batch__period__start=period("2026-12"))
    assert (december.amount, december.repaid, december.invoice.commission) == (
        Decimal("100.00"), Decimal("0"), Decimal("100.00"),
    )  # fmt: skip
    payout_batch_create(period=period("2026-11"))
    november = Payout.objects.get(distributor=d("A"), batch__period__start=period("2026-11"))
    assert (november.amount, november.repaid) == (Decimal("292.50"), Decimal("292.50"))
    assert not SelfBillingInvoice.objects.filter(payout=november).exists()
    invoiced = sum(i.commission for i in SelfBillingInvoice.objects.filter(distributor=d("A")))
    assert invoiced == Decimal("392.50")  # 292.50 in October + 100.00 in December
