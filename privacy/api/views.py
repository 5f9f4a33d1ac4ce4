"""The caller's own personal data as a JSON download (GDPR access, rules/compliance §8).

There is no id in the URL: the export is always of the distributor behind the token. Erasure is
not here on purpose: a distributor asks for it in the portal (My data), and staff decide in the
admin, after termination.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import error_responses
from core.api.permissions import DistributorApi, actor
from distributors.api.views import PERMISSION_NOTE
from privacy.selectors import distributor_personal_data, personal_data_filename


def _records(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.DictField(), help_text=help_text)


class PersonalDataApi(DistributorApi):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PersonalData"

        format = serializers.CharField(help_text="`backoffice.personal-data.v1`.")
        generated_at = serializers.DateTimeField()
        subject = serializers.CharField(help_text="`distributor`.")
        profile = serializers.DictField(help_text="Name, contact, status, dates, ranks and login.")
        sponsor = serializers.DictField(allow_null=True, help_text="Id, external id and name only.")
        sponsor_changes = _records("Moves and roll-ups of my sponsor, with the reason.")
        bank_account = serializers.DictField(
            allow_null=True, help_text="Where my payouts go: holder, IBAN, BIC; null if none entered."
        )
        vat_registration = serializers.DictField(
            allow_null=True,
            help_text="My VAT status, VAT number, business name and invoice address; null if none entered.",
        )
        agreement_acceptances = _records(
            "My acceptances of the distributor agreement: version, when, channel, language, hash of "
            "the text, IP address and user agent."
        )
        customers = _records("My customers with their contact data (they are my customers).")
        orders = _records("My orders, each with its lines.")
        returns = _records("Returns, cancellations and buy-backs of my orders, with their lines.")
        demonstrations = _records("Demonstrations I held, with host and guest ids.")
        buyback_requests = _records("My buy-back requests, with decisions and lines.")
        autoships = _records("My autoships and my customers', with their lines and orders.")
        period_results = _records("Volumes and paid-as rank of every closed period.")
        statements = _records("My statements of the final closes.")
        ledger_lines = _records("My ledger lines of the final closes (source by name).")
        payouts = _records("The payouts made to me.")
        self_billing_invoices = _records("The self-billing invoices issued for my payouts.")
        notification_settings = serializers.DictField(
            help_text="My address's notification preferences and the language of my mails."
        )
        notifications = _records("The notification mails sent to my address.")
        audit_entries = _records("Administrative acts about me, and those I did myself.")

    @extend_schema(
        tags=["me"],
        operation_id="personal_data_retrieve",
        summary="Download everything the back office holds about me (GDPR)",
        description=(
            f"{PERMISSION_NOTE} Always my own data: there is no id to ask for another person's. "
            "Amounts are decimal strings, times ISO 8601. Answers as a download "
            "(`Content-Disposition: attachment`). Erasure is not self-service: the distributor "
            "asks for it in the portal (My data) and staff decide after termination; the records "
            "the law requires are kept 7 years, pseudonymised (docs/privacy.md)."
        ),
        responses={200: OutputSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        me = actor(request)
        response = Response(distributor_personal_data(me))
        response["Content-Disposition"] = f'attachment; filename="{personal_data_filename(me.external_id)}"'
        response["Cache-Control"] = "no-store"
        return response
