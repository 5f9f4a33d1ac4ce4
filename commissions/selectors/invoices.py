"""Self-billing invoices as the distributor, staff and the company's VAT return read them: a
distributor's own, one by number, and the VAT report of a period (totals per VAT status)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from commissions.models import SelfBillingInvoice, VatTreatment
from core.errors import ApplicationError, NotFound
from core.money import ZERO, money_str

VAT_REPORT_COLUMNS = ("period_from", "period_to", "vat_status", "invoices", "base", "vat", "total")


def invoices_of(distributor) -> QuerySet[SelfBillingInvoice]:
    """The distributor's invoices, newest first, with their period and payout."""
    return (
        SelfBillingInvoice.objects.filter(distributor=distributor)
        .select_related("period", "payout", "distributor")
        .order_by("-year", "-sequence")
    )


def invoice_of(distributor, number: str) -> SelfBillingInvoice:
    """One of the distributor's invoices by its number; NotFound for any other."""
    invoice = invoices_of(distributor).filter(number=number).first()
    if invoice is None:
        raise NotFound(_("You have no invoice %(number)s.") % {"number": number})
    return invoice


def invoice_for_document(pk: int) -> SelfBillingInvoice | None:
    """An invoice with what its document shows (staff)."""
    return SelfBillingInvoice.objects.select_related("period", "payout", "distributor").filter(pk=pk).first()


def invoices_by_payout(payout_ids: list[int]) -> dict[int, SelfBillingInvoice]:
    return {
        invoice.payout_id: invoice for invoice in SelfBillingInvoice.objects.filter(payout_id__in=payout_ids)
    }


@dataclass(frozen=True)
class VatReportRow:
    vat_status: str
    label: str
    invoices: int
    base: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.base + self.vat


@dataclass(frozen=True)
class VatReport:
    """The invoices issued in [start, end), totalled per VAT status, for the company's VAT return:
    the VAT on NL invoices is input VAT (voorbelasting); reverse-charged invoices' base is declared
    (and their VAT paid and deducted) by the company; the rest carries no VAT."""

    start: dt.date
    end: dt.date
    rows: list[VatReportRow] = field(default_factory=list)

    def _sum(self, attribute: str, *statuses: str) -> Decimal:
        return sum(
            (getattr(row, attribute) for row in self.rows if not statuses or row.vat_status in statuses), ZERO
        )

    @property
    def base(self) -> Decimal:
        return self._sum("base")

    @property
    def vat(self) -> Decimal:
        return self._sum("vat")

    @property
    def total(self) -> Decimal:
        return self.base + self.vat

    @property
    def invoices(self) -> int:
        return sum(row.invoices for row in self.rows)

    @property
    def reverse_charge_base(self) -> Decimal:
        return self._sum("base", VatTreatment.REVERSE_CHARGE)

    @property
    def no_vat_base(self) -> Decimal:
        """Not registered and the small-business scheme: invoiced without VAT."""
        return self._sum("base", VatTreatment.NOT_REGISTERED, VatTreatment.SMALL_BUSINESS)

    @property
    def nl_base(self) -> Decimal:
        return self._sum("base", VatTreatment.NL)


def vat_report(*, start: dt.date, end: dt.date) -> VatReport:
    """Totals per VAT status of the invoices issued in [start, end) (one aggregate query)."""
    found = {
        row["vat_treatment"]: row
        for row in SelfBillingInvoice.objects.filter(issued_on__gte=start, issued_on__lt=end)
        .values("vat_treatment")
        .annotate(invoices=Count("id"), base=Sum("commission"), vat=Sum("vat_amount"))
    }
    rows = []
    for status, label in VatTreatment.choices:
        row = found.get(status)
        rows.append(
            VatReportRow(
                vat_status=status,
                label=str(label),
                invoices=row["invoices"] if row else 0,
                base=row["base"] if row else ZERO,
                vat=row["vat"] if row else ZERO,
            )
        )
    return VatReport(start=start, end=end, rows=rows)


def vat_report_csv_rows(report: VatReport) -> list[list[str]]:
    """The report in a fixed format (amounts with a decimal point), a row per status and the total."""
    first, last = report.start.isoformat(), (report.end - dt.timedelta(days=1)).isoformat()
    rows = [
        [first, last, row.vat_status, str(row.invoices), money_str(row.base), money_str(row.vat),
         money_str(row.total)]
        for row in report.rows
    ]  # fmt: skip
    rows.append(
        [first, last, "total", str(report.invoices), money_str(report.base), money_str(report.vat),
         money_str(report.total)]
    )  # fmt: skip
    return rows


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")
# Invoices are issued from 2000 on; the upper bound keeps the period's end a valid date.
VAT_REPORT_FIRST_YEAR, VAT_REPORT_LAST_YEAR = 2000, 2999


def vat_report_period(text: str) -> tuple[dt.date, dt.date]:
    """[start, end) of "YYYY" (a year), "YYYY-Qn" (a quarter, as the Dutch return) or "YYYY-MM"."""
    match = _PERIOD.match((text or "").strip().upper())
    month = int(match.group(2)) if match and match.group(2) else None
    if match is None or (month is not None and not 1 <= month <= 12):
        raise ApplicationError(
            _("Give the period as YYYY, YYYY-Qn or YYYY-MM, such as 2026-Q4."), field="period"
        )
    year = int(match.group(1))
    if not VAT_REPORT_FIRST_YEAR <= year <= VAT_REPORT_LAST_YEAR:
        raise ApplicationError(
            _("Give a year from %(first)s to %(last)s.")
            % {"first": VAT_REPORT_FIRST_YEAR, "last": VAT_REPORT_LAST_YEAR},
            field="period",
        )
    if month is not None:
        first_month, months = month, 1
    elif match.group(3):
        first_month, months = (int(match.group(3)) - 1) * 3 + 1, 3
    else:
        first_month, months = 1, 12
    start = dt.date(year, first_month, 1)
    end_month = first_month + months
    end = dt.date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return start, end
