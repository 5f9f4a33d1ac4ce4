"""The close's inputs as aggregated in SQL: volume sums per distributor, the period's tree."""

from decimal import Decimal

import pytest

from commissions.services.aggregation import OrderVolumes, combine_volumes, period_inputs
from distributors.models import Distributor

from .closing import period
from .networks import import_network


def test_volume_sums_combine_per_distributor_in_stream_order_and_refuse_another_order():
    d = Decimal
    sums = [
        (7, "customer", d("100.0000"), d("80.0000"), d("120.00"), d("130.00"), 3),
        (7, "personal", d("20.0000"), d("15.0000"), d("0"), d("25.00"), 0),
        (7, "inventory", d("5.0000"), d("4.0000"), d("0"), d("6.00"), 0),
        (9, "personal", d("1.0000"), d("1.0000"), d("0"), d("2.00"), 0),
    ]
    volumes = combine_volumes(sums)
    assert volumes[7] == OrderVolumes(
        d("100.0000"), d("80.0000"), d("120.00"), d("25.0000"), d("19.0000"), 3, d("130.00"), d("31.00"),
        d("5.0000"), d("6.00"),
    )  # fmt: skip
    assert volumes[9].own_qv == d("1.0000") and volumes[9].customers == 0
    with pytest.raises(ValueError, match="not in distributor order"):
        combine_volumes([sums[0], sums[3], sums[1]])


@pytest.mark.django_db
@pytest.mark.parametrize("with_order", [False, True])
def test_a_distributor_who_exists_by_orders_alone_is_the_sponsor_in_the_period(tmp_path, with_order):
    # D enrolled after October, so the period's tree built from the enrolment dates skips D:
    # C's sponsor in October is A. An order of D's in October makes D exist in it after all,
    # and the tree is built again with D as C's sponsor.
    orders = [("o1", "D", "", "personal", "2026-10-10T10:00:00+02:00", "TM1", 1)] if with_order else []
    import_network(tmp_path, tree={"A": None, "D": "A", "C": "D"}, orders=orders)
    Distributor.objects.filter(external_id="D").update(enrolled_at="2026-11-15T10:00:00+01:00")
    a, d, c = (Distributor.objects.get(external_id=x).pk for x in "ADC")
    inputs = period_inputs(period("2026-10"))
    sponsors = {row.id: row.sponsor_id for row in inputs.inputs}
    if with_order:
        assert sponsors == {a: None, d: a, c: d}
    else:
        assert sponsors == {a: None, c: a}
    assert inputs.shape is not None and inputs.shape.ids == tuple(sorted(sponsors))
