"""A self-billing invoice as a document: HTML from templates/commissions/self_billing_invoice.html,
in the invoice's language (Dutch for a distributor in the Netherlands, else English), and as PDF
by weasyprint with its stylesheet (templates/commissions/self_billing_invoice.css). Nothing is
fetched from anywhere: system fonts only, and the fetcher allows data: URLs alone."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from commissions.models import SelfBillingInvoice, VatTreatment


def invoice_context(invoice: SelfBillingInvoice) -> dict:
    return {
        "invoice": invoice,
        "supplier_address_lines": invoice.supplier_address.splitlines(),
        "customer_address_lines": invoice.customer_address.splitlines(),
        "repaid": invoice.payout.repaid,
        "transferred": invoice.payout.amount,
        "nl": invoice.vat_treatment == VatTreatment.NL,
        "reverse_charge": invoice.vat_treatment == VatTreatment.REVERSE_CHARGE,
        "small_business": invoice.vat_treatment == VatTreatment.SMALL_BUSINESS,
        "not_registered": invoice.vat_treatment == VatTreatment.NOT_REGISTERED,
    }


def invoice_html(invoice: SelfBillingInvoice) -> str:
    with translation.override(invoice.language):
        return render_to_string("commissions/self_billing_invoice.html", invoice_context(invoice))


def invoice_pdf(invoice: SelfBillingInvoice) -> bytes:
    # Imported here: weasyprint parses its stylesheets (and logs it) when imported.
    from weasyprint import CSS, HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols=["data"], timeout=1)
    style = CSS(string=render_to_string("commissions/self_billing_invoice.css"), url_fetcher=fetcher)
    pdf = HTML(string=invoice_html(invoice), base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=[style]
    )
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf


def invoice_filename(invoice: SelfBillingInvoice) -> str:
    return f"{invoice.number}.pdf"
