"""A distributor's customers: register, list, read, change, delete."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import PAGE_PARAMETERS, paginate_queryset, paginated
from core.api.permissions import DistributorApi, actor
from core.api.serializers import QueryInputSerializer, StrictInputSerializer
from core.api.throttles import EmailCheckThrottle
from orders import services
from orders.models import (
    Customer,
    CustomerKind,
)
from orders.selectors.customers import customer_of, customers_of_distributor

from .common import CREATE_ERRORS, LIST_ERRORS, PERMISSION_NOTE, READ_ERRORS, WRITE_ERRORS


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
    # Registering can refuse an address: a per-distributor limit, so addresses cannot be tried in bulk.
    throttle_classes = [*DistributorApi.throttle_classes, EmailCheckThrottle]

    class FilterSerializer(QueryInputSerializer):
        kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
        search = serializers.CharField(
            required=False, allow_blank=True, max_length=100, help_text="Part of a name or e-mail address."
        )

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
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(CustomerSerializer, "CustomerPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        customers = customers_of_distributor(
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
            f"{PERMISSION_NOTE} An address already my customer is 409 `conflict`; an address held by "
            "anyone else (a distributor, another distributor's customer) is 409 `email_unavailable` "
            "with one message whatever the reason (docs/privacy.md). At most API_EMAIL_CHECK_THROTTLE "
            "(30/hour) per distributor. Idempotent with an Idempotency-Key."
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
        customer = customer_of(distributor=actor(request), customer_id=customer_id)
        return etag_response(request, CustomerSerializer(customer).data)

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
        customer = customer_of(distributor=me, customer_id=customer_id)
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
        customer = customer_of(distributor=actor(request), customer_id=customer_id)
        services.customer_delete(customer=customer, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
