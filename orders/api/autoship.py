"""Autoship: my own and my customers' subscriptions (list, create, change, skip, pause, resume,
cancel). Recording a payment's result is staff's (the admin) or a payment provider's webhook
(orders/payments.py), not this distributor API's."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import PAGE_PARAMETERS, paginate_queryset, paginated
from core.api.permissions import DistributorApi, actor
from core.api.serializers import IdField, QueryInputSerializer, StrictInputSerializer
from distributors.models import Distributor
from orders.models import AutoshipStatus, AutoshipUnit
from orders.models_autoship import MAX_INTERVAL_MONTHS, MAX_INTERVAL_WEEKS
from orders.selectors.autoship import subscription_get, subscription_list
from orders.selectors.customers import customer_of
from orders.services import autoship as autoship_services

from .common import CREATE_ERRORS, LIST_ERRORS, PERMISSION_NOTE, READ_ERRORS, WRITE_ERRORS
from .orders import LineInputSerializer


class SubscriptionLineSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.sku", help_text="The product's SKU.")
    product_name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField()


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField(allow_null=True, help_text="Empty for my own autoship.")
    subscriber_name = serializers.CharField()
    interval_unit = serializers.ChoiceField(choices=AutoshipUnit.choices)
    interval_count = serializers.IntegerField()
    weekday = serializers.IntegerField(allow_null=True, help_text="0 Monday … 6 Sunday, for weeks.")
    day_of_month = serializers.IntegerField(
        allow_null=True, help_text="1-31, for months; 29-31 fall on the last day of a shorter month."
    )
    status = serializers.ChoiceField(choices=AutoshipStatus.choices)
    next_date = serializers.DateField(allow_null=True)
    pause_reason = serializers.CharField()
    lines = SubscriptionLineSerializer(many=True, source="lines.all")


def _data(me: Distributor, pk: int) -> dict:
    return SubscriptionSerializer(subscription_get(me, pk)).data


class ScheduleInput(StrictInputSerializer):
    class Meta:
        ref_name = "AutoshipScheduleInput"

    interval_unit = serializers.ChoiceField(choices=AutoshipUnit.choices)
    interval_count = serializers.IntegerField(
        min_value=1, max_value=max(MAX_INTERVAL_MONTHS, MAX_INTERVAL_WEEKS)
    )
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, required=False, allow_null=True, help_text="0 Monday … 6 Sunday, for weeks."
    )
    day_of_month = serializers.IntegerField(min_value=1, max_value=31, required=False, allow_null=True)


class AutoshipListApi(DistributorApi):
    class FilterSerializer(QueryInputSerializer):
        own = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="true: mine; false: my customers'."
        )
        cancelled = serializers.BooleanField(
            required=False, default=False, help_text="Include cancelled ones."
        )

    class InputSerializer(ScheduleInput):
        class Meta:
            ref_name = "AutoshipCreate"

        customer = IdField(required=False, help_text="Id of my customer; leave out for my own autoship.")
        # many=True passes max_length to the ListSerializer; the DRF stub does not know it.
        lines = LineInputSerializer(many=True, allow_empty=False, max_length=50)  # type: ignore[call-arg]
        start = serializers.DateField(required=False, help_text="The first order on or after this date.")

    @extend_schema(
        tags=["autoship"],
        operation_id="autoships_list",
        summary="My own and my customers' autoships, the next first",
        description=PERMISSION_NOTE,
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(SubscriptionSerializer, "AutoshipPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        found = subscription_list(actor(request), own=f.get("own"), include_cancelled=f["cancelled"])
        return paginate_queryset(request, found, serializer_class=SubscriptionSerializer)

    @extend_schema(
        tags=["autoship"],
        operation_id="autoships_create",
        summary="Start an autoship for a customer of mine, or my own",
        description=(
            f"{PERMISSION_NOTE} A customer's autoship orders at retail, my own at wholesale; each "
            "order is pending until paid. No autoship is ever required to be active or to rank. "
            "Idempotent with an Idempotency-Key header."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: SubscriptionSerializer, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me, d = actor(request), data.validated_data
        created = autoship_services.subscription_create(
            distributor=me,
            customer=customer_of(distributor=me, customer_id=d["customer"], field="customer")
            if d.get("customer")
            else None,
            interval_unit=d["interval_unit"],
            interval_count=d["interval_count"],
            weekday=d.get("weekday"),
            day_of_month=d.get("day_of_month"),
            lines=[(line["product"], line["quantity"]) for line in d["lines"]],
            start=d.get("start"),
            actor=request.user,
        )
        return Response(_data(me, created.pk), status=status.HTTP_201_CREATED)


class AutoshipDetailApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "AutoshipUpdate"

        lines = LineInputSerializer(many=True, required=False, allow_empty=False, max_length=50)  # type: ignore[call-arg]
        schedule = ScheduleInput(required=False)

    @extend_schema(
        tags=["autoship"],
        operation_id="autoships_retrieve",
        summary="One of my (customers') autoships",
        description=PERMISSION_NOTE,
        responses={200: SubscriptionSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, subscription_id: int) -> Response:
        return Response(_data(actor(request), subscription_id))

    @extend_schema(
        tags=["autoship"],
        operation_id="autoships_update",
        summary="Change the products and/or the interval and day",
        description=f"{PERMISSION_NOTE} A new schedule moves the next order to its first day after today.",
        request=InputSerializer,
        responses={200: SubscriptionSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, subscription_id: int) -> Response:
        me = actor(request)
        found = subscription_get(me, subscription_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        autoship_services.subscription_update(
            subscription=found,
            lines=[(line["product"], line["quantity"]) for line in d["lines"]] if "lines" in d else None,
            schedule=d.get("schedule"),
            actor=request.user,
        )
        return Response(_data(me, subscription_id))


def _action_view(name: str, summary: str, service: Any) -> type[DistributorApi]:
    class ActionApi(DistributorApi):
        @extend_schema(
            tags=["autoship"],
            operation_id=f"autoships_{name}",
            summary=summary,
            description=PERMISSION_NOTE,
            request=None,
            responses={200: SubscriptionSerializer, **WRITE_ERRORS},
        )
        def post(self, request: Request, subscription_id: int) -> Response:
            me = actor(request)
            service(subscription=subscription_get(me, subscription_id), actor=request.user)
            return Response(_data(me, subscription_id))

    ActionApi.__name__ = ActionApi.__qualname__ = f"Autoship{name.title()}Api"
    return ActionApi


AutoshipSkipApi = _action_view("skip", "Skip the next order", autoship_services.subscription_skip)
AutoshipPauseApi = _action_view(
    "pause", "Pause: no orders until resumed", autoship_services.subscription_pause
)
AutoshipResumeApi = _action_view(
    "resume", "Resume from the first chosen day after today", autoship_services.subscription_resume
)
AutoshipCancelApi = _action_view("cancel", "Cancel for good", autoship_services.subscription_cancel)
