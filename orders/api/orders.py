"""A distributor's orders: take, list, read, pay, cancel (returning units: returns.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import PAGE_PARAMETERS, paginate_queryset, paginated
from core.api.permissions import DistributorApi, actor
from core.api.serializers import IdField, PeriodField, QueryInputSerializer, StrictInputSerializer
from distributors.models import Distributor
from orders import services
from orders.models import (
    MAX_LINE_QUANTITY,
    OrderChannel,
    OrderPurpose,
    OrderStatus,
)
from orders.selectors.customers import customer_of
from orders.selectors.demonstrations import demonstration_of, host_credit_of
from orders.selectors.orders import order_detail, order_of, orders_of_distributor

from .common import (
    CREATE_ERRORS,
    LIST_ERRORS,
    PERMISSION_NOTE,
    READ_ERRORS,
    WRITE_ERRORS,
    ReasonSerializer,
)


class LineInputSerializer(StrictInputSerializer):
    class Meta:
        ref_name = "OrderLineInput"

    product = serializers.CharField(max_length=64, help_text="The product's SKU.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    purpose = serializers.ChoiceField(choices=OrderPurpose.choices)
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    customer_id = serializers.IntegerField(allow_null=True)
    demonstration_id = serializers.IntegerField(allow_null=True)
    channel = serializers.ChoiceField(
        choices=OrderChannel.choices, help_text="Where it came from: entered, the shop, a party's link."
    )
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Paid, ex VAT.")
    total_qv = serializers.DecimalField(max_digits=20, decimal_places=4)
    total_cv = serializers.DecimalField(max_digits=20, decimal_places=4)
    host_credit_redeemed = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    commission_period = serializers.DateField(
        allow_null=True, help_text="First day of the month it counts in."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="line.id")
    sku = serializers.CharField(source="line.sku")
    quantity = serializers.IntegerField(source="line.quantity")
    unit_list_price = serializers.DecimalField(source="line.unit_list_price", max_digits=14, decimal_places=2)
    unit_price = serializers.DecimalField(source="line.unit_price", max_digits=14, decimal_places=2)
    unit_qv = serializers.DecimalField(source="line.unit_qv", max_digits=16, decimal_places=4)
    unit_cv = serializers.DecimalField(source="line.unit_cv", max_digits=16, decimal_places=4)
    half_price = serializers.BooleanField(source="line.half_price")
    returned = serializers.IntegerField()
    returnable = serializers.IntegerField()


class OrderDetailSerializer(OrderSerializer):
    """The list item plus its children: the lines, and what was refunded."""

    lines = OrderLineSerializer(many=True)
    refunded = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Refunded so far.")


def _order_detail_data(me: Distributor, order_id: int) -> dict:
    detail = order_detail(order_id=order_id, distributor=me)
    return {
        **OrderSerializer(detail.order).data,
        "lines": OrderLineSerializer(detail.lines, many=True).data,
        "refunded": serializers.DecimalField(max_digits=14, decimal_places=2).to_representation(
            detail.refunded
        ),
    }


class OrderListApi(DistributorApi):
    class FilterSerializer(QueryInputSerializer):
        status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
        purpose = serializers.ChoiceField(choices=OrderPurpose.choices, required=False)
        period = PeriodField(required=False, help_text="YYYY-MM: orders counting in that month.")
        customer = IdField(required=False, help_text="Id of my customer.")
        demonstration = IdField(required=False, help_text="Id of my demonstration.")

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "OrderCreate"

        purpose = serializers.ChoiceField(choices=OrderPurpose.choices)
        customer = IdField(required=False, help_text="Id of my customer.")
        demonstration = IdField(
            required=False,
            help_text="Id of my planned demonstration, for a guest or host order.",
        )
        # many=True passes max_length to the ListSerializer; the DRF stub does not know it.
        lines = LineInputSerializer(many=True, allow_empty=False, max_length=200)  # type: ignore[call-arg]
        host_credit = IdField(required=False, help_text="Id of the host's credit voucher to redeem.")
        half_price_lines = LineInputSerializer(many=True, required=False, max_length=50)  # type: ignore[call-arg]

    @extend_schema(
        tags=["orders"],
        operation_id="orders_list",
        summary="My orders, newest first",
        description=f"{PERMISSION_NOTE} A filter naming a customer or demonstration not mine is 404.",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(OrderSerializer, "OrderPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        me, f = actor(request), filters.validated_data
        orders = orders_of_distributor(
            distributor=me,
            status=f.get("status"),
            purpose=f.get("purpose"),
            period=f.get("period"),
            customer=customer_of(distributor=me, customer_id=f["customer"], field="customer")
            if f.get("customer")
            else None,
            demonstration=demonstration_of(
                distributor=me, demonstration_id=f["demonstration"], field="demonstration"
            )
            if f.get("demonstration")
            else None,
        )
        return paginate_queryset(request, orders, serializer_class=OrderSerializer)

    @extend_schema(
        tags=["orders"],
        operation_id="orders_create",
        summary="Take an order: for a customer of mine, or my own (personal, inventory)",
        description=(
            f"{PERMISSION_NOTE} Prices and volumes come from the catalogue (retail for customers, "
            "wholesale for my own); the order starts pending: pay it with /pay/. Idempotent with "
            "an Idempotency-Key header."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OrderDetailSerializer, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me, d = actor(request), data.validated_data
        order = services.order_create(
            distributor=me,
            purpose=d["purpose"],
            lines=[(line["product"], line["quantity"]) for line in d["lines"]],
            customer=customer_of(distributor=me, customer_id=d["customer"], field="customer")
            if d.get("customer")
            else None,
            demonstration=demonstration_of(
                distributor=me, demonstration_id=d["demonstration"], field="demonstration"
            )
            if d.get("demonstration")
            else None,
            host_credit=host_credit_of(distributor=me, host_credit_id=d["host_credit"])
            if d.get("host_credit")
            else None,
            half_price_lines=[(line["product"], line["quantity"]) for line in d.get("half_price_lines", [])]
            or None,
            actor=request.user,
        )
        return Response(_order_detail_data(me, order.pk), status=status.HTTP_201_CREATED)


class OrderDetailApi(DistributorApi):
    @extend_schema(
        tags=["orders"],
        operation_id="orders_retrieve",
        summary="One of my orders with its lines and what can still be returned",
        description=f"{PERMISSION_NOTE} Answers with an ETag; send If-None-Match for a 304.",
        parameters=[IF_NONE_MATCH],
        responses={200: OrderDetailSerializer, 304: None, **READ_ERRORS},
    )
    def get(self, request: Request, order_id: int) -> Response:
        return etag_response(request, _order_detail_data(actor(request), order_id))


class OrderPayApi(DistributorApi):
    @extend_schema(
        tags=["orders"],
        operation_id="orders_pay",
        summary="Record the payment of a pending order of mine (now)",
        description=f"{PERMISSION_NOTE} A demonstration order counts when the demonstration closes.",
        request=None,
        responses={200: OrderDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, order_id: int) -> Response:
        me = actor(request)
        services.order_pay(order=order_of(distributor=me, order_id=order_id), actor=request.user)
        return Response(_order_detail_data(me, order_id))


class OrderCancelApi(DistributorApi):
    @extend_schema(
        tags=["orders"],
        operation_id="orders_cancel",
        summary="Cancel an order of mine (pending, or paid within the cooling-off window)",
        description=PERMISSION_NOTE,
        request=ReasonSerializer,
        responses={200: OrderDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, order_id: int) -> Response:
        me = actor(request)
        order = order_of(distributor=me, order_id=order_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_cancel(order=order, actor=request.user, reason=data.validated_data["reason"])
        return Response(_order_detail_data(me, order_id))
