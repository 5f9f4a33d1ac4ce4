"""Reconcile a camt.053 bank statement of the company's account with the payouts sent.

Each booked transaction is matched to a payout by its end-to-end id (the payout reference, which
the pain.001 file sent): a debit of the payout's amount marks it paid; a credit carrying return
information (RtrInf, with the bank's reason code) marks it returned and puts its amount back on
the distributor's balance as an adjustment of the open period, so that the next close pays it
again (the ledger is the only balance), and holds their account until they save it again. A
batch booked as one entry without details is matched by its message id (the batch reference).
Everything else is stored as unmatched, for staff, who mark each one handled with a note once
they have looked into it (bank_statement_line_handle).

Imported once: a statement is known by its account and statement id, and importing it again
changes nothing. The file is read whole before anything is written; a file that is not a camt.053
statement is refused with the reason and nothing changes. Parsed with defusedxml: no DTD, no
entities, nothing fetched from anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import override

from commissions.models import (
    BankLineOutcome,
    BankLineProblem,
    BankStatement,
    BankStatementLine,
    Payout,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutStatus,
)
from commissions.selectors.payouts import return_reason_text
from core.accounts.services import actor_is_staff
from core.batches import chunked
from core.errors import ApplicationError, Conflict, PermissionDenied
from core.locks import advisory_xact_lock
from core.money import ZERO
from core.periods import next_period, period_of
from core.services import audit_record
from distributors.bank import bank_account_returned
from plans.periods import newest_frozen_period

from .adjustments import adjustment_create

CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053."
MAX_STATEMENT_BYTES = 20 * 1024 * 1024


@dataclass
class StatementLine:
    booked: bool
    booked_on: dt.date | None
    amount: Decimal
    currency: str
    credit: bool
    end_to_end_id: str = ""
    batch_message_id: str = ""
    bank_reference: str = ""
    counterparty: str = ""
    remittance: str = ""
    return_code: str = ""
    return_info: str = ""


@dataclass
class ParsedStatement:
    account_iban: str
    statement_id: str
    message_id: str
    created_on: dt.datetime | None
    lines: list[StatementLine] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement
    created: bool  # False: imported before, nothing changed


# --- Reading the file


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element | None, *path: str) -> Element | None:
    """The first descendant along `path` of local names (any namespace)."""
    for name in path:
        if element is None:
            return None
        element = next((child for child in element if _local(child.tag) == name), None)
    return element


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [child for child in element if _local(child.tag) == name]


def _text(element: Element | None, *path: str) -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _amount(element: Element | None, where: str) -> tuple[Decimal, str]:
    if element is None:
        raise ApplicationError(_("%(where)s has no amount.") % {"where": where}, field="file")
    try:
        amount = Decimal((element.text or "").strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ApplicationError(
            _("%(where)s: '%(amount)s' is not an amount.") % {"where": where, "amount": element.text},
            field="file",
        )
    return amount, element.get("Ccy", "")


def _date(element: Element | None) -> dt.date | None:
    text = _text(element, "Dt") or _text(element, "DtTm")[:10]
    return parse_date(text) if text else None


def parse_camt053(data: bytes) -> ParsedStatement:
    """The statement in a camt.053 file (any version of the message), or a clear refusal."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise ApplicationError(_("The file is larger than a bank statement can be (20 MB)."), field="file")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ApplicationError(
            _("The file declares a DTD or entities, which a bank statement never does: not imported."),
            field="file",
        ) from None
    except (ParseError, ValueError) as error:
        raise ApplicationError(
            _("The file is not well-formed XML (%(error)s).") % {"error": error}, field="file"
        ) from None
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    statements = _children(_child(root, "BkToCstmrStmt"), "Stmt")
    if _local(root.tag) != "Document" or not namespace.startswith(CAMT053_NAMESPACE) or not statements:
        raise ApplicationError(
            _("The file is not a camt.053 bank statement (ISO 20022 BkToCstmrStmt)."), field="file"
        )
    if len(statements) != 1:
        raise ApplicationError(
            _("The file holds %(count)d statements: import one statement per file.")
            % {"count": len(statements)},
            field="file",
        )
    stmt = statements[0]
    statement_id = _text(stmt, "Id")
    account_iban = _text(stmt, "Acct", "Id", "IBAN").replace(" ", "").upper()
    if not statement_id or not account_iban:
        raise ApplicationError(
            _("The statement has no id or no account IBAN (Stmt/Id, Stmt/Acct/Id/IBAN)."), field="file"
        )
    created = _text(stmt, "CreDtTm") or _text(root, "BkToCstmrStmt", "GrpHdr", "CreDtTm")
    created_on = parse_datetime(created) if created else None
    if created_on is not None and timezone.is_naive(created_on):
        created_on = timezone.make_aware(created_on)
    parsed = ParsedStatement(
        account_iban=account_iban,
        statement_id=statement_id[:35],
        message_id=_text(root, "BkToCstmrStmt", "GrpHdr", "MsgId")[:35],
        created_on=created_on,
    )
    for number, entry in enumerate(_children(stmt, "Ntry"), start=1):
        parsed.lines.extend(_entry_lines(entry, number))
    return parsed


def _entry_lines(entry: Element, number: int) -> list[StatementLine]:
    where = _("Entry %(number)d") % {"number": number}
    amount, currency = _amount(_child(entry, "Amt"), where)
    credit_text = _text(entry, "CdtDbtInd")
    if credit_text not in ("CRDT", "DBIT"):
        raise ApplicationError(
            _("%(where)s: CdtDbtInd is '%(value)s', not CRDT or DBIT.")
            % {"where": where, "value": credit_text},
            field="file",
        )
    status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
    booked = status == "BOOK" and _text(entry, "RvslInd").lower() != "true"
    booked_on = _date(_child(entry, "BookgDt"))
    bank_reference = _text(entry, "AcctSvcrRef")[:35]
    details = [tx for block in _children(entry, "NtryDtls") for tx in _children(block, "TxDtls")]
    batch_message_id = next(
        (
            _text(block, "Btch", "MsgId")
            for block in _children(entry, "NtryDtls")
            if _child(block, "Btch") is not None
        ),
        "",
    )
    if not details:
        return [
            StatementLine(
                booked=booked,
                booked_on=booked_on,
                bank_reference=bank_reference,
                amount=amount,
                currency=currency,
                credit=credit_text == "CRDT",
                batch_message_id=batch_message_id[:35],
                remittance=_text(entry, "AddtlNtryInf")[:140],
            )  # fmt: skip
        ]
    lines = []
    for tx in details:
        tx_amount_element = _child(tx, "Amt")
        if tx_amount_element is None:  # camt.053.001.02 gives it in the amount details
            tx_amount_element = _child(tx, "AmtDtls", "TxAmt", "Amt")
        if tx_amount_element is None and len(details) == 1:
            tx_amount, tx_currency = amount, currency
        else:
            tx_amount, tx_currency = _amount(tx_amount_element, where)
        tx_credit = _text(tx, "CdtDbtInd") or credit_text
        party = "Dbtr" if tx_credit == "CRDT" else "Cdtr"
        counterparty = _text(tx, "RltdPties", party, "Nm") or _text(tx, "RltdPties", party, "Pty", "Nm")
        return_info = _child(tx, "RtrInf")
        end_to_end_id = _text(tx, "Refs", "EndToEndId")
        # A return without a reason code is still a return: NARR (narrative), its words in AddtlInf.
        return_code = _text(return_info, "Rsn", "Cd") or ("NARR" if return_info is not None else "")
        remittance = " ".join((u.text or "").strip() for u in _children(_child(tx, "RmtInf"), "Ustrd"))
        info = " ".join((a.text or "").strip() for a in _children(return_info, "AddtlInf"))
        lines.append(
            StatementLine(
                booked=booked,
                booked_on=booked_on,
                bank_reference=bank_reference,
                amount=tx_amount,
                currency=tx_currency,
                credit=tx_credit == "CRDT",
                end_to_end_id=end_to_end_id[:35],
                batch_message_id=("" if end_to_end_id else _text(tx, "Refs", "MsgId"))[:35],
                counterparty=counterparty[:140],
                remittance=remittance[:140],
                return_code=return_code[:4],
                return_info=info[:255],
            )
        )
    return lines


# --- Reconciling


@transaction.atomic
def bank_statement_import(*, data: bytes, filename: str = "", actor: Any = None) -> ImportResult:
    """Import a camt.053 statement: mark payouts paid or returned, keep unmatched lines for staff."""
    parsed = parse_camt053(data)
    expected = "".join(settings.SEPA_DEBTOR_IBAN.split()).upper()
    if expected and parsed.account_iban != expected:
        raise Conflict(
            _("This is a statement of account %(account)s, not of the company's account %(expected)s.")
            % {"account": parsed.account_iban, "expected": expected},
            field="file",
        )
    # One import at a time: two imports of one statement queue, and the second finds the first.
    advisory_xact_lock("bank-statement-import")
    known = BankStatement.objects.filter(
        account_iban=parsed.account_iban, statement_id=parsed.statement_id
    ).first()
    if known is not None:
        return ImportResult(statement=known, created=False)
    statement = BankStatement.objects.create(
        account_iban=parsed.account_iban,
        statement_id=parsed.statement_id,
        message_id=parsed.message_id,
        created_on=parsed.created_on,
        filename=filename[:255],
        digest=hashlib.sha256(data).hexdigest(),
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    references = {line.end_to_end_id for line in parsed.lines if line.end_to_end_id}
    payouts = {
        payout.reference: payout
        for payout in Payout.objects.select_for_update(no_key=True)
        .select_related("batch")
        .filter(reference__in=references)
        .order_by("id")
    }
    batches = {
        batch.reference: batch
        for batch in PayoutBatch.objects.filter(
            reference__in={line.batch_message_id for line in parsed.lines if line.batch_message_id}
        )
    }
    rows = []
    touched: set[int] = set()
    paid: dict[dt.date | None, list[int]] = defaultdict(list)  # booked on: payouts now paid
    for number, line in enumerate(parsed.lines, start=1):
        row = BankStatementLine(
            statement=statement, number=number, booked_on=line.booked_on, amount=line.amount,
            currency=line.currency, credit=line.credit, end_to_end_id=line.end_to_end_id,
            bank_reference=line.bank_reference, counterparty=line.counterparty,
            remittance=line.remittance, return_code=line.return_code, return_info=line.return_info,
        )  # fmt: skip
        payout = payouts.get(line.end_to_end_id)
        batch = batches.get(line.batch_message_id)
        if not line.booked:
            row.outcome, row.problem = BankLineOutcome.UNMATCHED, BankLineProblem.NOT_BOOKED
        elif payout is not None:
            row.payout = payout
            _reconcile(row, line, payout, actor, paid)
            touched.add(payout.batch_id)
        elif batch is not None and not line.credit:
            _reconcile_batch(row, line, batch)
            touched.add(batch.pk)
        else:
            row.outcome, row.problem = BankLineOutcome.UNMATCHED, BankLineProblem.UNKNOWN_REFERENCE
        rows.append(row)
    for booked_on, ids in paid.items():  # one UPDATE per booking date, not one per payout
        for part in chunked(ids, 10_000):
            Payout.objects.filter(pk__in=part, status=PayoutStatus.SENT).update(
                status=PayoutStatus.PAID, booked_on=booked_on
            )
    BankStatementLine.objects.bulk_create(rows, batch_size=2_000)
    statement.paid = sum(1 for row in rows if row.outcome == BankLineOutcome.PAID)
    statement.returned = sum(1 for row in rows if row.outcome == BankLineOutcome.RETURNED)
    statement.unmatched = sum(1 for row in rows if row.outcome == BankLineOutcome.UNMATCHED)
    statement.save(update_fields=["paid", "returned", "unmatched"])
    _batches_settle(touched, actor)
    audit_record(
        actor=actor, action="commissions.bank_statement_import", target=statement,
        data={"lines": len(rows), "paid": statement.paid, "returned": statement.returned,
              "unmatched": statement.unmatched, "digest": statement.digest},
    )  # fmt: skip
    return ImportResult(statement=statement, created=True)


def _reconcile(
    row: BankStatementLine,
    line: StatementLine,
    payout: Payout,
    actor: Any,
    paid: dict[dt.date | None, list[int]],
) -> None:
    """The line's outcome for its payout; a payout the bank paid joins `paid` (written in bulk)."""
    if line.amount != payout.amount or line.currency != settings.CURRENCY:
        row.outcome, row.problem = BankLineOutcome.UNMATCHED, BankLineProblem.AMOUNT_DIFFERS
    elif line.credit and line.return_code:
        row.outcome = _payout_return(payout, line, actor)
    elif line.credit:
        row.outcome, row.problem = BankLineOutcome.UNMATCHED, BankLineProblem.NOT_A_PAYOUT
    elif payout.status == PayoutStatus.SENT:
        paid[line.booked_on].append(payout.pk)
        payout.status = PayoutStatus.PAID
        row.outcome = BankLineOutcome.PAID
    else:  # paid before (another statement), or returned since
        row.outcome = BankLineOutcome.KNOWN


def _payout_return(payout: Payout, line: StatementLine, actor: Any) -> str:
    """The bank gave the payout back: its amount goes back on the distributor's balance."""
    if payout.status == PayoutStatus.RETURNED:
        return BankLineOutcome.KNOWN
    with override("en"):  # stored data (as every adjustment's reason): one language
        reason = return_reason_text(line.return_code, line.return_info)
    adjustment = adjustment_create(
        distributor=payout.distributor,
        period=_open_period_for_returns(),
        amount=payout.amount,
        reason=f"Payout {payout.reference} returned by the bank: {reason}"[:2000],
        actor=actor,
    )
    Payout.objects.filter(pk=payout.pk).update(
        status=PayoutStatus.RETURNED,
        booked_on=line.booked_on,
        return_code=line.return_code,
        return_reason=line.return_info[:255],
        return_adjustment=adjustment,
    )
    payout.status = PayoutStatus.RETURNED
    bank_account_returned(distributor_id=payout.distributor_id, reason=reason)
    return BankLineOutcome.RETURNED


def _open_period_for_returns() -> dt.date:
    """This month, or the month after the newest closed (or closing) one if that is later."""
    start = period_of(timezone.now())
    frozen = newest_frozen_period()
    return max(start, next_period(frozen.start)) if frozen is not None else start


def _reconcile_batch(row: BankStatementLine, line: StatementLine, batch: PayoutBatch) -> None:
    """A batch booked as one debit without details: all its payouts still sent, if the sum agrees."""
    sent = Payout.objects.filter(batch=batch, status=PayoutStatus.SENT)
    total = sum(sent.values_list("amount", flat=True), ZERO)
    if not total:
        row.outcome = BankLineOutcome.KNOWN
    elif line.amount != total or line.currency != settings.CURRENCY:
        row.outcome, row.problem = BankLineOutcome.UNMATCHED, BankLineProblem.AMOUNT_DIFFERS
    else:
        sent.update(status=PayoutStatus.PAID, booked_on=line.booked_on)
        row.outcome = BankLineOutcome.PAID


def _batches_settle(batch_ids: set[int], actor: Any) -> None:
    """A batch whose every payout the bank has booked (paid or returned) is paid."""
    for batch in PayoutBatch.objects.filter(pk__in=batch_ids, status=PayoutBatchStatus.OPEN).order_by("id"):
        if batch.payouts.filter(status=PayoutStatus.SENT).exists():
            continue
        updated = PayoutBatch.objects.filter(pk=batch.pk, status=PayoutBatchStatus.OPEN).update(
            status=PayoutBatchStatus.PAID,
            paid_at=timezone.now(),
            paid_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if updated == 1:  # not marked paid by hand meanwhile
            audit_record(
                actor=actor, action="commissions.payout_batch_paid", target=batch,
                reason="Booked by the bank (camt.053 statement)",
            )  # fmt: skip


# --- Unmatched lines, handled by staff


@transaction.atomic
def bank_statement_line_handle(*, line: BankStatementLine, actor: Any, note: str) -> BankStatementLine:
    """Staff mark an unmatched line handled (looked into, and booked or settled by hand), with a note."""
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff mark a bank statement line handled."))
    note = (note or "").strip()
    if not note:
        raise ApplicationError(_("Say what was done about the line; the note is kept."), field="note")
    which = {"number": line.number, "statement": line.statement}
    if line.outcome != BankLineOutcome.UNMATCHED:
        raise Conflict(
            _("Line %(number)d of %(statement)s was matched (%(outcome)s): there is nothing to handle.")
            % {**which, "outcome": line.get_outcome_display().lower()},
            field="line",
        )
    now = timezone.now()
    updated = BankStatementLine.objects.filter(
        pk=line.pk, outcome=BankLineOutcome.UNMATCHED, handled_at__isnull=True
    ).update(handled_at=now, handled_by=actor, handled_note=note)
    if updated != 1:  # Nothing updated: someone handled it first (the same moment, or before).
        raise Conflict(_("Line %(number)d of %(statement)s was handled already.") % which, field="line")
    line.handled_at, line.handled_by, line.handled_note = now, actor, note
    audit_record(
        actor=actor, action="commissions.bank_statement_line_handled", target=line, reason=note,
        data={"amount": str(line.amount), "credit": line.credit, "problem": line.problem},
    )  # fmt: skip
    return line
