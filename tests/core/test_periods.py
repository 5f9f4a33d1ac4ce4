import datetime as dt

import pytest

from core.errors import ApplicationError
from core.periods import parse_period, period_bounds, period_of


def test_an_order_paid_late_on_31_october_utc_belongs_to_november_in_amsterdam():
    assert period_of(dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 11, 1)


def test_october_ends_at_local_midnight_across_the_dst_change():
    start, end = period_bounds(dt.date(2026, 10, 1))
    assert start.utcoffset() == dt.timedelta(hours=2)
    assert end.utcoffset() == dt.timedelta(hours=1)
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["2026-13", "26-10", "2026/10", ""])
def test_a_malformed_period_is_refused_with_the_expected_format(text):
    with pytest.raises(ApplicationError, match="YYYY-MM"):
        parse_period(text)


def test_year_zero_is_refused_as_a_period_error_not_a_crash():
    with pytest.raises(ApplicationError, match="not a period in the calendar"):
        parse_period("0000-01")
