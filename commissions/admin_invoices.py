"""Admin of self-billing invoices: the list (read-only: an invoice is never changed), each as PDF,
and the VAT report of a period for the company's VAT return (a page and its CSV). Thin: each view
parses, calls commissions.selectors / commissions.invoice_documents, renders."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import csv  # neutralises formula-like cells (CSV injection)
from core.admin_display import column
from core.errors import ApplicationError
from core.templatetags.formatting import money

from .invoice_documents import invoice_filename, invoice_pdf
from .models import SelfBillingInvoice, VatTreatment
from .selectors.invoices import (
    VAT_REPORT_COLUMNS,
    invoice_for_document,
    vat_report,
    vat_report_csv_rows,
    vat_report_period,
)


def current_quarter() -> str:
    today = timezone.localdate()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


class VatReportForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=10,
        help_text=_("A quarter (2026-Q4), a month (2026-10) or a year (2026): invoices issued in it."),
    )

    def clean_period(self) -> Any:
        try:
            return vat_report_period(self.cleaned_data["period"])
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from None


@admin.register(SelfBillingInvoice)
class SelfBillingInvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "number", "issued_on", "distributor", "period", "vat_short", "commission_shown", "vat_shown",
        "total_shown", "pdf_link",
    ]  # fmt: skip
    list_filter = ["vat_treatment", "year", "period"]
    list_select_related = ["distributor", "period"]
    search_fields = ["=number", "=distributor__external_id", "distributor__last_name", "=supplier_vat_number"]
    date_hierarchy = "issued_on"
    readonly_fields = (
        "number", "issued_on", "period", "distributor", "payout", "language", "supplier_name",
        "supplier_address", "supplier_country", "vat_treatment", "supplier_vat_number", "customer_name",
        "customer_address", "customer_vat_number", "commission_shown", "vat_rate", "vat_shown", "total_shown",
        "pdf_link",
    )  # fmt: skip
    fields = readonly_fields

    commission_shown = column(SelfBillingInvoice, "commission", money)
    vat_shown = column(SelfBillingInvoice, "vat_amount", money)
    total_shown = column(SelfBillingInvoice, "total", money)

    # The list's short names of the VAT statuses (the full ones make the table wider than a screen).
    VAT_SHORT: dict[str, Any] = {
        VatTreatment.NOT_REGISTERED: _("No VAT"),
        VatTreatment.SMALL_BUSINESS: _("KOR"),
        VatTreatment.NL: _("21 % VAT"),
        VatTreatment.REVERSE_CHARGE: _("Reverse charge"),
    }

    @admin.display(description=_("VAT status"), ordering="vat_treatment")
    def vat_short(self, obj: SelfBillingInvoice) -> str:
        return str(self.VAT_SHORT.get(obj.vat_treatment, obj.get_vat_treatment_display()))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/pdf/", view(self.pdf_view), name="commissions_selfbillinginvoice_pdf"),
            path("vat-report/", view(self.vat_report_view), name="commissions_selfbillinginvoice_vat_report"),
            *super().get_urls(),
        ]

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: SelfBillingInvoice) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:commissions_selfbillinginvoice_pdf", args=[obj.pk]),
            _("PDF"),
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra = {"vat_report_url": reverse("admin:commissions_selfbillinginvoice_vat_report")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        invoice = invoice_for_document(pk)
        if invoice is None:
            raise Http404
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
        return response

    def vat_report_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        data = request.GET if "period" in request.GET else {"period": current_quarter()}
        form = VatReportForm(data)
        report = None
        if form.is_valid():
            start, end = form.cleaned_data["period"]
            report = vat_report(start=start, end=end)
            if request.GET.get("format") == "csv":
                response = HttpResponse(content_type="text/csv; charset=utf-8")
                name = form.data["period"].strip().upper()
                response["Content-Disposition"] = f'attachment; filename="vat-report-{name}.csv"'
                writer = csv.writer(response, lineterminator="\n")
                writer.writerow(VAT_REPORT_COLUMNS)
                writer.writerows(vat_report_csv_rows(report))
                return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("VAT report of the self-billing invoices"),
            "form": form,
            "report": report,
            "period_text": form.data.get("period", ""),
        }
        return render(
            request,
            "admin/commissions/selfbillinginvoice/vat_report.html",
            context,
            status=400 if form.errors else 200,
        )
