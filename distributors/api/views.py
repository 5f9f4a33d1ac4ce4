"""The distributor's own profile, their downline (name, rank, volumes only), their sponsor's
contact, and enrolling a new distributor under them. One view per operation; the reads go
through distributors.selectors and the write through distributors.services.
"""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import Count
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commissions.standing import current_standing
from core.api.errors import error_responses
from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import PAGE_PARAMETERS, page_request, paged_response, paginated
from core.api.permissions import IsDistributor, actor
from core.api.serializers import NamedContactSerializer, StrictInputSerializer
from core.errors import NotFound
from distributors import selectors, services
from distributors.models import Distributor, DistributorStatus

PERMISSION_NOTE = "Only for a logged-in distributor (a user without a distributor profile gets 403)."


class DistributorApi(APIView):
    permission_classes = [IsDistributor]


class CurrentStandingSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CurrentStanding"

    period = serializers.CharField(help_text="YYYY-MM, in the company time zone.")
    pcv = serializers.DecimalField(max_digits=16, decimal_places=4, help_text="QV of customer orders.")
    ppc = serializers.DecimalField(max_digits=16, decimal_places=4, help_text="QV of my own orders.")
    pv = serializers.DecimalField(max_digits=16, decimal_places=4, help_text="PCV + own QV up to the cap.")
    gv = serializers.DecimalField(
        max_digits=16, decimal_places=4, help_text="PV of me and my whole downline."
    )
    min_pv = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    active = serializers.BooleanField()
    customer_count = serializers.IntegerField(help_text="Paying end customers who count.")
    customer_requirement_met = serializers.BooleanField()
    override_eligible = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField(), help_text="What is missing, in sentences.")


class MeApi(DistributorApi):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Me"

        id = serializers.IntegerField()
        external_id = serializers.CharField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        email = serializers.EmailField()
        phone = serializers.CharField()
        country = serializers.CharField()
        status = serializers.ChoiceField(choices=DistributorStatus.choices)
        enrolled_at = serializers.DateTimeField()
        referral_code = serializers.CharField()
        rank = serializers.IntegerField(help_text="Paid-as rank of the last closed period.")
        title = serializers.IntegerField(help_text="Highest paid-as rank ever reached.")
        frontline_count = serializers.IntegerField()
        downline_count = serializers.IntegerField(help_text="Everyone below, all levels.")
        current_period = CurrentStandingSerializer(
            help_text="Live volumes and eligibility of the open month: an estimate until its close."
        )

    @extend_schema(
        tags=["me"],
        operation_id="me_retrieve",
        summary="My profile, rank, title, downline size and this month's standing",
        description=f"{PERMISSION_NOTE} Answers with an ETag; send If-None-Match for a 304.",
        parameters=[IF_NONE_MATCH],
        responses={200: OutputSerializer, 304: None, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        me = actor(request)
        data = self.OutputSerializer(
            {
                "id": me.pk,
                "external_id": me.external_id,
                "first_name": me.first_name,
                "last_name": me.last_name,
                "email": me.email,
                "phone": me.phone,
                "country": me.country,
                "status": me.status,
                "enrolled_at": me.enrolled_at,
                "referral_code": me.referral_code,
                "rank": me.rank,
                "title": me.title,
                "frontline_count": Distributor.objects.filter(sponsor_id=me.pk).aggregate(n=Count("id"))["n"],
                "downline_count": selectors.downline_count(me),
                "current_period": asdict(current_standing(me)),
            }
        ).data
        return etag_response(request, data)


class DownlineMemberSerializer(serializers.Serializer):
    """What an upline may see of a downline member (compliance item 8): no contact, no customers."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    rank = serializers.IntegerField()
    title = serializers.IntegerField()
    depth = serializers.IntegerField(help_text="1 = my frontline, 2 = their frontline, ...")
    sponsor_id = serializers.IntegerField(help_text="Me, or someone in my downline.")


class DownlineListApi(DistributorApi):
    class FilterSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "DownlineFilter"

        search = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        max_depth = serializers.IntegerField(required=False, min_value=1, max_value=1000)
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        tags=["downline"],
        operation_id="downline_list",
        summary="My downline, in tree order, paginated",
        description=(
            f"{PERMISSION_NOTE} Each member shows only name, rank, title and depth. `search` matches "
            "every word against name, external id or referral code; `max_depth` limits the levels."
        ),
        parameters=[
            OpenApiParameter("search", str, description="Words to match."),
            OpenApiParameter("max_depth", int, description="Deepest level to include (1 = frontline)."),
            *PAGE_PARAMETERS,
        ],
        responses={
            200: paginated(DownlineMemberSerializer, "DownlinePage"),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = page_request(request)
        result = selectors.downline_page(
            actor(request),
            search=filters.validated_data["search"],
            max_depth=filters.validated_data.get("max_depth"),
            page=page.page,
            page_size=page.page_size,
        )
        return paged_response(
            request,
            items=result.items,
            total=result.total,
            page=page,
            serialize=lambda rows: DownlineMemberSerializer(rows, many=True).data,
        )


class DownlineMemberApi(DistributorApi):
    @extend_schema(
        tags=["downline"],
        operation_id="downline_member_retrieve",
        summary="One member of my downline",
        description=f"{PERMISSION_NOTE} Anyone not below me (myself, my upline, other legs) is 404.",
        parameters=[IF_NONE_MATCH],
        responses={200: DownlineMemberSerializer, 304: None, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, member_id: int) -> Response:
        member = selectors.downline_member(actor(request), member_id)
        if member is None:
            raise NotFound(_("No such distributor in your downline."))
        return etag_response(request, DownlineMemberSerializer(member).data)


class UplineApi(DistributorApi):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Upline"

        sponsor = NamedContactSerializer(allow_null=True, help_text="Null for the root of the tree.")

    @extend_schema(
        tags=["me"],
        operation_id="upline_retrieve",
        summary="My sponsor's contact: name, e-mail and phone only",
        description=PERMISSION_NOTE,
        responses={200: OutputSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        me = actor(request)
        sponsor = Distributor.objects.filter(pk=me.sponsor_id).first() if me.sponsor_id else None
        return Response(self.OutputSerializer({"sponsor": sponsor}).data)


class EnrollApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "EnrollmentInput"

        first_name = serializers.CharField(max_length=100)
        last_name = serializers.CharField(max_length=100)
        email = serializers.EmailField(max_length=254)
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
        country = serializers.CharField(min_length=2, max_length=2, required=False, default="NL")
        password = serializers.CharField(
            required=False,
            write_only=True,
            min_length=1,
            max_length=128,
            style={"input_type": "password"},
            help_text="The new distributor's login password (username = e-mail); omit for no login yet.",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Enrollment"

        id = serializers.IntegerField()
        external_id = serializers.CharField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        email = serializers.EmailField()
        referral_code = serializers.CharField()
        enrolled_at = serializers.DateTimeField()
        sponsor_id = serializers.IntegerField()

    @extend_schema(
        tags=["downline"],
        operation_id="enrollment_create",
        summary="Enrol a new distributor in my frontline",
        description=(
            f"{PERMISSION_NOTE} The sponsor is always me: sponsor, rank, status and tree fields "
            "cannot be sent (400). Enrolment pays no one (compliance item 1). Idempotent with "
            "an Idempotency-Key header."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 409, 422, 429)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        distributor = services.distributor_enroll(
            sponsor=actor(request), actor=request.user, **data.validated_data
        )
        return Response(self.OutputSerializer(distributor).data, status=status.HTTP_201_CREATED)
