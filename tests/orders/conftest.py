import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from .factories import CustomerFactory, DistributorFactory, ProductFactory


@pytest.fixture
def consultant(db):
    return DistributorFactory(first_name="Carla", last_name="Consultant")


@pytest.fixture
def product(db):
    return ProductFactory(sku="MIX-1", name="Kitchen machine")


@pytest.fixture
def product_at():
    """A product whose retail price is what the test names (QV = CV = price)."""

    def make(price: str, sku: str | None = None, **kwargs):
        price = Decimal(price)
        params = {"retail_price": price, "wholesale_price": price * Decimal("0.75"), "qv": price, "cv": price}
        params.update(kwargs)
        if sku:
            params["sku"] = sku
        return ProductFactory(**params)

    return make


@pytest.fixture
def customer(consultant):
    return CustomerFactory(distributor=consultant)


@pytest.fixture
def yesterday():
    return timezone.now() - dt.timedelta(days=1)
