"""My bank account, where the company pays my commissions: read it, enter or change it.

The IBAN and BIC are checked by `distributors.bank.bank_details_check`, as in the portal and the
admin: a wrong one is a 400 with the message on its field.
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
from distributors.bank import bank_account_of, bank_account_set, bank_details_check

from .views import PERMISSION_NOTE


class BankAccountSerializer(serializers.Serializer):
    class Meta:
        ref_name = "BankAccount"

    holder = serializers.CharField(allow_null=True, help_text="Null until an account is entered.")
    iban = serializers.CharField(allow_null=True, help_text="Compact, upper case.")
    bic = serializers.CharField(allow_blank=True, help_text="Empty when the bank follows from the IBAN.")
    updated_at = serializers.DateTimeField(allow_null=True)
    returned = serializers.BooleanField(
        help_text="The bank returned the last payment to it: payouts wait until it is saved again."
    )


def _data(account: Any) -> dict[str, Any]:
    if account is None:
        return {"holder": None, "iban": None, "bic": "", "updated_at": None, "returned": False}
    return {
        "holder": account.holder,
        "iban": account.iban,
        "bic": account.bic,
        "updated_at": account.updated_at,
        "returned": account.returned_at is not None,
    }


class BankAccountApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "BankAccountInput"

        holder = serializers.CharField(max_length=200, help_text="The name the bank knows the account by.")
        iban = serializers.CharField(max_length=50, help_text="Spaces allowed; an IBAN of the SEPA zone.")
        bic = serializers.CharField(
            max_length=20,
            required=False,
            allow_blank=True,
            default="",
            help_text="Needed only when the bank does not follow from the IBAN.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            # Django's ValidationError keyed by field: DRF puts each message on its field.
            details = bank_details_check(**attrs)
            return {"holder": details.holder, "iban": details.iban, "bic": details.bic}

    @extend_schema(
        tags=["me"],
        operation_id="me_bank_account_retrieve",
        summary="My bank account for payouts",
        description=f"{PERMISSION_NOTE} Without an account entered, every field is null or empty.",
        responses={200: BankAccountSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(BankAccountSerializer(_data(bank_account_of(actor(request)))).data)

    @extend_schema(
        tags=["me"],
        operation_id="me_bank_account_update",
        summary="Enter or change my bank account for payouts",
        description=(
            f"{PERMISSION_NOTE} The IBAN must be valid (check digits, length, national checksum) and "
            "of the SEPA zone; the BIC is needed only when the bank does not follow from the IBAN. "
            "A wrong value is a 400 with the message on its field. Payouts held for want of a valid "
            "account are paid with the next payout batch of their month."
        ),
        request=InputSerializer,
        responses={200: BankAccountSerializer, **error_responses(400, 401, 403, 429)},
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = bank_account_set(distributor=actor(request), actor=request.user, **data.validated_data)
        return Response(BankAccountSerializer(_data(account)).data)
