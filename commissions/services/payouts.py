"""Payouts: the final statements of a closed period with a payout go to the bank as one batch; an
admin marks the batch paid once the bank has executed it. A statement is paid at most once."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
    Statement,
)
from core.errors import Conflict, NotFound
from core.locks import advisory_xact_lock
from core.money import ZERO, money_str
from core.periods import period_label
from core.services import audit_record

PAYOUT_CSV_COLUMNS = ("distributor_id", "name", "email", "amount", "currency", "reference")


@transaction.atomic
def payout_batch_create(*, period: dt.date, actor: Any = None) -> PayoutBatch:
    """A batch of every final statement of the period with a payout not yet in a batch."""
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
    number = PayoutBatch.objects.filter(period=run.period).count() + 1
    reference = f"PAY-{label}-{number:03d}"
    total = sum((amount for _distributor, _statement, amount in statements), ZERO)
    batch = PayoutBatch.objects.create(
        period=run.period, reference=reference, total=total, count=len(statements),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    Payout.objects.bulk_create(
        [
            Payout(
                batch=batch,
                statement_id=statement_id,
                distributor_id=distributor_id,
                amount=amount,
                reference=f"{reference}-{distributor_id}",
            )  # fmt: skip
            for statement_id, distributor_id, amount in statements
        ],
        batch_size=5_000,
    )
    audit_record(
        actor=actor, action="commissions.payout_batch_create", target=batch,
        data={"period": label, "count": len(statements), "total": str(total)},
    )  # fmt: skip
    return batch


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
