"""`GET /me/`: my profile with my rank and title (named by the plan that decided them), my downline's
size and this month's standing (commissions.selectors.standing); `PATCH /me/` changes my contact data
(distributors.services). Here, above the sponsor tree, because it shows money and ranks."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from commissions.selectors.ranks import live_rank_names
from commissions.selectors.standing import current_standing
from core.api.auth import PASSWORD_MAX_LENGTH, current_password_check
from core.api.errors import error_responses
from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.permissions import DistributorApi, actor
from core.api.serializers import RankSerializer, StrictInputSerializer, rank_data
from core.api.throttles import EmailCheckThrottle
from core.errors import ApplicationError
from distributors import selectors
from distributors.api.views import PERMISSION_NOTE
from distributors.models import DistributorStatus
from distributors.services.profile import distributor_update_profile, email_changes, reauthentication_message


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
    # GV and the rank so far come from the newest preview of the month (commissions.selectors.standing).
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
                "frontline_count": selectors.frontline_count(me),
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
        if email_changes(me, changes.get("email")):
            if password is None:
                raise ApplicationError(reauthentication_message(), field="current_password")
            current_password_check(request, password)
            password_checked = True
        distributor_update_profile(
            distributor=me, actor=request.user, password_checked=password_checked, **changes
        )
        me.refresh_from_db()
        return self.get(request)
