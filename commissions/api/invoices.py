"""My self-billing invoices: the commission invoice the company issued on my behalf with each
payout (newest first), and each as PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from commissions.invoice_documents import invoice_filename, invoice_pdf
from commissions.models import SelfBillingInvoice, VatTreatment
from commissions.selectors.invoices import invoice_of, invoices_of
from core.api.errors import error_responses
from core.api.pagination import PAGE_PARAMETERS, paginate_queryset, paginated
from core.api.permissions import DistributorApi, actor
from core.money import MONEY
from core.periods import period_label

from .views import PERMISSION_NOTE


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    issued_on = serializers.DateField()
    period = serializers.SerializerMethodField(help_text="YYYY-MM of the statement invoiced.")
    vat_status = serializers.ChoiceField(source="vat_treatment", choices=VatTreatment.choices)
    vat_number = serializers.CharField(source="supplier_vat_number", allow_blank=True)
    commission = serializers.DecimalField(**MONEY, help_text="Excluding VAT.")
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Percent.")
    vat_amount = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    payout_reference = serializers.CharField(source="payout.reference")
    pdf = serializers.SerializerMethodField(help_text="Where to download the invoice as PDF.")

    def get_period(self, invoice: SelfBillingInvoice) -> str:
        return period_label(invoice.period.start)

    def get_pdf(self, invoice: SelfBillingInvoice) -> str:
        request = self.context.get("request")
        path = reverse("api-me-invoice-pdf", args=[invoice.number])
        return request.build_absolute_uri(path) if request is not None else path


class InvoiceListApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="me_invoices_list",
        summary="My self-billing invoices, newest first",
        description=f"{PERMISSION_NOTE} One per payout with commission, issued when the payout is made.",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(InvoiceSerializer, "InvoicePage"), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return paginate_queryset(request, invoices_of(actor(request)), serializer_class=InvoiceSerializer)


class InvoicePdfApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="me_invoice_pdf",
        summary="One of my self-billing invoices as PDF",
        description=f"{PERMISSION_NOTE} Another distributor's invoice number is a 404.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(401, 403, 404, 429),
        },
    )
    def get(self, request: Request, number: str) -> HttpResponse:
        invoice = invoice_of(actor(request), number)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
        response["Cache-Control"] = "no-store"
        return response
