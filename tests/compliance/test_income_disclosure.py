"""The income disclosure statement on a hand-made population where every number is known.

2025, four closed months. Participants (gross = sum of the year's final ledger lines):
  Anna   150.00  (100.00 personal + 50.00 override)        highest rank 3
  Bert     0.00  (active, earned nothing)                   rank 1
  Cor     30.00  (40.00 override - 10.00 clawback)          rank 2
  Dirk     0.00  joined in June 2025                        rank 0
  Eva     20.00  left on 15 May 2025                        rank 1
  Fenna   -5.00  (only a clawback of a 2024 sale)           rank 0
  Gijs  1000.00                                             rank 3
Not participants: Henk (left in 2024), Ilse (joined in 2026). Ignored: a preview run, a 2024 close.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from compliance.selectors import income_disclosure
from tests.compliance.factories import make_distributor, make_line, make_run

D = Decimal


def test_headline_figures(population):
    d = income_disclosure(year=2025)
    assert d.participants == 7
    assert d.paid_count == 4
    assert d.paid_share == D("0.5714")
    assert d.zero_count == 3
    assert d.leavers == 1
    assert d.joined == 1
    assert d.total_gross == D("1195.00")
    assert d.median_gross == D("20.00")
    assert d.mean_gross == D("170.71")
    assert d.median_gross_paid == D("90.00")
    assert (d.lowest_gross, d.highest_gross) == (D("-5.00"), D("1000.00"))
    assert d.months == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert d.complete is False


def test_table_by_highest_paid_as_rank(population):
    rows = {row.rank: row for row in income_disclosure(year=2025).rows}
    assert list(rows) == [0, 1, 2, 3, 4, 5, 6]
    as_tuple = lambda r: (r.name, r.count, r.share, r.paid_count, r.median, r.mean, r.lowest, r.highest)  # noqa: E731
    assert as_tuple(rows[0]) == ("No rank", 2, D("0.2857"), 0, D("-2.50"), D("-2.50"), D("-5.00"), D("0.00"))
    assert as_tuple(rows[1]) == (
        "Consultant",
        2,
        D("0.2857"),
        1,
        D("10.00"),
        D("10.00"),
        D("0.00"),
        D("20.00"),
    )
    assert as_tuple(rows[2]) == (
        "Senior Consultant",
        1,
        D("0.1429"),
        1,
        D("30.00"),
        D("30.00"),
        D("30.00"),
        D("30.00"),
    )
    assert as_tuple(rows[3]) == (
        "Team Leader",
        2,
        D("0.2857"),
        2,
        D("575.00"),
        D("575.00"),
        D("150.00"),
        D("1000.00"),
    )
    assert as_tuple(rows[6]) == ("Executive Director", 0, D("0"), 0, D("0"), D("0"), D("0"), D("0"))
    assert sum(row.count for row in rows.values()) == 7


def test_notes_say_it_plainly(population):
    notes = " ".join(income_disclosure(year=2025).notes)
    assert "gross earnings before expenses" in notes
    assert "7 people, including 3 who earned nothing" in notes
    assert "1 who left during the year" in notes
    assert "4 of 7 participants (57.1%) earned anything" in notes
    assert "half of the participants earned €\u00a020.00 or less" in notes
    assert (
        "The mean (€\u00a0170.71) is the total divided by the number of people. It is higher than the "
        "median because a few people earned much more than most."
    ) in notes
    assert "never annualised" in notes
    assert (
        "the 4 month(s) of 2025 closed so far (January 2025, February 2025, March 2025, April 2025)" in notes
    )


def test_notes_are_written_for_the_readers_language(population):
    with translation.override("nl"):
        notes = " ".join(income_disclosure(year=2025).notes)
    assert "(57,1%)" in notes
    assert "€\u00a020,00" in notes and "€\u00a0170,71" in notes
    assert "januari 2025, februari 2025" in notes


def test_a_year_without_closes_still_lists_everybody(population):
    d = income_disclosure(year=2024)
    # Everyone but Dirk and Ilse existed in 2024; Henk left in December 2024.
    assert d.participants == 7
    assert d.leavers == 1
    assert d.total_gross == D("77.00")
    assert d.months == ["2024-12"]


def _mean_note(amounts: list[str]) -> str:
    """The median/mean note of 2027 for one person per amount, earned in one closed month."""
    run = make_run(dt.date(2027, 3, 1))
    for n, amount in enumerate(amounts):
        person = make_distributor(f"P{n}", enrolled_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        if amount != "0":
            make_line(run, person, "personal", amount)
    (note,) = [note for note in income_disclosure(year=2027).notes if note.startswith("The median")]
    return note


@pytest.mark.django_db
def test_a_mean_below_the_median_is_not_blamed_on_high_earners():
    # 0, 0, 100, 100, 100: median 100.00, mean 60.00.
    assert _mean_note(["0", "0", "100.00", "100.00", "100.00"]) == (
        "The median is the middle figure: half of the participants earned €\u00a0100.00 or less, half "
        "earned more. The mean (€\u00a060.00) is the total divided by the number of people. It is lower "
        "than the median because some people earned much less than most."
    )


@pytest.mark.django_db
def test_a_mean_equal_to_the_median_says_so():
    # 0, 10, 20: median and mean 10.00.
    assert _mean_note(["0", "10.00", "20.00"]) == (
        "The median is the middle figure: half of the participants earned €\u00a010.00 or less, half "
        "earned more. The mean (€\u00a010.00) is the total divided by the number of people. It is equal "
        "to the median: the figures above and below the middle balance out."
    )
