"""What the order services share: the closed-period guard and the number of an order."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.periods import period_label, period_of

# Closing periods are refused too: the close reads a frozen set of orders.
FROZEN_PERIOD_STATUSES = ("closed", "closing")


def ensure_period_open(moment: dt.datetime, *, field: str, what: str) -> dt.date:
    """The period of `moment`, refused with a clear message when it is closed or closing.

    Call it inside the transaction that writes: it share-locks the period's row until that
    transaction ends, so a final close starting meanwhile waits for this write and counts it.
    """
    from plans.periods import period_status_locked

    period = period_of(moment)
    status = period_status_locked(period)
    if status in FROZEN_PERIOD_STATUSES:
        if status == "closed":
            message = _(
                "%(what)s falls in period %(period)s, which is closed; "
                "a closed period never changes, so record it in the current period instead."
            )
        else:
            message = _(
                "%(what)s falls in period %(period)s, which is closing; "
                "a closed period never changes, so record it in the current period instead."
            )
        raise Conflict(message % {"what": what, "period": period_label(period)}, field=field)
    return period


def ensure_not_future(moment: dt.datetime, *, field: str, what: str) -> None:
    if timezone.is_naive(moment):
        raise ApplicationError(_("%(what)s needs a time zone.") % {"what": what}, field=field)
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise ApplicationError(_("%(what)s cannot be in the future.") % {"what": what}, field=field)


def order_number(pk: int) -> str:
    """The number users read, derived from the row id (a database sequence, so never racy)."""
    return f"BO-{pk:08d}"


def temporary_order_number() -> str:
    """A unique placeholder until the row id is known (max_length 32)."""
    import uuid

    return f"tmp-{uuid.uuid4().hex[:28]}"
