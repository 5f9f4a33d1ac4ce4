"""A distributor's customers, orders, returns and home demonstrations, and the catalogue.

Every object is looked up within the acting distributor's own (customers they brought in,
orders credited to them, demonstrations they run): anything else, also when named in a body or
a filter, is 404. Writes call orders.services; client input never sets a distributor, amount,
status or period.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_responses
from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import PAGE_PARAMETERS, page_request, paged_response, paginate_queryset, paginated
from core.api.permissions import IsDistributor, actor
from core.api.serializers import PeriodField, StrictInputSerializer
from core.errors import NotFound
from distributors.models import Distributor
from orders import buyback_selectors, selectors, services
from orders.models import (
    BuybackRequest,
    BuybackStatus,
    Customer,
    CustomerKind,
    Demonstration,
    DemonstrationStatus,
    HostCredit,
    Order,
    OrderLine,
    OrderPurpose,
    OrderStatus,
)
from orders.services import buyback as buyback_services

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


# --- Catalogue


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    retail_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    wholesale_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    qv = serializers.DecimalField(max_digits=14, decimal_places=2)
    cv = serializers.DecimalField(max_digits=14, decimal_places=2)
    commissionable = serializers.BooleanField()
    buyback_eligible = serializers.BooleanField()
    is_seasonal = serializers.BooleanField()
    is_discontinued = serializers.BooleanField()
    is_promotional = serializers.BooleanField()


class ProductListApi(DistributorApi):
    @extend_schema(
        tags=["catalogue"],
        operation_id="products_list",
        summary="Products for sale",
        description="Only for a logged-in distributor. Prices ex VAT; QV are points, CV is money.",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(ProductSerializer, "ProductPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        actor(request)
        return paginate_queryset(request, selectors.products_for_sale(), serializer_class=ProductSerializer)


# --- Customers


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    my_household = serializers.SerializerMethodField(help_text="A member of my own household.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_my_household(self, customer: Customer) -> bool:
        return customer.household_of_id is not None and customer.household_of_id == customer.distributor_id


class CustomerListApi(DistributorApi):
    class FilterSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "CustomerFilter"

        kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
        search = serializers.CharField(required=False, allow_blank=True, max_length=100)
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1)

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "CustomerCreate"

        first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
        kind = serializers.ChoiceField(
            choices=CustomerKind.choices, required=False, default=CustomerKind.RETAIL
        )
        my_household = serializers.BooleanField(
            required=False, default=False, help_text="Of my own household: never counts as a real customer."
        )

    @extend_schema(
        tags=["customers"],
        operation_id="customers_list",
        summary="My customers",
        description=PERMISSION_NOTE,
        parameters=[
            OpenApiParameter("kind", str, enum=CustomerKind.values),
            OpenApiParameter("search", str, description="Part of a name or e-mail address."),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(CustomerSerializer, "CustomerPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        customers = selectors.customers_of_distributor(
            distributor=actor(request),
            kind=filters.validated_data.get("kind"),
            search=filters.validated_data.get("search"),
        )
        return paginate_queryset(request, customers, serializer_class=CustomerSerializer)

    @extend_schema(
        tags=["customers"],
        operation_id="customers_create",
        summary="Register a customer of mine",
        description=(
            f"{PERMISSION_NOTE} A distributor's e-mail address is refused (a distributor is never a "
            "customer); an address already a customer is 409. Idempotent with an Idempotency-Key."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: CustomerSerializer, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me = actor(request)
        values = dict(data.validated_data)
        household = values.pop("my_household")
        customer = services.customer_register(
            distributor=me, household_of=me if household else None, actor=request.user, **values
        )
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "CustomerUpdate"

        first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
        kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
        my_household = serializers.BooleanField(required=False)

    @extend_schema(
        tags=["customers"],
        operation_id="customers_retrieve",
        summary="One of my customers",
        description=PERMISSION_NOTE,
        parameters=[IF_NONE_MATCH],
        responses={200: CustomerSerializer, 304: None, **READ_ERRORS},
    )
    def get(self, request: Request, customer_id: int) -> Response:
        return etag_response(request, CustomerSerializer(_my_customer(actor(request), customer_id)).data)

    @extend_schema(
        tags=["customers"],
        operation_id="customers_partial_update",
        summary="Change a customer's name, phone or kind",
        description=f"{PERMISSION_NOTE} The e-mail address and the distributor never change here.",
        request=InputSerializer,
        responses={200: CustomerSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        me = actor(request)
        customer = _my_customer(me, customer_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(data.validated_data)
        if "my_household" in changes:
            changes["household_of"] = me if changes.pop("my_household") else None
        if changes:
            customer = services.customer_update(customer=customer, actor=request.user, **changes)
        return Response(CustomerSerializer(customer).data)

    @extend_schema(
        tags=["customers"],
        operation_id="customers_destroy",
        summary="Delete a customer who has no orders and no demonstrations",
        description=f"{PERMISSION_NOTE} One with orders or demonstrations is kept for the books (409).",
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request: Request, customer_id: int) -> Response:
        customer = _my_customer(actor(request), customer_id)
        services.customer_delete(customer=customer, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Orders


class LineInputSerializer(StrictInputSerializer):
    class Meta:
        ref_name = "OrderLineInput"

    product = serializers.CharField(max_length=64, help_text="The product's SKU.")
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    purpose = serializers.ChoiceField(choices=OrderPurpose.choices)
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    customer_id = serializers.IntegerField(allow_null=True)
    demonstration_id = serializers.IntegerField(allow_null=True)
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


class OrderDetailSerializer(serializers.Serializer):
    order = OrderSerializer()
    lines = OrderLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=14, decimal_places=2)


def _order_detail_data(me: Distributor, order_id: int) -> dict:
    detail = selectors.order_detail(order_id=order_id, distributor=me)
    order = selectors.orders_of_distributor(distributor=me).get(pk=detail.order.pk)
    return OrderDetailSerializer(
        {"order": order, "lines": detail.lines, "total": detail.total, "refunded": detail.refunded}
    ).data


class OrderListApi(DistributorApi):
    class FilterSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "OrderFilter"

        status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
        purpose = serializers.ChoiceField(choices=OrderPurpose.choices, required=False)
        period = PeriodField(required=False)
        customer = serializers.IntegerField(required=False, min_value=1)
        demonstration = serializers.IntegerField(required=False, min_value=1)
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1)

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "OrderCreate"

        purpose = serializers.ChoiceField(choices=OrderPurpose.choices)
        customer = serializers.IntegerField(required=False, min_value=1, help_text="Id of my customer.")
        demonstration = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="Id of my planned demonstration, for a guest or host order.",
        )
        lines = LineInputSerializer(many=True, allow_empty=False, max_length=200)
        host_credit = serializers.IntegerField(
            required=False, min_value=1, help_text="Id of the host's credit voucher to redeem."
        )
        half_price_lines = LineInputSerializer(many=True, required=False, max_length=50)

    @extend_schema(
        tags=["orders"],
        operation_id="orders_list",
        summary="My orders, newest first",
        description=f"{PERMISSION_NOTE} A filter naming a customer or demonstration not mine is 404.",
        parameters=[
            OpenApiParameter("status", str, enum=OrderStatus.values),
            OpenApiParameter("purpose", str, enum=OrderPurpose.values),
            OpenApiParameter("period", str, description="YYYY-MM: orders counting in that month."),
            OpenApiParameter("customer", int),
            OpenApiParameter("demonstration", int),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(OrderSerializer, "OrderPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        me, f = actor(request), filters.validated_data
        orders = selectors.orders_of_distributor(
            distributor=me,
            status=f.get("status"),
            purpose=f.get("purpose"),
            period=f.get("period"),
            customer=_my_customer(me, f["customer"], field="customer") if f.get("customer") else None,
            demonstration=_my_demonstration(me, f["demonstration"], field="demonstration")
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
            customer=_my_customer(me, d["customer"], field="customer") if d.get("customer") else None,
            demonstration=_my_demonstration(me, d["demonstration"], field="demonstration")
            if d.get("demonstration")
            else None,
            host_credit=_my_host_credit(me, d["host_credit"]) if d.get("host_credit") else None,
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
        services.order_pay(order=_my_order(me, order_id), actor=request.user)
        return Response(_order_detail_data(me, order_id))


class ReasonSerializer(StrictInputSerializer):
    class Meta:
        ref_name = "ReasonInput"

    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


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
        order = _my_order(me, order_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_cancel(order=order, actor=request.user, reason=data.validated_data["reason"])
        return Response(_order_detail_data(me, order_id))


class ReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    kind = serializers.CharField()
    refunded_at = serializers.DateTimeField()
    refund_period = serializers.DateField()
    refund_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField()


class OrderReturnApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "ReturnCreate"

        class ReturnLineInput(StrictInputSerializer):
            class Meta:
                ref_name = "ReturnLineInput"

            line = serializers.IntegerField(min_value=1, help_text="Id of the order line.")
            quantity = serializers.IntegerField(min_value=1, max_value=10_000)

        lines = ReturnLineInput(many=True, allow_empty=False, max_length=200)
        reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")

    @extend_schema(
        tags=["orders"],
        operation_id="orders_return",
        summary="Return units of a paid order of mine (refund at the price paid)",
        description=(
            f"{PERMISSION_NOTE} The refund amount and date are not the client's to set. Idempotent "
            "with an Idempotency-Key header."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: ReturnSerializer, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request, order_id: int) -> Response:
        me = actor(request)
        order = _my_order(me, order_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.order_return(
            order=order,
            lines=[(line["line"], line["quantity"]) for line in data.validated_data["lines"]],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response(ReturnSerializer(record).data, status=status.HTTP_201_CREATED)


# --- Home demonstrations


class DemonstrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    host_id = serializers.IntegerField()
    held_at = serializers.DateTimeField()
    place = serializers.CharField()
    video_link = serializers.CharField()
    status = serializers.ChoiceField(choices=DemonstrationStatus.choices)
    closed_at = serializers.DateTimeField(allow_null=True)
    booked_from_id = serializers.IntegerField(allow_null=True)
    qps = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class HostCreditSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    half_price_items = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    redeemed_order_id = serializers.IntegerField(allow_null=True)


class DemonstrationDetailSerializer(serializers.Serializer):
    demonstration = DemonstrationSerializer()
    qps = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Qualified party sales so far (frozen at the close)."
    )
    host_credit = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Host reward earned.")
    half_price_items = serializers.IntegerField()
    close_deadline = serializers.DateTimeField()
    guest_ids = serializers.SerializerMethodField()
    orders = OrderSerializer(many=True)
    voucher = HostCreditSerializer(allow_null=True)

    def get_guest_ids(self, summary: Any) -> list[int]:
        return [guest.customer_id for guest in summary.guests]


def _demonstration_data(demonstration: Demonstration) -> dict:
    return DemonstrationDetailSerializer(selectors.demonstration_summary(demonstration=demonstration)).data


class DemonstrationListApi(DistributorApi):
    class FilterSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "DemonstrationFilter"

        status = serializers.ChoiceField(choices=DemonstrationStatus.choices, required=False)
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1)

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "DemonstrationCreate"

        host = serializers.IntegerField(min_value=1, help_text="Id of my customer who hosts.")
        held_at = serializers.DateTimeField()
        place = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
        video_link = serializers.URLField(required=False, allow_blank=True, max_length=200, default="")
        booked_from = serializers.IntegerField(
            required=False, min_value=1, help_text="Id of my demonstration where the host booked this one."
        )

    @extend_schema(
        tags=["demonstrations"],
        operation_id="demonstrations_list",
        summary="My home demonstrations, newest first",
        description=PERMISSION_NOTE,
        parameters=[OpenApiParameter("status", str, enum=DemonstrationStatus.values), *PAGE_PARAMETERS],
        responses={200: paginated(DemonstrationSerializer, "DemonstrationPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        demonstrations = _my_demonstrations(actor(request)).order_by("-held_at", "-id")
        if filters.validated_data.get("status"):
            demonstrations = demonstrations.filter(status=filters.validated_data["status"])
        return paginate_queryset(request, demonstrations, serializer_class=DemonstrationSerializer)

    @extend_schema(
        tags=["demonstrations"],
        operation_id="demonstrations_create",
        summary="Plan a demonstration at a customer's home (or by video)",
        description=f"{PERMISSION_NOTE} Idempotent with an Idempotency-Key header.",
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: DemonstrationDetailSerializer, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me, d = actor(request), data.validated_data
        demonstration = services.demonstration_plan(
            consultant=me,
            host=_my_customer(me, d["host"], field="host"),
            held_at=d["held_at"],
            place=d["place"],
            video_link=d["video_link"],
            booked_from=_my_demonstration(me, d["booked_from"], field="booked_from")
            if d.get("booked_from")
            else None,
            actor=request.user,
        )
        return Response(_demonstration_data(demonstration), status=status.HTTP_201_CREATED)


class DemonstrationDetailApi(DistributorApi):
    @extend_schema(
        tags=["demonstrations"],
        operation_id="demonstrations_retrieve",
        summary="One of my demonstrations: guests, orders, QPS and the host's rewards",
        description=PERMISSION_NOTE,
        parameters=[IF_NONE_MATCH],
        responses={200: DemonstrationDetailSerializer, 304: None, **READ_ERRORS},
    )
    def get(self, request: Request, demonstration_id: int) -> Response:
        return etag_response(
            request, _demonstration_data(_my_demonstration(actor(request), demonstration_id))
        )


class DemonstrationGuestApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "GuestAdd"

        customer = serializers.IntegerField(min_value=1, help_text="Id of my customer.")

    @extend_schema(
        tags=["demonstrations"],
        operation_id="demonstrations_add_guest",
        summary="Add a customer of mine as a guest (twice changes nothing)",
        description=PERMISSION_NOTE,
        request=InputSerializer,
        responses={200: DemonstrationDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, demonstration_id: int) -> Response:
        me = actor(request)
        demonstration = _my_demonstration(me, demonstration_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = _my_customer(me, data.validated_data["customer"], field="customer")
        services.demonstration_add_guest(demonstration=demonstration, customer=customer, actor=request.user)
        return Response(_demonstration_data(demonstration))


class DemonstrationCloseApi(DistributorApi):
    @extend_schema(
        tags=["demonstrations"],
        operation_id="demonstrations_close",
        summary="Close a demonstration of mine: its orders count now and the host gets her reward",
        description=PERMISSION_NOTE,
        request=None,
        responses={200: DemonstrationDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, demonstration_id: int) -> Response:
        demonstration = _my_demonstration(actor(request), demonstration_id)
        demonstration = services.demonstration_close(demonstration=demonstration, actor=request.user)
        return Response(_demonstration_data(demonstration))


class DemonstrationCancelApi(DistributorApi):
    @extend_schema(
        tags=["demonstrations"],
        operation_id="demonstrations_cancel",
        summary="Call off a planned demonstration of mine (its pending orders are cancelled)",
        description=PERMISSION_NOTE,
        request=ReasonSerializer,
        responses={200: DemonstrationDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, demonstration_id: int) -> Response:
        demonstration = _my_demonstration(actor(request), demonstration_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        demonstration = services.demonstration_cancel(
            demonstration=demonstration, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(_demonstration_data(demonstration))


# --- Inventory buy-back (compliance item 3). Deciding a request is the company's, not in this API.


class BuybackUnitSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    order_number = serializers.CharField()
    purpose = serializers.CharField()
    bought_at = serializers.DateTimeField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()
    returned = serializers.IntegerField()
    requested = serializers.IntegerField(help_text="In requests still waiting for a decision.")
    eligible = serializers.IntegerField(help_text="Units that may be handed back now.")
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit_refund = serializers.DecimalField(max_digits=14, decimal_places=2)
    refund_if_all = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(help_text="Why units are not eligible; empty when they are.")


class BuybackLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_line_id = serializers.IntegerField()
    order_number = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    approved_quantity = serializers.IntegerField()
    unit_refund = serializers.DecimalField(max_digits=14, decimal_places=2)


class BuybackRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=BuybackStatus.choices)
    status_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    decision_reason = serializers.CharField()
    with_termination = serializers.BooleanField()
    requested_units = serializers.IntegerField()
    approved_units = serializers.IntegerField()
    requested_refund = serializers.DecimalField(max_digits=14, decimal_places=2)
    refund_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = BuybackLineSerializer(many=True)


def _my_buyback_request(me: Distributor, request_id: int) -> BuybackRequest:
    found = buyback_selectors.buyback_requests_of(distributor=me).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("No such buy-back request among yours."))
    return found


def _buyback_data(me: Distributor, request_id: int) -> dict:
    request = _my_buyback_request(me, request_id)
    return BuybackRequestSerializer(buyback_selectors.buyback_request_view(request)).data


class BuybackUnitsApi(DistributorApi):
    @extend_schema(
        tags=["buy-back"],
        operation_id="buyback_units_list",
        summary="My own order lines of the buy-back window, with the units I may hand back",
        description=PERMISSION_NOTE,
        responses={200: BuybackUnitSerializer(many=True), **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        units = buyback_selectors.buyback_units(distributor=actor(request))
        return Response(BuybackUnitSerializer(units, many=True).data)


class BuybackRequestListApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "BuybackRequestCreate"

        class BuybackLineInput(StrictInputSerializer):
            class Meta:
                ref_name = "BuybackLineInput"

            order_line = serializers.IntegerField(min_value=1, help_text="Id of a line of my own order.")
            quantity = serializers.IntegerField(min_value=1, max_value=10_000)

        lines = BuybackLineInput(many=True, allow_empty=False, max_length=500)
        reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
        with_termination = serializers.BooleanField(
            required=False, default=False, help_text="I also end my distributorship."
        )

    @extend_schema(
        tags=["buy-back"],
        operation_id="buyback_requests_list",
        summary="My buy-back requests, newest first",
        description=PERMISSION_NOTE,
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(BuybackRequestSerializer, "BuybackRequestPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = page_request(request)
        requests = buyback_selectors.buyback_requests_of(distributor=actor(request))
        total = requests.count()
        return paged_response(
            request,
            items=list(requests[page.offset : page.offset + page.page_size]),
            total=total,
            page=page,
            serialize=lambda rows: (
                BuybackRequestSerializer(
                    [buyback_selectors.buyback_request_view(row) for row in rows], many=True
                ).data
            ),
        )

    @extend_schema(
        tags=["buy-back"],
        operation_id="buyback_requests_create",
        summary="Ask the company to buy back units of my own orders",
        description=(
            f"{PERMISSION_NOTE} The refund per unit is the market's share of the price paid; the "
            "company decides. Idempotent with an Idempotency-Key header."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: BuybackRequestSerializer, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me, d = actor(request), data.validated_data
        line_ids = {line["order_line"] for line in d["lines"]}
        if len(_my_order_lines(me, line_ids)) != len(line_ids):
            raise NotFound(_("No such order line among your orders."), field="lines")
        created = buyback_services.buyback_request_create(
            distributor=me,
            lines=[(line["order_line"], line["quantity"]) for line in d["lines"]],
            reason=d["reason"],
            with_termination=d["with_termination"],
            actor=request.user,
        )
        return Response(_buyback_data(me, created.pk), status=status.HTTP_201_CREATED)


class BuybackRequestDetailApi(DistributorApi):
    @extend_schema(
        tags=["buy-back"],
        operation_id="buyback_requests_retrieve",
        summary="One of my buy-back requests with its decision",
        description=PERMISSION_NOTE,
        parameters=[IF_NONE_MATCH],
        responses={200: BuybackRequestSerializer, 304: None, **READ_ERRORS},
    )
    def get(self, request: Request, request_id: int) -> Response:
        return etag_response(request, _buyback_data(actor(request), request_id))


class BuybackRequestWithdrawApi(DistributorApi):
    @extend_schema(
        tags=["buy-back"],
        operation_id="buyback_requests_withdraw",
        summary="Withdraw a request of mine still waiting for a decision",
        description=PERMISSION_NOTE,
        request=ReasonSerializer,
        responses={200: BuybackRequestSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, request_id: int) -> Response:
        me = actor(request)
        found = _my_buyback_request(me, request_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        buyback_services.buyback_request_withdraw(
            request=found, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(_buyback_data(me, request_id))
