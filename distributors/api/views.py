"""The distributor's sponsor's contact and enrolling a new distributor under them. One view per
operation; the reads go through distributors.selectors and the write through distributors.services.

`/me/` and `/downline/` show ranks and this month's standing, which the close decides: their views
are in commissions/api/ (me.py, downline.py), above the sponsor tree, with the same URLs.
"""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import error_responses
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.permissions import DistributorApi, actor
from core.api.serializers import NamedContactSerializer, StrictInputSerializer
from core.api.throttles import EmailCheckThrottle
from distributors import selectors
from distributors.services.enrollment import distributor_enroll

PERMISSION_NOTE = "Only for a logged-in distributor (a user without a distributor profile gets 403)."


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
        return Response(self.OutputSerializer({"sponsor": selectors.sponsor(me)}).data)


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
        distributor = distributor_enroll(
            sponsor=actor(request),
            actor=request.user,
            invite=True,
            language=translation.get_language(),
            **data.validated_data,
        )
        return Response(self.OutputSerializer(distributor).data, status=status.HTTP_201_CREATED)
