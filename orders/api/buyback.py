"""Inventory buy-back: the units a distributor may hand back, their requests, withdrawing one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import PAGE_PARAMETERS, page_request, paged_response, paginated
from core.api.permissions import DistributorApi, actor
from core.api.serializers import StrictInputSerializer
from distributors.models import Distributor
from orders.models import BuybackStatus
from orders.selectors.buyback import (
    buyback_request_of,
    buyback_request_view,
    buyback_requests_of,
    buyback_units,
    own_order_lines,
)
from orders.services import buyback as buyback_services

from .common import (
    CREATE_ERRORS,
    LIST_ERRORS,
    PERMISSION_NOTE,
    READ_ERRORS,
    WRITE_ERRORS,
    OrderLineQuantityInput,
    ReasonSerializer,
)

# --- Inventory buy-back (rules/compliance §3). Deciding a request is the company's, not in this API.


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


def _buyback_data(me: Distributor, request_id: int) -> dict:
    request = buyback_request_of(distributor=me, request_id=request_id)
    return BuybackRequestSerializer(buyback_request_view(request)).data


class BuybackUnitsApi(DistributorApi):
    @extend_schema(
        tags=["buy-back"],
        operation_id="buyback_units_list",
        summary="My own order lines of the buy-back window, with the units I may hand back",
        description=PERMISSION_NOTE,
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(BuybackUnitSerializer, "BuybackUnitPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = page_request(request)
        units = buyback_units(distributor=actor(request))
        return paged_response(
            request,
            items=units[page.offset : page.offset + page.page_size],
            total=len(units),
            page=page,
            serialize=lambda rows: BuybackUnitSerializer(rows, many=True).data,
        )


class BuybackRequestListApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "BuybackRequestCreate"

        # many=True passes max_length to the ListSerializer; the DRF stub does not know it.
        lines = OrderLineQuantityInput(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]
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
        requests = buyback_requests_of(distributor=actor(request))
        total = requests.count()
        return paged_response(
            request,
            items=list(requests[page.offset : page.offset + page.page_size]),
            total=total,
            page=page,
            serialize=lambda rows: (
                BuybackRequestSerializer([buyback_request_view(row) for row in rows], many=True).data
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
        own_order_lines(distributor=me, line_ids={line["order_line"] for line in d["lines"]})
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
        found = buyback_request_of(distributor=me, request_id=request_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        buyback_services.buyback_request_withdraw(
            request=found, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(_buyback_data(me, request_id))
