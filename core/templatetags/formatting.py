"""How the admin and the staff pages show a number: one home for money, points, percentages,
ranks, durations and timestamps.

Each is a template filter (`{% load formatting %}{{ statement.payout|money }}`) and a plain function
for admin columns (`money(obj.total)`). Grouping and the decimal mark follow the reader's language
through Django's localisation (`€ 1.234,56` in Dutch, `€ 1,234.56` in English); timestamps are shown
in the company time zone. Files with a fixed format (CSV exports) never use these.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.periods import parse_period, period_label

register = template.Library()

EMPTY = "–"
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
NBSP = "\u00a0"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _number(value: Decimal, places: int) -> str:
    # Django's number_format cuts extra decimals off; round half away from zero first.
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def number(value: Any, places: int | None = None) -> str:
    """A count or a plain number, grouped per language: 12345 -> `12,345` / `12.345`."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    if places is None:
        exponent = amount.normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # a str only for NaN and infinity, which have no places
        places = min(max(-exponent, 0), 4)
    return _number(amount, int(places))


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """An amount with its currency, in cents: -196.07 -> `€ -196.07` / `€ -196,07`."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    code = currency or settings.CURRENCY
    return f"{CURRENCY_SYMBOLS.get(code, code)}{NBSP}{_number(amount, 2)}"


@register.filter
def points(value: Any) -> str:
    """Points (QV, CV, PV, GV) with the decimals they have, never a currency: 612.5, 1,250."""
    return number(value)


@register.filter
def percent(share: Any, places: int = 1) -> str:
    """A share as a percentage with `places` decimals: 0.5123 -> `51.2%` / `51,2%`."""
    amount = _decimal(share)
    if amount is None:
        return EMPTY
    return f"{_number(amount * 100, int(places))}%"


@register.filter
def rate(value: Any) -> str:
    """A plan rate as a percentage with the decimals it has: 0.05 -> `5%`, 0.025 -> `2.5%`."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    return f"{number(amount * 100)}%"


@register.filter
def duration(seconds: Any) -> str:
    """Seconds in words: 0.118 -> `0.1 s`, 75 -> `1 min 15 s`, 3725 -> `1 h 2 min`."""
    amount = _decimal(seconds)
    if amount is None:
        return EMPTY
    if amount < 10:
        return _("%(seconds)s s") % {"seconds": _number(amount, 1)}
    whole = int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": secs}
    return _("%(seconds)s s") % {"seconds": secs}


@register.filter
def timestamp(value: Any) -> str:
    """A moment in the company time zone, in the reader's date format, without (micro)seconds."""
    if isinstance(value, str):
        value = parse_datetime(value) or value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(settings.TIME_ZONE))
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    return EMPTY if value in (None, "") else str(value)


@register.filter
def rank(number_: Any, names: dict[int, str] | None = None) -> str:
    """A rank or title with its name from the plan: `2 · Senior Consultant`; 0 is `0 · No rank`."""
    if number_ is None or number_ == "":
        return EMPTY
    try:
        key = int(number_)
    except (TypeError, ValueError):
        return str(number_)
    name = (names or {}).get(key) or (_("No rank") if key == 0 else "")
    return f"{key} · {name}" if name else str(key)


@register.filter
def period(start: Any) -> str:
    """A commission period by its month, `2026-12`, never as the date of its first day."""
    if isinstance(start, dt.date):
        return period_label(start)
    return EMPTY if start in (None, "") else str(start)


@register.filter
def month(start: Any) -> str:
    """A commission period in words for a reader: `December 2026` / `december 2026`. Takes the
    period's first day or its `2026-12` label; staff pages and files keep `period`."""
    if isinstance(start, str) and start:
        try:
            start = parse_period(start)
        except ApplicationError:
            return start
    if isinstance(start, dt.date):
        return formats.date_format(start, "YEAR_MONTH_FORMAT")
    return EMPTY
