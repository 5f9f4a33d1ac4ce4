"""Periods: open -> closing (while the final close runs) -> closed. A closed period never changes."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from commissions.models import Period, PeriodStatus
from core.errors import Conflict
from core.periods import next_period, period_label


def period_get_or_create(*, start: dt.date) -> Period:
    """The Period row of the month starting at `start` (created open on first use, race-free)."""
    period = Period.objects.filter(start=start).first()
    if period is not None:
        return period
    try:
        with transaction.atomic():
            return Period.objects.create(start=start, status=PeriodStatus.OPEN)
    except IntegrityError:
        return Period.objects.get(start=start)


def period_ensure_open(*, start: dt.date, what: str) -> Period:
    """The period, refused with a clear message unless it is open."""
    period = period_get_or_create(start=start)
    if period.status != PeriodStatus.OPEN:
        if period.status == PeriodStatus.CLOSED:
            message = _(
                "%(what)s: period %(period)s is closed; a closed period never changes, "
                "so use %(next)s or later."
            )
        else:
            message = _(
                "%(what)s: period %(period)s is closing; a closed period never changes, "
                "so use %(next)s or later."
            )
        raise Conflict(
            message % {"what": what, "period": period_label(start), "next": period_label(next_period(start))},
            field="period",
        )
    return period
