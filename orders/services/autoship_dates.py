"""The dates of an autoship: every N weeks on a weekday, or every N months on a day of the month.

A day of the month past the month's end (29, 30, 31) falls on its last day: the 31st is 30 April
and 28 (or 29) February, and 31 May again the month after.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection

from orders.models import AutoshipUnit


def clamped(year: int, month: int, day: int) -> dt.date:
    """`day` of the month, or the month's last day when it has fewer days."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def first_date(*, unit: str, weekday: int | None, day_of_month: int | None, on_or_after: dt.date) -> dt.date:
    """The first autoship date on or after `on_or_after`."""
    if unit == AutoshipUnit.WEEKS:
        assert weekday is not None
        return on_or_after + dt.timedelta(days=(weekday - on_or_after.weekday()) % 7)
    assert day_of_month is not None
    candidate = clamped(on_or_after.year, on_or_after.month, day_of_month)
    if candidate < on_or_after:
        year, month = _add_months(on_or_after.year, on_or_after.month, 1)
        candidate = clamped(year, month, day_of_month)
    return candidate


def first_free_date(
    *,
    unit: str,
    weekday: int | None,
    day_of_month: int | None,
    on_or_after: dt.date,
    taken: Collection[dt.date] = (),
) -> dt.date:
    """The first autoship date on or after `on_or_after` that is not `taken` (a date that already
    has a run, skipped or ordered: it makes no order again)."""
    candidate = first_date(unit=unit, weekday=weekday, day_of_month=day_of_month, on_or_after=on_or_after)
    while candidate in taken:
        candidate = first_date(
            unit=unit,
            weekday=weekday,
            day_of_month=day_of_month,
            on_or_after=candidate + dt.timedelta(days=1),
        )
    return candidate


def following_date(*, unit: str, count: int, day_of_month: int | None, after: dt.date) -> dt.date:
    """The autoship date one interval after the date `after` (itself an autoship date)."""
    if unit == AutoshipUnit.WEEKS:
        return after + dt.timedelta(weeks=count)
    assert day_of_month is not None
    year, month = _add_months(after.year, after.month, count)
    return clamped(year, month, day_of_month)


def next_date_after(
    *,
    unit: str,
    count: int,
    day_of_month: int | None,
    scheduled: dt.date,
    day: dt.date,
    taken: Collection[dt.date] = (),
) -> dt.date:
    """The first autoship date after both `scheduled` and `day`, and not `taken` (already run):
    the date that follows an order (or a skip). A subscription behind by several intervals gets no
    back-orders: it moves on."""
    following = following_date(unit=unit, count=count, day_of_month=day_of_month, after=scheduled)
    while following <= day or following in taken:
        following = following_date(unit=unit, count=count, day_of_month=day_of_month, after=following)
    return following
