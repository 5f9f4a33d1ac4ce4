"""My distributor agreement: the current version, whether I accepted it, my acceptances; accept it.

Until I accept the current version my payouts are held (commissions.services.payouts), not lost:
the first payout batch after I accept pays them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import error_responses
from core.api.permissions import DistributorApi, actor
from core.api.serializers import StrictInputSerializer
from distributors.agreement_selectors import (
    agreement_acceptance_of,
    agreement_acceptances_of,
    agreement_current,
)
from distributors.agreements import AcceptanceChannel, AgreementVersion
from distributors.services.agreements import agreement_accept

from .views import PERMISSION_NOTE


class AgreementClauseSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AgreementClause"

    kind = serializers.CharField(help_text="independent_contractor, self_billing or policy.")
    title = serializers.CharField()
    text = serializers.CharField()


class AgreementVersionSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AgreementVersion"

    id = serializers.IntegerField(help_text="Give it to accept/.")
    number = serializers.IntegerField()
    version_label = serializers.CharField(source="label", help_text="For example 2027-01; may be empty.")
    title = serializers.CharField(help_text="In the language of the request (English or Dutch).")
    body = serializers.CharField()
    published_at = serializers.DateTimeField()
    language = serializers.CharField()
    text_hash = serializers.CharField(
        help_text="SHA-256 of the text in this language, as recorded on acceptance."
    )
    clauses = AgreementClauseSerializer(many=True)


class AgreementAcceptanceSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AgreementAcceptance"

    version = serializers.IntegerField(source="version.number")
    version_id = serializers.IntegerField()
    accepted_at = serializers.DateTimeField()
    channel = serializers.CharField()
    language = serializers.CharField()
    text_hash = serializers.CharField()


class MyAgreementSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MyAgreement"

    current = AgreementVersionSerializer(allow_null=True, help_text="Null while no version is published.")
    accepted = serializers.BooleanField(
        help_text="Whether I accepted the current version (true when there is none)."
    )
    accepted_at = serializers.DateTimeField(allow_null=True)
    history = AgreementAcceptanceSerializer(many=True, help_text="My acceptances, newest first.")


def _language() -> str:
    return "nl" if (get_language() or "en").startswith("nl") else "en"


def _version_data(version: AgreementVersion) -> dict[str, Any]:
    language = _language()
    clauses = list(version.clauses.all())
    return {
        "id": version.pk,
        "number": version.number,
        "label": version.label,
        "title": version.title_in(language),
        "body": version.body_in(language),
        "published_at": version.published_at,
        "language": language,
        "text_hash": version.text_hash(language, clauses),
        "clauses": [
            {"kind": c.kind, "title": c.title_in(language), "text": c.text_in(language)} for c in clauses
        ],
    }


def _data(distributor: Any) -> dict[str, Any]:
    current = agreement_current()
    acceptance = agreement_acceptance_of(distributor, current) if current is not None else None
    return {
        "current": _version_data(current) if current is not None else None,
        "accepted": current is None or acceptance is not None,
        "accepted_at": acceptance.accepted_at if acceptance is not None else None,
        "history": list(agreement_acceptances_of(distributor)),
    }


class MyAgreementApi(DistributorApi):
    @extend_schema(
        tags=["me"],
        operation_id="me_agreement_retrieve",
        summary="The distributor agreement: the current version and my acceptances",
        description=(
            f"{PERMISSION_NOTE} The text is in the language of the request (Accept-Language: nl or en). "
            "Until I accept the current version my payouts are held, not lost."
        ),
        responses={200: MyAgreementSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(MyAgreementSerializer(_data(actor(request))).data)


class AgreementAcceptApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "AgreementAcceptInput"

        version = serializers.PrimaryKeyRelatedField(
            queryset=AgreementVersion.objects.filter(published_at__isnull=False),
            help_text="The id of the current version (GET me/agreement/).",
        )

    @extend_schema(
        tags=["me"],
        operation_id="me_agreement_accept",
        summary="Accept the current distributor agreement",
        description=(
            f"{PERMISSION_NOTE} Accepts every clause of the version in the language of the request. "
            "A superseded or unknown version is a 400 on `version`; accepting again changes nothing."
        ),
        request=InputSerializer,
        responses={200: MyAgreementSerializer, **error_responses(400, 401, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        distributor = actor(request)
        agreement_accept(
            distributor=distributor,
            version=data.validated_data["version"],
            actor=request.user,
            language=_language(),
            channel=AcceptanceChannel.API,
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(MyAgreementSerializer(_data(distributor)).data)
