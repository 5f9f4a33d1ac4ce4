"""Returning units of a paid order of mine: the refund at the price paid."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.permissions import DistributorApi, actor
from core.api.serializers import StrictInputSerializer
from orders import services
from orders.selectors.orders import order_of

from .common import CREATE_ERRORS, PERMISSION_NOTE, OrderLineQuantityInput


class ReturnLineSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    refund_amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    kind = serializers.CharField()
    refunded_at = serializers.DateTimeField()
    refund_period = serializers.DateField()
    refund_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField()
    lines = ReturnLineSerializer(many=True, source="lines.all")


class OrderReturnApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "ReturnCreate"

        # many=True passes max_length to the ListSerializer; the DRF stub does not know it.
        lines = OrderLineQuantityInput(many=True, allow_empty=False, max_length=200)  # type: ignore[call-arg]
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
        order = order_of(distributor=me, order_id=order_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.order_return(
            order=order,
            lines=[(line["order_line"], line["quantity"]) for line in data.validated_data["lines"]],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response(ReturnSerializer(record).data, status=status.HTTP_201_CREATED)
