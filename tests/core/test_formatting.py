"""Numbers as the admin shows them: one home (core.templatetags.formatting), per language."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from core.templatetags.formatting import (
    duration,
    money,
    number,
    percent,
    period,
    points,
    rank,
    rate,
    timestamp,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", f"€{NBSP}312,615.98"), ("nl", f"€{NBSP}312.615,98")],
)
def test_money_has_the_currency_grouping_and_the_decimal_mark_of_the_language(language, expected):
    with translation.override(language):
        assert money(Decimal("312615.98")) == expected


def test_money_rounds_to_cents_half_away_from_zero_and_shows_the_sign():
    with translation.override("en"):
        assert money(Decimal("0.005")) == f"€{NBSP}0.01"
        assert money(Decimal("-196.065")) == f"€{NBSP}-196.07"
        assert money(Decimal("12"), "USD") == f"${NBSP}12.00"
        assert money(Decimal("12"), "SEK") == f"SEK{NBSP}12.00"
        assert money(None) == "–"


def test_points_keep_their_own_decimals_and_carry_no_currency():
    with translation.override("nl"):
        assert points(Decimal("122183.0000")) == "122.183"
        assert points(Decimal("612.5")) == "612,5"
    with translation.override("en"):
        assert points(Decimal("110.8785")) == "110.8785"
        assert number(1234) == "1,234"


def test_percentages_use_the_decimal_mark_of_the_language():
    with translation.override("nl"):
        assert percent(Decimal("0.1430")) == "14,3%"
        assert rate(Decimal("0.0250")) == "2,5%"
    with translation.override("en"):
        assert percent(Decimal("0.83125")) == "83.1%"
        assert percent(Decimal("1"), 0) == "100%"
        assert rate(Decimal("0.21")) == "21%"
        assert percent(None) == "–"


def test_durations_read_as_words_not_float_seconds():
    with translation.override("en"):
        assert duration(0.11809806200000139) == "0.1 s"
        assert duration(42) == "42 s"
        assert duration(75.4) == "1 min 15 s"
        assert duration(3725) == "1 h 2 min"
        assert duration(None) == "–"
    with translation.override("nl"):
        assert duration(0.264) == "0,3 s"


def test_timestamps_are_in_the_company_time_zone_without_microseconds(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    moment = dt.datetime(2027, 1, 1, 4, 26, 14, 927488, tzinfo=ZoneInfo("UTC"))
    with translation.override("en"):
        assert timestamp(moment) == "Jan. 1, 2027, 5:26 a.m."
        assert timestamp("2027-01-01T04:26:14.927488+00:00") == "Jan. 1, 2027, 5:26 a.m."
    with translation.override("nl"):
        assert timestamp(moment) == "1 januari 2027 05:26"


def test_ranks_and_periods_are_named():
    names = {1: "Consultant", 2: "Senior Consultant"}
    with translation.override("en"):
        assert rank(2, names) == "2 · Senior Consultant"
        assert rank("0", names) == "0 · No rank"
        assert rank(9, names) == "9"
        assert rank(None, names) == "–"
    assert period(dt.date(2026, 10, 1)) == "2026-10"


def test_the_filters_work_in_templates():
    template = Template("{% load formatting %}{{ a|money }} {{ s|percent }} {{ r|rank:names }}")
    with translation.override("nl"):
        text = template.render(
            Context({"a": Decimal("1097.5"), "s": Decimal("0.5"), "r": 1, "names": {1: "A"}})
        )
    assert text == f"€{NBSP}1.097,50 50,0% 1 · A"
