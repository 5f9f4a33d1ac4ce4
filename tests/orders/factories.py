"""Factories for the orders tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from distributors.models import Distributor
from orders.models import Customer, Product


class DistributorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Distributor

    external_id = factory.Sequence(lambda n: f"D{n:05d}")
    first_name = factory.Sequence(lambda n: f"Dana{n}")
    last_name = "Jansen"
    email = factory.Sequence(lambda n: f"dist{n}@example.nl")
    country = "NL"
    enrolled_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=400))
    referral_code = factory.Sequence(lambda n: f"REF{n:05d}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:03d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    retail_price = Decimal("100.00")
    wholesale_price = Decimal("75.00")
    qv = Decimal("75")
    cv = Decimal("75.00")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    distributor = factory.SubFactory(DistributorFactory)
    first_name = factory.Sequence(lambda n: f"Guest{n}")
    last_name = "de Vries"
    email = factory.Sequence(lambda n: f"customer{n}@example.nl")
