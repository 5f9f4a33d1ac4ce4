"""What the orders API's views share: the base view, the documented errors, the reason and the
order line inputs, and the scoped lookups.

Every object is looked up within the acting distributor's own (customers they brought in,
orders credited to them, demonstrations they run): anything else, also when named in a body or
a filter, is 404. Writes call orders.services; client input never sets a distributor, amount,
status or period.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.views import APIView

from core.api.errors import error_responses
from core.api.permissions import IsDistributor
from core.api.serializers import IdField, StrictInputSerializer
from core.errors import NotFound
from distributors.models import Distributor
from orders import selectors
from orders.models import (
    MAX_LINE_QUANTITY,
    Customer,
    Demonstration,
    HostCredit,
    Order,
    OrderLine,
)

PERMISSION_NOTE = "Only for a logged-in distributor, and only on their own objects (others are 404)."
READ_ERRORS = error_responses(401, 403, 404, 429)
LIST_ERRORS = error_responses(400, 401, 403, 404, 429)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 429)
CREATE_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429)


class DistributorApi(APIView):
    permission_classes = [IsDistributor]


# --- Scoped lookups: what is not the actor's own is "not found", with the same message.


def _my_customer(me: Distributor, customer_id: int, *, field: str | None = None) -> Customer:
    customer = selectors.customers_of_distributor(distributor=me).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer among yours."), field=field)
    return customer


def _my_demonstrations(me: Distributor):
    return Demonstration.objects.filter(consultant=me).select_related("host")


def _my_demonstration(me: Distributor, demonstration_id: int, *, field: str | None = None) -> Demonstration:
    demonstration = _my_demonstrations(me).filter(pk=demonstration_id).first()
    if demonstration is None:
        raise NotFound(_("No such demonstration among yours."), field=field)
    return demonstration


def _my_order(me: Distributor, order_id: int) -> Order:
    order = selectors.orders_of_distributor(distributor=me).filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order among yours."))
    return order


def _my_order_lines(me: Distributor, line_ids: set[int]) -> set[int]:
    """The ids among `line_ids` that are lines of the actor's own orders."""
    return set(OrderLine.objects.filter(pk__in=line_ids, order__distributor=me).values_list("pk", flat=True))


def _my_host_credit(me: Distributor, host_credit_id: int) -> HostCredit:
    voucher = HostCredit.objects.filter(pk=host_credit_id, host__distributor=me).first()
    if voucher is None:
        raise NotFound(_("No such host credit among your hosts'."), field="host_credit")
    return voucher


# --- A reason given with a cancellation or a withdrawal.


class ReasonSerializer(StrictInputSerializer):
    class Meta:
        ref_name = "ReasonInput"

    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


# --- Units of an order line: the lines of a return and of a buy-back request.


class OrderLineQuantityInput(StrictInputSerializer):
    class Meta:
        ref_name = "OrderLineQuantityInput"

    order_line = IdField(help_text="Id of a line of my own order (for a return: of that order).")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
