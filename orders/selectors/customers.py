"""A distributor's customers: the ones they brought in, searched, and one of them by id (the API's
lookup: anyone else's is "not found" with the same message, whether they exist or not)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import NotFound
from distributors.models import Distributor
from orders.models import Customer


def customers_of_distributor(
    *, distributor: Distributor, kind: str | None = None, search: str | None = None
) -> QuerySet[Customer]:
    customers = Customer.objects.filter(distributor=distributor)
    if kind:
        customers = customers.filter(kind=kind)
    if search:
        customers = customers.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(email__icontains=search)
        )
    return customers.order_by("last_name", "first_name", "id")


def customer_of(*, distributor: Distributor, customer_id: int, field: str | None = None) -> Customer:
    customer = customers_of_distributor(distributor=distributor).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer among yours."), field=field)
    return customer
