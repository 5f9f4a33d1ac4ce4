"""Demo data for commissions: close every past month of the seeded order history, in order, and
preview the current one, so the admin and the portal show statements, ranks and a ledger; then the
payout batches of the closed months, as an admin makes them (commissions.services.payouts). The
newest paid batch went by SEPA: the bank's camt.053 statement of it is imported, with one transfer
returned by the bank and one line (the bank's charges) left for staff."""

from __future__ import annotations

import datetime as dt
from io import TextIOBase
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.conf import settings
from django.utils import timezone

from commissions.close import close_run_advance, close_start
from commissions.models import CloseRun, CloseRunKind, CloseRunStatus, PayoutBatch
from commissions.services.adjustments import adjustment_create
from commissions.services.bank_statements import bank_statement_import
from commissions.services.payouts import payout_batch_create, payout_batch_mark_paid
from core.errors import Conflict
from core.periods import period_label
from plans.models import Period, PeriodStatus

ADJUSTMENT_AMOUNT = "50.00"
ADJUSTMENT_REASON = "Demo: campaign bonus approved after the preview"


def seed_commissions(*, stdout: TextIOBase | None = None, actor: Any = None) -> list[CloseRun]:
    from distributors.models import Distributor
    from orders.models import Order

    today = timezone.localdate()
    current = today.replace(day=1)
    months = sorted(
        set(
            Order.objects.filter(commission_period__isnull=False)
            .values_list("commission_period", flat=True)
            .distinct()
        )
    )
    closed = set(Period.objects.filter(status=PeriodStatus.CLOSED).values_list("start", flat=True))
    to_close = [month for month in months if month not in closed and month < current]
    runs = []
    for month in months:
        if month in closed or month > current:
            continue
        if to_close and month == to_close[-1]:
            # As on the 1st: the scheduled preview, a correction, then the final close, so that
            # the month has two runs to compare (admin: Compare two runs; manage.py compare_runs).
            runs.append(_run(month, preview=True, stdout=stdout))
            first = Distributor.objects.order_by("id").first()
            adjustment_create(
                distributor=first,
                period=month,
                amount=ADJUSTMENT_AMOUNT,
                reason=ADJUSTMENT_REASON,
                actor=actor,
            )
        runs.append(_run(month, preview=month == current, stdout=stdout))
    if current not in months:  # no orders yet this month: the dashboard still has a preview to show
        runs.append(_run(current, preview=True, stdout=stdout))
    seed_payouts(stdout=stdout, actor=actor)
    return runs


def _run(month, *, preview: bool, stdout: TextIOBase | None) -> CloseRun:
    run = close_start(period=month, preview=preview)
    # The demo waits for its closes even with a broker configured: write them here.
    close_run_advance(run_id=run.pk, inline=True)
    run.refresh_from_db()
    if stdout is not None:
        paid = run.summary.get("total_paid", "0.00")
        what = "Previewed" if run.kind == "preview" else "Closed"
        stdout.write(
            f"{what} {period_label(month)}: {run.summary.get('distributors')} distributors, paid {paid}."
        )
    return run


def seed_payouts(*, stdout: TextIOBase | None = None, actor: Any = None) -> list[PayoutBatch]:
    """A payout batch of every closed month that has none, through the payout service: the bank
    has paid all of them but the newest, which stays open (to be marked paid in the admin)."""
    finals = CloseRun.objects.filter(kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED)
    batched = set(PayoutBatch.objects.values_list("period_id", flat=True))
    batches = []
    for start, period_id in finals.order_by("period__start").values_list("period__start", "period_id"):
        if period_id in batched:
            continue
        try:
            batch = payout_batch_create(period=start, actor=actor)
        except Conflict:  # nobody reached the payout minimum that month
            continue
        if batch is not None:  # None: every payout of the month is held
            batches.append(batch)
    for batch in batches[:-2]:
        payout_batch_mark_paid(batch=batch, actor=actor, reason="Demo: executed by the bank")
    if len(batches) > 1:  # the newest paid one: reconciled from the bank's statement
        result = bank_statement_import(
            data=demo_bank_statement(batches[-2]), filename="demo.camt053.xml", actor=actor
        )
        batches[-2].refresh_from_db()
        if stdout is not None:
            statement = result.statement
            stdout.write(
                f"Bank statement {statement.statement_id}: {statement.paid} paid, "
                f"{statement.returned} returned, {statement.unmatched} unmatched."
            )
    for batch in batches:
        if stdout is not None:
            status = batch.get_status_display()
            stdout.write(f"Payout batch {batch.reference}: {batch.count} payouts, {batch.total} ({status}).")
    return batches


DEMO_RETURN_CODE = "AC04"  # closed account


def demo_bank_statement(batch: PayoutBatch) -> bytes:
    """The camt.053 statement a bank would send for the batch: each transfer booked the next day,
    the last one returned two days later (account closed), and the bank's charges."""
    iban = settings.SEPA_DEBTOR_IBAN or settings.DEMO_SEPA_DEBTOR["iban"]
    booked = batch.created_at.date() + dt.timedelta(days=1)
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
    document = Element("Document", xmlns=ns)
    report = SubElement(document, "BkToCstmrStmt")
    header = SubElement(report, "GrpHdr")
    SubElement(header, "MsgId").text = f"DEMO-{batch.reference}"
    SubElement(header, "CreDtTm").text = f"{booked + dt.timedelta(days=2)}T08:00:00"
    stmt = SubElement(report, "Stmt")
    SubElement(stmt, "Id").text = f"DEMO-STMT-{batch.reference}"
    SubElement(stmt, "CreDtTm").text = f"{booked + dt.timedelta(days=2)}T08:00:00"
    SubElement(SubElement(SubElement(stmt, "Acct"), "Id"), "IBAN").text = iban
    payouts = list(batch.payouts.order_by("id"))

    def entry(amount: str, credit: bool, day: dt.date, reference: str = "", info: str = "") -> Element:
        ntry = SubElement(stmt, "Ntry")
        SubElement(ntry, "Amt", Ccy="EUR").text = amount
        SubElement(ntry, "CdtDbtInd").text = "CRDT" if credit else "DBIT"
        SubElement(SubElement(ntry, "Sts"), "Cd").text = "BOOK"
        SubElement(SubElement(ntry, "BookgDt"), "Dt").text = day.isoformat()
        if reference:
            tx = SubElement(SubElement(ntry, "NtryDtls"), "TxDtls")
            SubElement(SubElement(tx, "Refs"), "EndToEndId").text = reference
            SubElement(tx, "Amt", Ccy="EUR").text = amount
        if info:
            SubElement(ntry, "AddtlNtryInf").text = info
        return ntry

    for payout in payouts:
        entry(f"{payout.amount:.2f}", False, booked, payout.reference)
    returned = payouts[-1]
    back = entry(f"{returned.amount:.2f}", True, booked + dt.timedelta(days=2), returned.reference)
    tx = back.find("NtryDtls/TxDtls")
    assert tx is not None
    reason = SubElement(SubElement(tx, "RtrInf"), "Rsn")
    SubElement(reason, "Cd").text = DEMO_RETURN_CODE
    entry("4.50", False, booked, info="Bank charges")
    return tostring(document, encoding="utf-8", xml_declaration=True)
