from decimal import Decimal

from core.money import allocate_cents


def test_cents_are_split_in_proportion_and_add_up_exactly():
    shares = allocate_cents([Decimal("10.00"), Decimal("10.00"), Decimal("10.00")], Decimal("10.00"))
    assert shares == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert sum(shares) == Decimal("10.00")


def test_nothing_to_split_over_gives_zeros():
    assert allocate_cents([Decimal("0"), Decimal("0")], Decimal("5.00")) == [Decimal("0"), Decimal("0")]
