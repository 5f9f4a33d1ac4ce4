"""What the order services share: the closed-period guard and the number of an order."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.errors import ApplicationError, Conflict
from core.periods import period_label, period_of

# Closing periods are refused too: the close reads a frozen set of orders.
FROZEN_PERIOD_STATUSES = ("closed", "closing")


def ensure_period_open(moment: dt.datetime, *, field: str, what: str) -> dt.date:
    """The period of `moment`, refused with a clear message when it is closed or closing."""
    from commissions.models import Period

    period = period_of(moment)
    status = Period.objects.filter(start=period).values_list("status", flat=True).first()
    if status in FROZEN_PERIOD_STATUSES:
        raise Conflict(
            f"{what} falls in period {period_label(period)}, which is {status}; "
            "a closed period never changes, so record it in the current period instead.",
            field=field,
        )
    return period


def ensure_not_future(moment: dt.datetime, *, field: str, what: str) -> None:
    if timezone.is_naive(moment):
        raise ApplicationError(f"{what} needs a time zone.", field=field)
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise ApplicationError(f"{what} cannot be in the future.", field=field)


def order_number(pk: int) -> str:
    """The number users read, derived from the row id (a database sequence, so never racy)."""
    return f"BO-{pk:08d}"


def temporary_order_number() -> str:
    """A unique placeholder until the row id is known (max_length 32)."""
    import uuid

    return f"tmp-{uuid.uuid4().hex[:28]}"
