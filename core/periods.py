"""Commission periods are calendar months in the company's time zone, half-open [start, end)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def company_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def period_of(moment: dt.datetime) -> dt.date:
    """The first day of the month, in the company time zone, that `moment` belongs to.

    2026-10-31T23:30:00Z is 1 November in Amsterdam, so it belongs to 2026-11.
    """
    if timezone.is_naive(moment):
        raise ValueError("period_of needs an aware datetime")
    local = moment.astimezone(company_tz())
    return dt.date(local.year, local.month, 1)


def period_bounds(period_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware [start, end) datetimes of the month starting at period_start."""
    tz = company_tz()
    start = dt.datetime(period_start.year, period_start.month, 1, tzinfo=tz)
    nxt = next_period(period_start)
    end = dt.datetime(nxt.year, nxt.month, 1, tzinfo=tz)
    return start, end


def next_period(period_start: dt.date) -> dt.date:
    if period_start.month == 12:
        return dt.date(period_start.year + 1, 1, 1)
    return dt.date(period_start.year, period_start.month + 1, 1)


def previous_period(period_start: dt.date) -> dt.date:
    if period_start.month == 1:
        return dt.date(period_start.year - 1, 12, 1)
    return dt.date(period_start.year, period_start.month - 1, 1)


def parse_period(text: str) -> dt.date:
    """'2026-10' -> date(2026, 10, 1), with a clear error otherwise."""
    match = PERIOD_RE.match(text.strip())
    if not match:
        raise ApplicationError(
            _("'%(text)s' is not a period; write it as YYYY-MM, e.g. 2026-10.") % {"text": text},
            field="period",
        )
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:  # year 0000
        raise ApplicationError(
            _("'%(text)s' is not a period in the calendar.") % {"text": text}, field="period"
        ) from None


def period_label(period_start: dt.date) -> str:
    return f"{period_start.year:04d}-{period_start.month:02d}"
