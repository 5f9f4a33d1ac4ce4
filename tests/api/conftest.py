"""One network for the API tests, with objects per distributor, and clients per actor.

    root (upline of anna) ─ anna (self) ─ anton (direct downline) ─ arie ─ aafke (deep downline)
                          └ bert (other leg) ─ bob
    ursula (unrelated: a tree of her own)

anna owns: two customers (carla hosts, gijs is a guest), a planned demonstration at carla's,
a pending customer order for gijs, a paid inventory order of three units and a buy-back request
for one of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from distributors.models import Distributor
from distributors.services.enrollment import distributor_enroll
from orders.models import Customer, Demonstration, Order, Product
from orders.services import (
    customer_register,
    demonstration_plan,
    order_create,
    order_pay,
)
from orders.services.buyback import buyback_request_create

PASSWORD = "Tulp-en-molen-2026"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_api_settings(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    cache.clear()  # throttle counters live in the cache
    yield
    cache.clear()


def enroll(name: str, sponsor: Distributor | None) -> Distributor:
    first, _, last = name.partition(" ")
    return distributor_enroll(
        sponsor=sponsor,
        first_name=first,
        last_name=last or "Test",
        email=f"{first.lower()}@example.nl",
        phone="+31 6 1234 5678",
        password=PASSWORD,
    )


@dataclass
class Owned:
    host: Customer
    guest: Customer
    demonstration: Demonstration
    pending_order: Order
    paid_order: Order
    buyback: Any


@dataclass
class Network:
    root: Distributor
    anna: Distributor
    anton: Distributor
    arie: Distributor
    aafke: Distributor
    bert: Distributor
    bob: Distributor
    ursula: Distributor
    product: Product
    admin: Any
    owned: dict[str, Owned] = field(default_factory=dict)


def give_objects(distributor: Distributor, product: Product) -> Owned:
    tag = distributor.first_name.lower()
    host = customer_register(
        distributor=distributor, first_name="Carla", last_name=tag, email=f"carla.{tag}@example.nl"
    )
    guest = customer_register(
        distributor=distributor, first_name="Gijs", last_name=tag, email=f"gijs.{tag}@example.nl"
    )
    demonstration = demonstration_plan(
        consultant=distributor, host=host, held_at=timezone.now() - dt.timedelta(hours=2), place="Utrecht"
    )
    pending = order_create(
        distributor=distributor, purpose="customer", customer=guest, lines=[(product.sku, 1)]
    )
    paid = order_create(distributor=distributor, purpose="inventory", lines=[(product.sku, 3)])
    paid = order_pay(order=paid)
    line = paid.lines.get()
    buyback = buyback_request_create(distributor=distributor, lines=[(line, 1)], actor=distributor.user)
    return Owned(host, guest, demonstration, pending, paid, buyback)


def make_product() -> Product:
    return Product.objects.create(
        sku="MIX-1",
        name="Kitchen machine",
        retail_price=Decimal("100.00"),
        wholesale_price=Decimal("75.00"),
        qv=Decimal("75"),
        cv=Decimal("75.00"),
    )


def build_network() -> Network:
    product = make_product()
    root = enroll("Root Company", None)
    anna = enroll("Anna Vries", root)
    anton = enroll("Anton Akker", anna)
    arie = enroll("Arie Akker", anton)
    aafke = enroll("Aafke Akker", arie)
    bert = enroll("Bert Bakker", root)
    bob = enroll("Bob Bakker", bert)
    ursula = enroll("Ursula Uit", None)
    admin = get_user_model().objects.create_superuser("admin", "admin@example.nl", PASSWORD)
    network = Network(root, anna, anton, arie, aafke, bert, bob, ursula, product, admin)
    network.owned["anna"] = give_objects(anna, product)
    network.owned["bert"] = give_objects(bert, product)
    return network


@pytest.fixture(scope="module")
def module_net(django_db_setup, django_db_blocker):
    """Built once per test module inside an outer transaction; every test runs in a savepoint
    of it (pytest-django's `db`), so what a test writes is undone and the network stays."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            yield build_network()
            transaction.set_rollback(True)


@pytest.fixture
def net(module_net, db) -> Network:
    for who in ("root", "anna", "anton", "arie", "aafke", "bert", "bob", "ursula"):
        getattr(module_net, who).refresh_from_db()
    return module_net


def token_for(user: Any) -> str:
    return str(AccessToken.for_user(user))


def client_for(user: Any | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


@pytest.fixture
def api(net):
    """api("anna") is an APIClient logged in as anna (JWT); api(None) is anonymous."""

    def make(who: str | None) -> APIClient:
        if who is None:
            return client_for(None)
        if who == "admin":
            return client_for(net.admin)
        return client_for(getattr(net, who).user)

    return make
