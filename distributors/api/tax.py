"""My VAT status, for the self-billing invoices the company issues with my payouts: read it, enter
or change it.

Checked by `distributors.tax.vat_details_check` (python-stdnum), as in the portal and the admin: a
wrong VAT number, or one of another country than the status, is a 400 with the message on its field.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import error_responses
from core.api.permissions import DistributorApi, actor
from core.api.serializers import StrictInputSerializer
from distributors.services.tax import vat_registration_of, vat_registration_set
from distributors.tax import ADDRESS_MAX_LENGTH, VatStatus, vat_details_check

from .views import PERMISSION_NOTE


class VatStatusSerializer(serializers.Serializer):
    class Meta:
        ref_name = "VatStatus"

    vat_status = serializers.ChoiceField(choices=VatStatus.choices)
    vat_number = serializers.CharField(allow_blank=True, help_text="Compact, with its country code.")
    business_name = serializers.CharField(allow_blank=True, help_text="Empty: my own name.")
    address = serializers.CharField(allow_blank=True, help_text="Lines separated by a newline.")
    updated_at = serializers.DateTimeField(allow_null=True)


def _data(registration: Any) -> dict[str, Any]:
    if registration is None:
        return {
            "vat_status": VatStatus.NOT_REGISTERED, "vat_number": "", "business_name": "", "address": "",
            "updated_at": None,
        }  # fmt: skip
    return {
        "vat_status": registration.vat_status,
        "vat_number": registration.vat_number,
        "business_name": registration.business_name,
        "address": registration.address,
        "updated_at": registration.updated_at,
    }


class VatStatusApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "VatStatusInput"

        vat_status = serializers.ChoiceField(choices=VatStatus.choices)
        vat_number = serializers.CharField(
            max_length=40, required=False, allow_blank=True, default="",
            help_text="Needed when VAT-registered: NL… for the Netherlands, another EU country's code else.",
        )  # fmt: skip
        business_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        address = serializers.CharField(
            max_length=ADDRESS_MAX_LENGTH, required=False, allow_blank=True, default="",
            help_text="Needed when VAT-registered: the address on the invoices.",
        )  # fmt: skip

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            # Django's ValidationError keyed by field: DRF puts each message on its field.
            details = vat_details_check(**attrs)
            return {
                "vat_status": details.vat_status,
                "vat_number": details.vat_number,
                "business_name": details.business_name,
                "address": details.address,
            }

    @extend_schema(
        tags=["me"],
        operation_id="me_vat_status_retrieve",
        summary="My VAT status for the self-billing invoices",
        description=f"{PERMISSION_NOTE} Without a status entered: not registered for VAT.",
        responses={200: VatStatusSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(VatStatusSerializer(_data(vat_registration_of(actor(request)))).data)

    @extend_schema(
        tags=["me"],
        operation_id="me_vat_status_update",
        summary="Enter or change my VAT status",
        description=(
            f"{PERMISSION_NOTE} `none`: not registered, no VAT; `kor`: the small-business scheme, no "
            "VAT; `nl`: VAT-registered in the Netherlands, 21 % VAT on top of the commission; `eu`: "
            "VAT-registered in another EU country, VAT reverse-charged. `nl` and `eu` need a valid VAT "
            "number of that country and an address. A wrong value is a 400 with the message on its "
            "field. It counts from the next payout; issued invoices keep theirs."
        ),
        request=InputSerializer,
        responses={200: VatStatusSerializer, **error_responses(400, 401, 403, 429)},
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = vat_registration_set(
            distributor=actor(request), actor=request.user, **data.validated_data
        )
        return Response(VatStatusSerializer(_data(registration)).data)
