"""The period calendar: the months something is recorded in and the current one, with their
bounds in the company time zone and their status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from core.periods import period_bounds, period_label, period_of
from plans.models import Period, PeriodStatus


@dataclass(frozen=True)
class CalendarMonth:
    """A month of the period calendar: half-open [starts_at, ends_at) in the company time zone."""

    period: str  # YYYY-MM
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    closed_at: dt.datetime | None
    is_current: bool


def period_calendar(*, now: dt.datetime | None = None) -> list[CalendarMonth]:
    """The months something is recorded in, and the current one (open even before anything is
    recorded), newest first."""
    current = period_of(now or timezone.now())
    # A period row exists once something is recorded in it: a few per year, read whole.
    rows = {p.start: (p.status, p.closed_at) for p in Period.objects.only("start", "status", "closed_at")}
    rows.setdefault(current, (PeriodStatus.OPEN, None))
    return [
        CalendarMonth(period_label(start), *period_bounds(start), *rows[start], start == current)
        for start in sorted(rows, reverse=True)
    ]
