"""A chunk is a range of distributor ids with all their rows; ranges are cut so that chunks hold
about as many rows each, whoever earns the lines (a top leader earns a line from every source in
reach)."""

from decimal import Decimal
from types import SimpleNamespace

from commissions.close.compute import ComputedClose


def computed_with(ids: list[int], lines_earned: dict[int, int]) -> ComputedClose:
    lines = [
        ("override", earner, 1, 1, Decimal("0.0500"), Decimal("10.00"), Decimal("0.50"))
        for earner, count in lines_earned.items()
        for _ in range(count)
    ]
    return ComputedClose(
        run=None,
        plan=None,
        inputs=SimpleNamespace(ids=ids, inputs=[], volumes={}),
        result=SimpleNamespace(lines=lines, distributors={}),
        extra_lines=[],
        carried_in={},
    )


def rows_per_range(ranges, lines_earned):
    return [sum(2 + lines_earned.get(d, 0) for d in range(first, last + 1)) for first, last in ranges]


def test_without_lines_each_chunk_holds_the_same_number_of_distributors():
    ranges = computed_with(list(range(1, 101)), {}).chunk_ranges(25)
    assert ranges == [(1, 25), (26, 50), (51, 75), (76, 100)]


def test_a_leader_with_most_of_the_lines_gets_a_chunk_of_their_own_and_the_rest_are_balanced():
    ids = list(range(1, 101))
    earned = {1: 300, 2: 5}
    ranges = computed_with(ids, earned).chunk_ranges(25)
    # Every distributor in exactly one range, in id order, none empty.
    assert [d for first, last in ranges for d in ids if first <= d <= last] == ids
    assert all(first <= last for first, last in ranges)
    # The leader's 302 rows are more than a share (505 / 4): one chunk fewer, the leader alone.
    assert ranges[0] == (1, 1) and len(ranges) == 3
    # The others end where the rows reach the next shares (3/4 of 505 after distributor 38).
    assert rows_per_range(ranges, earned) == [302, 77, 126]


def test_gaps_in_the_ids_and_a_single_distributor():
    assert computed_with([5, 9, 40, 41], {9: 10}).chunk_ranges(2) == [(5, 9), (40, 41)]
    assert computed_with([7], {}).chunk_ranges(25) == [(7, 7)]
    assert computed_with([], {}).chunk_ranges(25) == [(0, 0)]


def test_large_chunks_start_and_end_with_smaller_ones():
    # 100,000 distributors without lines, 25,000 per chunk: four shares of 50,000 rows. The first
    # and the last share are cut into a quarter and three quarters, so that writing starts on a
    # small chunk and the two writers finish together.
    ids = list(range(1, 100_001))
    ranges = computed_with(ids, {}).chunk_ranges(25_000)
    sizes = [last - first + 1 for first, last in ranges]
    assert sizes == [6_250, 18_750, 25_000, 25_000, 18_750, 6_250]
    assert [d for first, last in ranges for d in range(first, last + 1)] == ids
