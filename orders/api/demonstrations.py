"""Home demonstrations: plan, list, read, add guests, close, cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import PAGE_PARAMETERS, paginate_queryset, paginated
from core.api.permissions import DistributorApi, actor
from core.api.serializers import IdField, QueryInputSerializer, StrictInputSerializer
from orders import services
from orders.models import (
    Demonstration,
    DemonstrationStatus,
)
from orders.selectors.customers import customer_of
from orders.selectors.demonstrations import (
    demonstration_of,
    demonstration_summary,
    demonstrations_of_distributor,
)
from orders.shop_links import demonstration_shop_expires, demonstration_shop_url

from .common import (
    CREATE_ERRORS,
    LIST_ERRORS,
    PERMISSION_NOTE,
    READ_ERRORS,
    WRITE_ERRORS,
    ReasonSerializer,
)
from .orders import OrderSerializer


class DemonstrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    host_id = serializers.IntegerField()
    held_at = serializers.DateTimeField()
    place = serializers.CharField()
    video_link = serializers.CharField()
    status = serializers.ChoiceField(choices=DemonstrationStatus.choices)
    closed_at = serializers.DateTimeField(allow_null=True)
    booked_from_id = serializers.IntegerField(allow_null=True)
    qps = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="Qualified party sales frozen at the close; null until then (see qps_so_far).",
    )
    shopping_link = serializers.SerializerMethodField(
        help_text="The signed link where guests order online in the party's name (orders.shop_links); "
        "null once the demonstration is closed or cancelled."
    )
    shopping_link_expires = serializers.SerializerMethodField()

    def get_shopping_link(self, demonstration: Demonstration) -> str | None:
        if demonstration.status != DemonstrationStatus.PLANNED:
            return None
        return demonstration_shop_url(demonstration)

    def get_shopping_link_expires(self, demonstration: Demonstration) -> dt.datetime | None:
        if demonstration.status != DemonstrationStatus.PLANNED:
            return None
        return demonstration_shop_expires(demonstration)


class HostCreditSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    half_price_items = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    redeemed_order_id = serializers.IntegerField(allow_null=True)


class DemonstrationChildrenSerializer(serializers.Serializer):
    """What a demonstration's detail adds to its list item (from a DemonstrationSummary)."""

    qps_so_far = serializers.DecimalField(
        source="qps",
        max_digits=14,
        decimal_places=2,
        help_text="Qualified party sales so far (the frozen QPS once closed).",
    )
    host_credit = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Host reward earned.")
    half_price_items = serializers.IntegerField()
    close_deadline = serializers.DateTimeField()
    guest_ids = serializers.SerializerMethodField()
    orders = OrderSerializer(many=True)
    voucher = HostCreditSerializer(allow_null=True)

    def get_guest_ids(self, summary: Any) -> list[int]:
        return [guest.customer_id for guest in summary.guests]


class DemonstrationDetailSerializer(DemonstrationSerializer, DemonstrationChildrenSerializer):
    """The list item plus its children: guests, orders, QPS so far and the host's rewards."""


def _demonstration_data(demonstration: Demonstration) -> dict:
    summary = demonstration_summary(demonstration=demonstration)
    return {
        **DemonstrationSerializer(summary.demonstration).data,
        **DemonstrationChildrenSerializer(summary).data,
    }


class DemonstrationListApi(DistributorApi):
    class FilterSerializer(QueryInputSerializer):
        status = serializers.ChoiceField(choices=DemonstrationStatus.choices, required=False)

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "DemonstrationCreate"

        host = IdField(help_text="Id of my customer who hosts.")
        held_at = serializers.DateTimeField(
            help_text=(
                "With a time zone. Not before the open period (the first month not closed, and at "
                "most the month of 30 days ago) and at most a year ahead; else 400 on `held_at`."
            )
        )
        place = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
        video_link = serializers.URLField(required=False, allow_blank=True, max_length=200, default="")
        booked_from = IdField(
            required=False, help_text="Id of my demonstration where the host booked this one."
        )

    @extend_schema(
        tags=["demonstrations"],
        operation_id="demonstrations_list",
        summary="My home demonstrations, newest first",
        description=PERMISSION_NOTE,
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(DemonstrationSerializer, "DemonstrationPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        demonstrations = demonstrations_of_distributor(
            distributor=actor(request), status=filters.validated_data.get("status")
        )
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
            host=customer_of(distributor=me, customer_id=d["host"], field="host"),
            held_at=d["held_at"],
            place=d["place"],
            video_link=d["video_link"],
            booked_from=demonstration_of(
                distributor=me, demonstration_id=d["booked_from"], field="booked_from"
            )
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
        demonstration = demonstration_of(distributor=actor(request), demonstration_id=demonstration_id)
        return etag_response(request, _demonstration_data(demonstration))


class DemonstrationGuestApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "GuestAdd"

        customer = IdField(help_text="Id of my customer.")

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
        demonstration = demonstration_of(distributor=me, demonstration_id=demonstration_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_of(distributor=me, customer_id=data.validated_data["customer"], field="customer")
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
        demonstration = demonstration_of(distributor=actor(request), demonstration_id=demonstration_id)
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
        demonstration = demonstration_of(distributor=actor(request), demonstration_id=demonstration_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        demonstration = services.demonstration_cancel(
            demonstration=demonstration, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(_demonstration_data(demonstration))
