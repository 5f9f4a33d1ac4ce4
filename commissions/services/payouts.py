"""Payouts: the final statements of a closed period with a payout go to the bank as one batch; an
admin marks the batch paid once the bank has executed it (or the bank statement import does). A
statement is paid at most once.

A distributor without a valid bank account when the batch is made is held: their statement stays
out of the batch, unpaid, with the reason recorded (PayoutHold) for them and for staff; the next
batch of the period pays it once the account is valid. Each payout keeps the account it was sent
to (commissions.services.sepa writes the bank file from it).

A distributor who has not accepted the current distributor agreement is held the same way (reason
AGREEMENT): their statement is owed, and the first batch after they accept pays it (a terminated
distributor only for a version in force while they earned the period; staff may record their
signed paper copy). When every payout still to pay is held, no batch is made: the holds are
recorded without one and the service returns None ("nothing to pay")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import (
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    Payout,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutHold,
    PayoutHoldReason,
    Statement,
)
from core.errors import Conflict, NotFound
from core.locks import advisory_xact_lock
from core.money import ZERO, money_str
from core.periods import period_bounds, period_label
from core.services import audit_record
from distributors.agreement_selectors import agreement_not_accepted_ids
from distributors.bank import BankDetails, bank_accounts_of, bank_details_check
from distributors.models import BankAccount

from .invoices import invoice_drafts, invoices_issue

PAYOUT_CSV_COLUMNS = ("distributor_id", "name", "email", "amount", "currency", "reference")


@transaction.atomic
def payout_batch_create(*, period: dt.date, actor: Any = None) -> PayoutBatch | None:
    """A batch of every final statement of the period with a payout not yet in a batch; None when
    every one of them is held (the holds are recorded, nothing goes to the bank)."""
    label = period_label(period)
    run = CloseRun.objects.filter(
        period__start=period, kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED
    ).first()
    if run is None:
        raise NotFound(
            _("Period %(period)s is not closed yet; payouts come from a final close.") % {"period": label},
            field="period",
        )
    advisory_xact_lock(f"payout-batch:{label}")
    statements = list(
        Statement.objects.filter(run=run, payout__gt=0, payout_record__isnull=True)
        .order_by("distributor_id")
        .values_list("id", "distributor_id", "payout")
    )
    if not statements:
        raise Conflict(
            _("Every payout of %(period)s is already in a batch (or nobody reached the minimum).")
            % {"period": label}
        )
    distributor_ids = [distributor_id for _statement, distributor_id, _amount in statements]
    accounts = bank_accounts_of(distributor_ids)
    # A terminated distributor waits only for a version in force while they earned this period.
    not_accepted = agreement_not_accepted_ids(distributor_ids, earned_in=period_bounds(run.period.start))
    payable: list[tuple[int, int, Decimal, BankDetails]] = []
    held: list[tuple[int, int, Decimal, str]] = []
    for statement_id, distributor_id, amount in statements:
        if distributor_id in not_accepted:
            held.append((statement_id, distributor_id, amount, PayoutHoldReason.AGREEMENT))
            continue
        details, reason = _bank_details_or_hold(accounts.get(distributor_id))
        if details is None:
            held.append((statement_id, distributor_id, amount, reason))
        else:
            payable.append((statement_id, distributor_id, amount, details))
    if not payable:  # nothing to pay: record who is held and why, without a batch
        _holds_record(None, held, period=run.period)
        audit_record(
            actor=actor, action="commissions.payout_batch_all_held", target=run.period,
            data={"period": label, "held": len(held)},
        )  # fmt: skip
        return None
    number = PayoutBatch.objects.filter(period=run.period).count() + 1
    reference = f"PAY-{label}-{number:03d}"
    # Each payout's self-billing invoice: VAT-registered in NL is paid commission + 21 % VAT.
    drafts = invoice_drafts(period=run.period, payable=[(s, d, a) for s, d, a, _details in payable])
    total = sum((draft.transferred for draft in drafts.values()), ZERO)
    batch = PayoutBatch.objects.create(
        period=run.period, reference=reference, total=total, count=len(payable),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    payouts = Payout.objects.bulk_create(
        [
            Payout(
                batch=batch,
                statement_id=statement_id,
                distributor_id=distributor_id,
                amount=drafts[statement_id].transferred,
                repaid=drafts[statement_id].repaid,
                reference=f"{reference}-{distributor_id}",
                holder=details.holder,
                iban=details.iban,
                bic=details.bic_to_use,
            )  # fmt: skip
            for statement_id, distributor_id, _amount, details in payable
        ],
        batch_size=5_000,
    )
    invoices_issue(batch=batch, payouts=payouts, drafts=drafts)
    _holds_record(batch, held)
    audit_record(
        actor=actor, action="commissions.payout_batch_create", target=batch,
        data={"period": label, "count": len(payable), "total": str(total), "held": len(held)},
    )  # fmt: skip
    return batch


def _bank_details_or_hold(account: BankAccount | None) -> tuple[BankDetails | None, str]:
    """The account to pay, or why the payout is held."""
    if account is None:
        return None, PayoutHoldReason.NO_BANK_ACCOUNT
    if account.returned_at is not None:
        return None, PayoutHoldReason.RETURNED
    try:
        return bank_details_check(holder=account.holder, iban=account.iban, bic=account.bic), ""
    except ValidationError:  # entered before a rule changed, or written around the check
        return None, PayoutHoldReason.INVALID_BANK_ACCOUNT


def _holds_record(
    batch: PayoutBatch | None, held: list[tuple[int, int, Decimal, str]], *, period: Any = None
) -> None:
    """Record who this batch left out (no batch: every payout was held), and release the period's
    earlier holds it now pays."""
    now = timezone.now()
    period = batch.period if batch is not None else period
    held_ids = [statement_id for statement_id, _distributor, _amount, _reason in held]
    if batch is not None:
        PayoutHold.objects.filter(period=period, released_by__isnull=True).exclude(
            statement_id__in=held_ids
        ).update(released_by=batch)
    PayoutHold.objects.bulk_create(
        [
            PayoutHold(
                statement_id=statement_id,
                distributor_id=distributor_id,
                period=period,
                amount=amount,
                reason=reason,
                batch=batch,
                held_at=now,
            )  # fmt: skip
            for statement_id, distributor_id, amount, reason in held
        ],
        batch_size=5_000,
        update_conflicts=True,
        unique_fields=["statement"],
        update_fields=["reason", "batch", "held_at", "amount"],
    )


@transaction.atomic
def payout_batch_mark_paid(*, batch: PayoutBatch, actor: Any = None, reason: str = "") -> PayoutBatch:
    """Record that the bank paid the batch (once: a second call is refused)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    updated = PayoutBatch.objects.filter(pk=batch.pk, status=PayoutBatchStatus.OPEN).update(
        status=PayoutBatchStatus.PAID, paid_at=timezone.now(), paid_by=user
    )
    if updated != 1:
        raise Conflict(
            _("Payout batch %(reference)s is already marked paid.") % {"reference": batch.reference}
        )
    batch.refresh_from_db()
    audit_record(actor=actor, action="commissions.payout_batch_paid", target=batch, reason=reason)
    return batch


def payout_batch_rows(batch: PayoutBatch) -> list[list[str]]:
    """The bank file: one row per payout, by distributor external id."""
    from django.conf import settings

    currency = settings.CURRENCY
    rows = [
        [external_id, f"{first} {last}".strip(), email, money_str(amount), currency, reference]
        for external_id, first, last, email, amount, reference in Payout.objects.filter(
            batch=batch
        ).values_list(
            "distributor__external_id",
            "distributor__first_name",
            "distributor__last_name",
            "distributor__email",
            "amount",
            "reference",
        )  # fmt: skip
    ]
    rows.sort(key=lambda row: row[0])
    return rows
