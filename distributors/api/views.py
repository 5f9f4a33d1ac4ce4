"""The distributor's own profile, their downline (name, rank, volumes only), their sponsor's
contact, and enrolling a new distributor under them. One view per operation; the reads go
through distributors.selectors and the write through distributors.services.
"""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commissions.selectors import live_rank_names
from commissions.standing import current_standing
from core.api.auth import PASSWORD_MAX_LENGTH, current_password_check
from core.api.errors import error_responses
from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.pagination import CURSOR_PARAMETERS, cursor_paginated, cursor_request, cursor_response
from core.api.permissions import IsDistributor, actor
from core.api.serializers import (
    NamedContactSerializer,
    QueryInputSerializer,
    RankSerializer,
    StrictInputSerializer,
    rank_data,
)
from core.api.throttles import EmailCheckThrottle
from core.errors import ApplicationError, NotFound
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
    # GV and the rank so far come from the newest preview of the month (commissions.standing).
    gv_source = serializers.ChoiceField(
        choices=["preview", "live"],
        help_text="`preview`: `gv` and `paid_as_rank` are the newest preview close's, as of `gv_as_of`; "
        "`live`: no preview of the month yet, `gv` summed now and no rank so far.",
    )
    gv_as_of = serializers.DateTimeField(help_text="When `gv` and `paid_as_rank` were computed.")
    paid_as_rank = serializers.SerializerMethodField(
        help_text="The paid-as rank the month would pay as of `gv_as_of`; null without a preview."
    )

    @extend_schema_field(RankSerializer(allow_null=True))
    def get_paid_as_rank(self, standing) -> dict | None:
        number = standing["paid_as_rank"]
        return None if number is None else rank_data(number, {number: standing["paid_as_rank_name"]})


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
        rank = RankSerializer(help_text="Paid-as rank of the last closed period.")
        title = RankSerializer(help_text="Highest paid-as rank ever reached.")
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
        names = live_rank_names()
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
                "rank": rank_data(me.rank, names),
                "title": rank_data(me.title, names),
                "frontline_count": Distributor.objects.filter(sponsor_id=me.pk).aggregate(n=Count("id"))["n"],
                "downline_count": selectors.downline_count(me),
                "current_period": asdict(current_standing(me)),
            }
        ).data
        return etag_response(request, data)

    class UpdateInputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "MeUpdate"

        first_name = serializers.CharField(max_length=100, required=False)
        last_name = serializers.CharField(max_length=100, required=False)
        email = serializers.EmailField(
            max_length=254, required=False, help_text="Also the username of my login from now on."
        )
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
        current_password = serializers.CharField(
            max_length=PASSWORD_MAX_LENGTH,
            trim_whitespace=False,
            required=False,
            write_only=True,
            style={"input_type": "password"},
            help_text="Required when `email` changes: it is also my login and where a password reset goes.",
        )

    # Changing my e-mail address can refuse it as taken: limited like enrolment (privacy.md).
    throttle_classes = [*DistributorApi.throttle_classes, EmailCheckThrottle]

    @extend_schema(
        tags=["me"],
        operation_id="me_partial_update",
        summary="Change my own contact data: names, e-mail address, phone",
        description=(
            f"{PERMISSION_NOTE} Any other field is 400 (the country, which sets my market's terms, "
            "is changed by staff). A new `email` needs `current_password` (a wrong one is a 400 "
            "field error and counts as a failed login: 429 `locked_out` after AXES_FAILURE_LIMIT); "
            "the old address is told of the change, and every refresh token issued before is "
            "revoked: log in again with the new address once the access token expires. An address "
            "held by someone else is 409 `email_unavailable`, whoever holds it. At most "
            "API_EMAIL_CHECK_THROTTLE (30/hour) changes. Answers as GET."
        ),
        request=UpdateInputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 409, 429)},
    )
    def patch(self, request: Request) -> Response:
        me = actor(request)
        data = self.UpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        password = changes.pop("current_password", None)
        # A new address is a new login and reset address: re-authenticate, so that a stolen
        # access token cannot become a permanent takeover through "Forgot your password?".
        password_checked = False
        if services.email_changes(me, changes.get("email")):
            if password is None:
                raise ApplicationError(services.reauthentication_message(), field="current_password")
            current_password_check(request, password)
            password_checked = True
        services.distributor_update_profile(
            distributor=me, actor=request.user, password_checked=password_checked, **changes
        )
        me.refresh_from_db()
        return self.get(request)


class DownlineMemberSerializer(serializers.Serializer):
    """What an upline may see of a downline member (compliance item 8): no contact, no customers."""

    class Meta:
        ref_name = "DownlineMember"

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    referral_code = serializers.CharField(help_text="Their code for new sign-ups; searchable with `search`.")
    rank = RankSerializer(help_text="Paid-as rank of the last closed period.")
    title = RankSerializer(help_text="Highest paid-as rank ever reached.")
    depth = serializers.IntegerField(help_text="1 = my frontline, 2 = their frontline, ...")
    sponsor_id = serializers.IntegerField(help_text="Me, or someone in my downline.")


def _downline_members(members, names) -> list:
    return DownlineMemberSerializer(
        [
            {
                "id": m.pk,
                "external_id": m.external_id,
                "first_name": m.first_name,
                "last_name": m.last_name,
                "referral_code": m.referral_code,
                "rank": rank_data(m.rank, names),
                "title": rank_data(m.title, names),
                "depth": m.depth,
                "sponsor_id": m.sponsor_id,
            }
            for m in members
        ],
        many=True,
    ).data


class DownlineListApi(DistributorApi):
    class FilterSerializer(QueryInputSerializer):
        class Meta:
            ref_name = "DownlineFilter"

        search = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        max_depth = serializers.IntegerField(required=False, min_value=1, max_value=1000)

        @property
        def ignored(self) -> frozenset[str]:
            return frozenset(parameter.name for parameter in CURSOR_PARAMETERS)

    @extend_schema(
        tags=["downline"],
        operation_id="downline_list",
        summary="My downline, in tree order, by cursor pages",
        description=(
            f"{PERMISSION_NOTE} Each member shows only ids, name, referral code, rank, title and depth. "
            "`search` matches every word against first or last name, external id or referral code "
            "(what the item shows; never e-mail); "
            "`max_depth` limits the levels. Follow `next` for the next page; `count` is the whole "
            "downline's size without filters and null with them."
        ),
        parameters=[
            OpenApiParameter("search", {"type": "string", "maxLength": 100}, description="Words to match."),
            OpenApiParameter(
                "max_depth",
                {"type": "integer", "minimum": 1, "maximum": 1000},
                description="Deepest level to include (1 = frontline).",
            ),
            *CURSOR_PARAMETERS,
        ],
        responses={
            200: cursor_paginated(
                DownlineMemberSerializer,
                "DownlinePage",
                count_help="The whole downline's size; null when `search` or `max_depth` filter it.",
            ),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = cursor_request(request, (int,))
        result = selectors.downline_page(
            actor(request),
            search=filters.validated_data["search"],
            max_depth=filters.validated_data.get("max_depth"),
            after_lft=page.after[0] if page.after else None,
            limit=page.page_size + 1,
        )
        names = live_rank_names()
        return cursor_response(
            request,
            rows=result.items,
            page=page,
            key=lambda member: [member.lft],
            count=result.total,
            serialize=lambda members: _downline_members(members, names),
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
        return etag_response(request, _downline_members([member], live_rank_names())[0])


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
    # Enrolment can refuse an address as taken: a per-distributor limit (privacy.md).
    throttle_classes = [*DistributorApi.throttle_classes, EmailCheckThrottle]

    class InputSerializer(StrictInputSerializer):
        """No password: the recruit chooses their own through the invitation e-mail."""

        class Meta:
            ref_name = "EnrollmentInput"

        first_name = serializers.CharField(max_length=100)
        last_name = serializers.CharField(max_length=100)
        email = serializers.EmailField(max_length=254)
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
        country = serializers.CharField(min_length=2, max_length=2, required=False, default="NL")

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
            "cannot be sent (400), nor a password: the recruit gets a login (username = e-mail) "
            "and an e-mail invitation with a single-use link, valid INVITATION_DAYS (7), to choose "
            "their own password; nobody else ever knows it. An address held by anyone is 409 "
            "`email_unavailable`, whoever holds it (docs/privacy.md). At most "
            "API_EMAIL_CHECK_THROTTLE (30/hour) per distributor. Enrolment pays no one "
            "(compliance item 1). Idempotent with an Idempotency-Key header."
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
            sponsor=actor(request),
            actor=request.user,
            invite=True,
            language=translation.get_language(),
            **data.validated_data,
        )
        return Response(self.OutputSerializer(distributor).data, status=status.HTTP_201_CREATED)
