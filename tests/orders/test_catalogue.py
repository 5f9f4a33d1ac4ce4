from decimal import Decimal

import pytest

from core.errors import ApplicationError, Conflict
from orders.services import product_create, product_set_active, product_update

pytestmark = pytest.mark.django_db


def make(**overrides):
    params = {
        "sku": "BLD-100",
        "name": "Power blender",
        "retail_price": Decimal("149.00"),
        "wholesale_price": Decimal("111.75"),
        "qv": Decimal("110"),
        "cv": Decimal("100.00"),
    }
    params.update(overrides)
    return product_create(**params)


def test_a_product_is_created_with_prices_volumes_and_disclosed_flags():
    product = make(is_seasonal=True, vat_rate=Decimal("0.09"))
    assert (product.sku, product.retail_price, product.qv, product.vat_rate) == (
        "BLD-100",
        Decimal("149.00"),
        Decimal("110"),
        Decimal("0.09"),
    )
    assert product.is_seasonal and product.is_active and product.commissionable


def test_a_starter_kit_is_not_commissionable_and_carries_no_volume():
    kit = make(sku="KIT", name="Starter kit", qv=Decimal("0"), cv=Decimal("0"), commissionable=False)
    assert not kit.commissionable
    with pytest.raises(ApplicationError, match="carries no QV or CV") as err:
        make(sku="KIT2", name="Starter kit", commissionable=False)
    assert err.value.field == "qv"


def test_a_duplicate_sku_is_refused():
    make()
    with pytest.raises(Conflict, match="BLD-100 already exists"):
        make()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("retail_price", Decimal("-1"), "cannot be negative"),
        ("wholesale_price", Decimal("200"), "above the retail price"),
        ("vat_rate", Decimal("21"), "fraction"),
    ],
)
def test_bad_prices_are_refused_with_the_field(field, value, message):
    with pytest.raises(ApplicationError, match=message) as err:
        make(**{field: value})
    assert err.value.field == field


def test_a_product_is_withdrawn_from_sale_and_updated():
    product = make()
    product_set_active(product=product, active=False)
    product.refresh_from_db()
    assert not product.is_active
    product_update(product=product, retail_price=Decimal("159.00"))
    product.refresh_from_db()
    assert product.retail_price == Decimal("159.00")
    with pytest.raises(ApplicationError, match="cannot be changed: sku"):
        product_update(product=product, sku="OTHER")
