"""Self-billing invoices: the company invoices each payout on the distributor's behalf (agreed in
the distributor agreement; Dutch VAT law, art. 35a Wet OB: "factuur uitgereikt door afnemer").

Issued when the payout batch is made (commissions.services.payouts.payout_batch_create), one per
payout, numbered SB-<year>-<six digits> without gaps per year: the numbers are taken under one
advisory lock held until the batch commits, so two batches made at once queue, and a batch that
fails takes none.

The amount transferred (Payout.amount, the pain.001 transfer) relates to the statement's payout
(Statement.payout, the commission earned) so:

    commission invoiced = statement payout - repaid
    VAT                 = commission x 21 % rounded half-up to the cent (VAT-registered in NL only)
    invoice total       = commission + VAT
    transferred         = invoice total + repaid

`repaid` is the part of the payout that pays again an earlier payout the bank returned: the bank
statement import puts a returned payout's amount back on the balance as an adjustment, so a later
statement pays it again; it was invoiced with the payout it first went out with, so it is not
invoiced twice (nor charged VAT twice: the returned amount already holds its VAT). Only returned
payouts that were invoiced (or themselves repaid one) count, each repaid by the statement that
carries its adjustment (the adjustment's period's, or the first paying one it was carried to),
whatever order the batches are made in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import (
    CloseRunKind,
    CloseRunStatus,
    Payout,
    PayoutBatch,
    PayoutStatus,
    SelfBillingInvoice,
    Statement,
    VatTreatment,
)
from core.batches import chunked, matching
from core.errors import ApplicationError
from core.locks import advisory_xact_lock
from core.money import CENT, ZERO
from distributors.models import Distributor
from distributors.services.tax import vat_registrations_of
from plans.models import Period

# One lock for every invoice number: taken after the batch's own lock, held until commit.
INVOICE_NUMBER_LOCK = "self-billing-invoice-number"
VAT_RATE_NL = Decimal("21.00")  # percent: the Dutch standard rate
NO_VAT = Decimal("0.00")
NUMBER_PREFIX = "SB"


@dataclass(frozen=True)
class CompanyDetails:
    name: str
    address: str  # lines joined by "\n"
    vat_number: str


@dataclass(frozen=True)
class InvoiceDraft:
    """A payout's amounts before it is written: what is invoiced and what is transferred."""

    statement_id: int
    distributor_id: int
    vat_treatment: str
    commission: Decimal  # invoiced, excluding VAT; 0: only a repayment, no invoice
    vat_rate: Decimal
    vat_amount: Decimal
    repaid: Decimal

    @property
    def total(self) -> Decimal:
        return self.commission + self.vat_amount

    @property
    def transferred(self) -> Decimal:
        return self.total + self.repaid


def company_details() -> CompanyDetails:
    """The company as the invoices name it (settings), or a refusal saying what to set."""
    name = " ".join(settings.COMPANY_NAME.split())
    lines = [" ".join(line.split()) for line in settings.COMPANY_ADDRESS.replace("|", "\n").splitlines()]
    vat_number = "".join(settings.COMPANY_VAT_NUMBER.split()).upper()
    if not (name and any(lines) and vat_number):
        raise ApplicationError(
            _(
                "Set COMPANY_NAME, COMPANY_ADDRESS and COMPANY_VAT_NUMBER (the company on the "
                "self-billing invoices) before making a payout batch."
            )
        )
    return CompanyDetails(name=name, address="\n".join(line for line in lines if line), vat_number=vat_number)


def vat_of(commission: Decimal, treatment: str) -> tuple[Decimal, Decimal]:
    """(rate in %, amount): 21 % on top, rounded half-up to the cent, for VAT-registered in NL;
    none for everyone else (not registered, KOR, reverse-charged)."""
    if treatment != VatTreatment.NL:
        return NO_VAT, ZERO
    return VAT_RATE_NL, (commission * VAT_RATE_NL / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _repayable(period: Period, distributor_ids: list[int]) -> dict[int, Decimal]:
    """Per distributor: what their statement of `period` repays of earlier payouts the bank
    returned (invoiced already, so not invoiced again).

    A return's amount is an adjustment of some period; it is on the first statement from that period
    on that pays (a statement that does not reach the minimum carries it to the next). So each
    paying statement repays, up to its payout, the returns booked since the one before it plus what
    that one could not repay: the same amount whatever order the batches are made in (a held
    statement keeps its own repayment). Reads only these distributors' returns, in parts, and the
    statements of the few who have any.
    """
    returns: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for part in chunked(distributor_ids, 50_000):
        rows = (
            matching(Payout.objects.all(), part, "distributor_id")
            .filter(status=PayoutStatus.RETURNED, return_adjustment__period__start__lte=period.start)
            .filter(Q(invoice__isnull=False) | Q(repaid__gt=0))
            .values_list("distributor_id", "return_adjustment__period__start", "amount")
        )
        for distributor_id, booked_in, amount in rows:
            returns[distributor_id].append((booked_in, amount))
    if not returns:
        return {}
    paying: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for part in chunked(list(returns), 5_000):
        rows = (
            matching(Statement.objects.all(), part, "distributor_id")
            .filter(
                run__kind=CloseRunKind.FINAL,
                run__status=CloseRunStatus.SUCCEEDED,
                period__start__lte=period.start,
                payout__gt=0,
            )
            .values_list("distributor_id", "period__start", "payout")
        )
        for distributor_id, statement_period, payout in rows:
            paying[distributor_id].append((statement_period, payout))
    repayable = {}
    for distributor_id, booked in returns.items():
        booked.sort()
        available, taken = ZERO, 0
        for statement_period, payout in sorted(paying[distributor_id]):
            while taken < len(booked) and booked[taken][0] <= statement_period:
                available += booked[taken][1]
                taken += 1
            repaid = min(payout, available)
            available -= repaid
            if statement_period == period.start and repaid > 0:
                repayable[distributor_id] = repaid
    return repayable


def invoice_drafts(*, period: Period, payable: list[tuple[int, int, Decimal]]) -> dict[int, InvoiceDraft]:
    """The invoice amounts of a batch's statements (statement id, distributor id, payout), by
    statement id. Takes the invoice number lock: in the batch's transaction only."""
    company_details()  # refused before anything is written
    advisory_xact_lock(INVOICE_NUMBER_LOCK)
    distributor_ids = [distributor_id for _statement, distributor_id, _amount in payable]
    registrations = vat_registrations_of(distributor_ids)
    repayable = defaultdict(lambda: ZERO, _repayable(period, distributor_ids))
    drafts = {}
    for statement_id, distributor_id, amount in payable:
        registration = registrations.get(distributor_id)
        treatment = registration.vat_status if registration is not None else VatTreatment.NOT_REGISTERED
        repaid = min(amount, repayable[distributor_id])
        repayable[distributor_id] -= repaid
        commission = amount - repaid
        rate, vat = vat_of(commission, treatment)
        drafts[statement_id] = InvoiceDraft(
            statement_id=statement_id, distributor_id=distributor_id, vat_treatment=treatment,
            commission=commission, vat_rate=rate, vat_amount=vat, repaid=repaid,
        )  # fmt: skip
    return drafts


def invoice_language(country: str) -> str:
    """Dutch for a distributor in the Netherlands, English for everyone else."""
    return "nl" if country == "NL" else "en"


def invoices_issue(
    *, batch: PayoutBatch, payouts: list[Payout], drafts: dict[int, InvoiceDraft]
) -> list[SelfBillingInvoice]:
    """One invoice per payout with commission to invoice, numbered on from the year's last one
    (under the lock invoice_drafts took), with everything on it copied as it is now."""
    company = company_details()
    advisory_xact_lock(INVOICE_NUMBER_LOCK)  # held already: taken again for callers without drafts
    issued_on = timezone.localdate()
    to_invoice = sorted(
        (payout for payout in payouts if drafts[payout.statement_id].commission > 0),
        key=lambda payout: payout.distributor_id,
    )
    last = SelfBillingInvoice.objects.filter(year=issued_on.year).aggregate(last=Max("sequence"))["last"] or 0
    people = _distributors([payout.distributor_id for payout in to_invoice])
    registrations = vat_registrations_of([payout.distributor_id for payout in to_invoice])
    invoices = []
    for sequence, payout in enumerate(to_invoice, start=last + 1):
        draft = drafts[payout.statement_id]
        first, last_name, country = people[payout.distributor_id]
        registration = registrations.get(payout.distributor_id)
        name = (registration.business_name if registration else "") or f"{first} {last_name}".strip()
        invoices.append(
            SelfBillingInvoice(
                number=invoice_number(issued_on, sequence),
                year=issued_on.year,
                sequence=sequence,
                payout=payout,
                distributor_id=payout.distributor_id,
                period_id=batch.period_id,
                issued_on=issued_on,
                language=invoice_language(country),
                supplier_name=name[:200],
                supplier_address=registration.address if registration else "",
                supplier_country=country,
                vat_treatment=draft.vat_treatment,
                supplier_vat_number=registration.vat_number if registration else "",
                customer_name=company.name,
                customer_address=company.address,
                customer_vat_number=company.vat_number,
                commission=draft.commission,
                vat_rate=draft.vat_rate,
                vat_amount=draft.vat_amount,
                total=draft.total,
            )
        )
    return SelfBillingInvoice.objects.bulk_create(invoices, batch_size=2_000)


def invoice_number(issued_on: dt.date, sequence: int) -> str:
    return f"{NUMBER_PREFIX}-{issued_on.year}-{sequence:06d}"


def _distributors(ids: list[int]) -> dict[int, tuple[str, str, str]]:
    found: dict[int, tuple[str, str, str]] = {}
    for part in chunked(ids, 5_000):
        found.update(
            (pk, (first, last, country))
            for pk, first, last, country in Distributor.objects.filter(pk__in=part).values_list(
                "id", "first_name", "last_name", "country"
            )
        )
    return found
