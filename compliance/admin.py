"""The compliance pages of the admin: period reports with their warnings, and the income disclosure
statement of a year (page, CSV, printable page). Read-only: numbers come from the services."""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from compliance.models import ComplianceReport
from compliance.selectors import compliance_thresholds, income_disclosure, income_disclosure_csv_rows, percent
from compliance.services import compliance_report_compute
from core.errors import ApplicationError
from core.periods import parse_period, period_label


def report_sections(report: ComplianceReport) -> list[dict]:
    """The report's numbers grouped and explained, for the detail page."""
    flagged = {w["code"] for w in report.warnings}

    def row(label, value, help_text, code=None):
        return {"label": label, "value": value, "help": help_text, "flagged": code in flagged}

    cap = "no cap" if report.consumption_cap_qv is None else f"{report.consumption_cap_qv.normalize():f} QV"
    sections = [
        {
            "title": "Sales to end customers vs. purchases by distributors",
            "rows": [
                row(
                    "Volume sold to end customers",
                    f"{report.customer_qv.normalize():f} QV",
                    "QV of customer orders.",
                ),
                row(
                    "Volume bought by distributors", f"{report.own_qv.normalize():f} QV", "QV of own orders."
                ),
                row(
                    "Share sold to end customers",
                    percent(report.customer_volume_share),
                    "Customer QV ÷ all QV of the period, net of returns refunded in the period.",
                    "customer_volume_share",
                ),
                row("Share bought by distributors", percent(report.own_volume_share), "Own QV ÷ all QV."),
            ],
        },
        {
            "title": "Own purchases above the cap (non-rewardable)",
            "rows": [
                row("Personal consumption cap", cap, "Own purchases above it earn nothing."),
                row("Volume above the cap", f"{report.over_cap_qv.normalize():f} QV", "Σ max(0, PPC − cap)."),
                row(
                    "Distributors above the cap",
                    f"{report.over_cap_distributors} of {report.own_buyers} who bought for themselves",
                    "",
                ),
                row("Share above the cap", percent(report.over_cap_share), "", "over_cap_share"),
            ],
        },
    ]
    if report.run_id:
        sections.append(
            {
                "title": "Rewards and payouts (from the close)",
                "rows": [
                    row(
                        "Personal commission",
                        report.personal_commission,
                        "All of it is paid on customer sales.",
                    ),
                    row("Overrides", report.override_commission, ""),
                    row(
                        "Rewards from customer sales",
                        report.customer_rewards,
                        "Personal commission + each override × its source's customer CV ÷ rewardable CV.",
                    ),
                    row(
                        "Share of rewards from customer sales",
                        percent(report.customer_reward_share),
                        "",
                        "customer_reward_share",
                    ),
                    row("Distributors in the period", report.distributors, "Everyone with a statement."),
                    row("Earned anything", report.earning_distributors, "Lines of the period above zero."),
                    row(
                        "Paid anything",
                        f"{report.paid_distributors} ({percent(report.paid_share)})",
                        "A payout above zero this period.",
                        "paid_share",
                    ),
                    row("Total paid out", report.total_payout, ""),
                    row(
                        "Median payout (everyone)",
                        report.median_payout,
                        "Half got this or less; zeros count.",
                    ),
                    row("Mean payout (everyone)", report.mean_payout, ""),
                    row("Median payout (of those paid)", report.median_payout_paid, ""),
                    row("Mean payout (of those paid)", report.mean_payout_paid, ""),
                ],
            }
        )
    else:
        sections.append(
            {
                "title": "Rewards and payouts",
                "rows": [row("Not closed yet", "–", "These numbers come with the period's close.")],
            }
        )
    sections += [
        {
            "title": "Inventory bought vs. resold",
            "rows": [
                row("Inventory bought", report.inventory_bought_value, "Price paid for inventory orders."),
                row("Sold to customers", report.customer_sales_value, "What customers paid, ex VAT."),
                row(
                    "Resale ratio (volume)",
                    percent(report.inventory_resale_ratio),
                    "Customer QV ÷ inventory QV bought.",
                    "inventory_resale_ratio",
                ),
                row(
                    "Bought inventory, sold nothing",
                    f"{report.inventory_without_sales} of {report.inventory_buyers} "
                    f"(inventory worth {report.inventory_without_sales_value})",
                    "",
                ),
            ],
        },
        {
            "title": "Buy-back",
            "rows": [
                row("Requests made", report.buyback_requests, ""),
                row("Approved (fully or partly)", report.buyback_count, ""),
                row("Rejected", report.buyback_rejected, ""),
                row("Refunded", report.buyback_value, ""),
                row(
                    "Buy-back rate",
                    percent(report.buyback_rate),
                    "Refunded ÷ value of distributors' own purchases in the period.",
                    "buyback_rate",
                ),
            ],
        },
    ]
    return sections


@admin.register(ComplianceReport)
class ComplianceReportAdmin(admin.ModelAdmin):
    list_display = (
        "period",
        "run_kind_label",
        "computed_at",
        "customer_share",
        "reward_share",
        "paid",
        "buyback",
        "warnings_badge",
    )
    list_filter = ("run_kind",)
    date_hierarchy = "period_start"
    actions = ["recompute"]
    change_list_template = "compliance/admin_report_list.html"

    @admin.display(description="period", ordering="period_start")
    def period(self, obj):
        return obj.period_label

    @admin.display(description="from")
    def run_kind_label(self, obj):
        return {"final": "Final close", "preview": "Preview"}.get(obj.run_kind, "Orders only")

    @admin.display(description="sold to customers")
    def customer_share(self, obj):
        return percent(obj.customer_volume_share)

    @admin.display(description="rewards from customers")
    def reward_share(self, obj):
        return percent(obj.customer_reward_share)

    @admin.display(description="paid anything")
    def paid(self, obj):
        return percent(obj.paid_share)

    @admin.display(description="buy-back")
    def buyback(self, obj):
        return f"{obj.buyback_count} / {obj.buyback_value}"

    @admin.display(description="warnings")
    def warnings_badge(self, obj):
        count = obj.warning_count
        if not count:
            return format_html('<span style="color:#2e7d32">{}</span>', "none")
        return format_html('<strong style="color:#c62828">⚠ {}</strong>', count)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Recompute selected reports")
    def recompute(self, request, queryset):
        for report in queryset.select_related("run__period"):
            # An orders-only report stays one: recomputing must not turn into the final run's report.
            compliance_report_compute(
                period_start=report.period_start, run=report.run, orders_only=report.run is None
            )
        self.message_user(request, f"{queryset.count()} report(s) recomputed.", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("compute/", view(self.compute_view), name="compliance_compliancereport_compute"),
            path("income-disclosure/", view(self.disclosure_view), name="compliance_income_disclosure"),
            path(
                "income-disclosure/<int:year>/csv/",
                view(self.disclosure_csv_view),
                name="compliance_income_disclosure_csv",
            ),
            path(
                "income-disclosure/<int:year>/print/",
                view(self.disclosure_print_view),
                name="compliance_income_disclosure_print",
            ),
            *super().get_urls(),
        ]

    def _require_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_view(request)
        report = get_object_or_404(ComplianceReport.objects.select_related("run"), pk=object_id)
        return render(
            request,
            "compliance/admin_report_detail.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Compliance report {report.period_label}",
                "report": report,
                "sections": report_sections(report),
                "warnings": [w for w in report.warnings if w["level"] == "warning"],
                "infos": [w for w in report.warnings if w["level"] != "warning"],
                "thresholds": report.thresholds or {k: str(v) for k, v in compliance_thresholds().items()},
            },
        )

    def compute_view(self, request: HttpRequest) -> HttpResponse:
        """Compute the report of a period now (from its final close when it has one)."""
        self._require_view(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:compliance_compliancereport_changelist"))
        try:
            period = parse_period(request.POST.get("period", ""))
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:compliance_compliancereport_changelist"))
        report = compliance_report_compute(period_start=period)
        self.message_user(request, f"Compliance report of {period_label(period)} computed.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:compliance_compliancereport_change", args=[report.pk]))

    def _year(self, request: HttpRequest, year: int | None = None) -> int:
        if year is not None:
            return year
        raw = request.GET.get("year", "")
        return int(raw) if raw.isdigit() and 1900 < int(raw) < 3000 else timezone.localdate().year - 1

    def disclosure_view(self, request: HttpRequest) -> HttpResponse:
        self._require_view(request)
        year = self._year(request)
        this_year = timezone.localdate().year
        return render(
            request,
            "compliance/admin_income_disclosure.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Income disclosure statement {year}",
                "d": income_disclosure(year=year),
                "years": list(range(this_year, this_year - 8, -1)),
            },
        )

    def disclosure_csv_view(self, request: HttpRequest, year: int) -> HttpResponse:
        self._require_view(request)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="income-disclosure-{year}.csv"'
        writer = csv.writer(response)
        writer.writerows(income_disclosure_csv_rows(income_disclosure(year=year)))
        return response

    def disclosure_print_view(self, request: HttpRequest, year: int) -> HttpResponse:
        self._require_view(request)
        return render(request, "compliance/income_disclosure_print.html", {"d": income_disclosure(year=year)})
