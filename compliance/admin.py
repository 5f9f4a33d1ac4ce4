"""The compliance pages of the admin: period reports with their warnings, and the income disclosure
statement of a year (page, CSV, printable page). Read-only: numbers come from the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from compliance.models import ComplianceReport
from compliance.selectors import compliance_thresholds, income_disclosure, income_disclosure_csv_rows
from compliance.services import compliance_report_compute
from compliance.warnings import localized_warnings
from core import csv  # neutralises formula-like cells (CSV injection)
from core.errors import ApplicationError
from core.periods import parse_period, period_label
from core.templatetags.formatting import money, number, percent, points


def report_sections(report: ComplianceReport) -> list[dict]:
    """The report's numbers grouped and explained, for the detail page."""
    flagged = {w["code"] for w in report.warnings}

    def row(label, value, help_text, code=None):
        return {"label": label, "value": value, "help": help_text, "flagged": code in flagged}

    cap = (
        _("no cap")
        if report.consumption_cap_qv is None
        else _("%(qv)s QV") % {"qv": points(report.consumption_cap_qv)}
    )
    sections = [
        {
            "title": _("Sales to end customers vs. purchases by distributors"),
            "rows": [
                row(
                    _("Volume sold to end customers"),
                    _("%(qv)s QV") % {"qv": points(report.customer_qv)},
                    _("QV of customer orders."),
                ),
                row(
                    _("Volume bought by distributors"),
                    _("%(qv)s QV") % {"qv": points(report.own_qv)},
                    _("QV of own orders."),
                ),
                row(
                    _("Share sold to end customers"),
                    percent(report.customer_volume_share),
                    _("Customer QV ÷ all QV of the period, net of returns refunded in the period."),
                    "customer_volume_share",
                ),
                row(
                    _("Share bought by distributors"), percent(report.own_volume_share), _("Own QV ÷ all QV.")
                ),
            ],
        },
        {
            "title": _("Own purchases above the cap (non-rewardable)"),
            "rows": [
                row(_("Personal consumption cap"), cap, _("Own purchases above it earn nothing.")),
                row(
                    _("Volume above the cap"),
                    _("%(qv)s QV") % {"qv": points(report.over_cap_qv)},
                    _("Σ max(0, PPC − cap)."),
                ),
                row(
                    _("Distributors above the cap"),
                    _("%(over)s of %(buyers)s who bought for themselves")
                    % {"over": number(report.over_cap_distributors), "buyers": number(report.own_buyers)},
                    "",
                ),
                row(_("Share above the cap"), percent(report.over_cap_share), "", "over_cap_share"),
            ],
        },
    ]
    if report.run_id:
        sections.append(
            {
                "title": _("Rewards and payouts (from the close)"),
                "rows": [
                    row(
                        _("Personal commission"),
                        money(report.personal_commission),
                        _("All of it is paid on customer sales."),
                    ),
                    row(_("Overrides"), money(report.override_commission), ""),
                    row(
                        _("Rewards from customer sales"),
                        money(report.customer_rewards),
                        _("Personal commission + each override × its source's customer CV ÷ rewardable CV."),
                    ),
                    row(
                        _("Share of rewards from customer sales"),
                        percent(report.customer_reward_share),
                        "",
                        "customer_reward_share",
                    ),
                    row(
                        _("Distributors in the period"),
                        number(report.distributors),
                        _("Everyone with a statement."),
                    ),
                    row(
                        _("Earned anything"),
                        number(report.earning_distributors),
                        _("Lines of the period above zero."),
                    ),
                    row(
                        _("Paid anything"),
                        f"{number(report.paid_distributors)} ({percent(report.paid_share)})",
                        _("A payout above zero this period."),
                        "paid_share",
                    ),
                    row(_("Total paid out"), money(report.total_payout), ""),
                    row(
                        _("Median payout (everyone)"),
                        money(report.median_payout),
                        _("Half got this or less; zeros count."),
                    ),
                    row(_("Mean payout (everyone)"), money(report.mean_payout), ""),
                    row(_("Median payout (of those paid)"), money(report.median_payout_paid), ""),
                    row(_("Mean payout (of those paid)"), money(report.mean_payout_paid), ""),
                ],
            }
        )
    else:
        sections.append(
            {
                "title": _("Rewards and payouts"),
                "rows": [row(_("Not closed yet"), "–", _("These numbers come with the period's close."))],
            }
        )
    sections += [
        {
            "title": _("Inventory bought vs. resold"),
            "rows": [
                row(
                    _("Inventory bought"),
                    money(report.inventory_bought_value),
                    _("Price paid for inventory orders."),
                ),
                row(
                    _("Sold to customers"),
                    money(report.customer_sales_value),
                    _("What customers paid, ex VAT."),
                ),
                row(
                    _("Resale ratio (volume)"),
                    percent(report.inventory_resale_ratio),
                    _("Customer QV ÷ inventory QV bought."),
                    "inventory_resale_ratio",
                ),
                row(
                    _("Bought inventory, sold nothing"),
                    _("%(without_sales)s of %(buyers)s (inventory worth %(value)s)")
                    % {
                        "without_sales": number(report.inventory_without_sales),
                        "buyers": number(report.inventory_buyers),
                        "value": money(report.inventory_without_sales_value),
                    },
                    "",
                ),
            ],
        },
        {
            "title": _("Buy-back"),
            "rows": [
                row(_("Requests made"), number(report.buyback_requests), ""),
                row(_("Approved (fully or partly)"), number(report.buyback_count), ""),
                row(_("Rejected"), number(report.buyback_rejected), ""),
                row(_("Refunded"), money(report.buyback_value), ""),
                row(
                    _("Buy-back rate"),
                    percent(report.buyback_rate),
                    _("Refunded ÷ value of distributors' own purchases in the period."),
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

    @admin.display(description=gettext_lazy("period"), ordering="period_start")
    def period(self, obj):
        return obj.period_label

    @admin.display(description=gettext_lazy("from"))
    def run_kind_label(self, obj):
        return {"final": _("Final close"), "preview": _("Preview")}.get(obj.run_kind, _("Orders only"))

    @admin.display(description=gettext_lazy("sold to customers"))
    def customer_share(self, obj):
        return percent(obj.customer_volume_share)

    @admin.display(description=gettext_lazy("rewards from customers"))
    def reward_share(self, obj):
        return percent(obj.customer_reward_share)

    @admin.display(description=gettext_lazy("paid anything"))
    def paid(self, obj):
        return percent(obj.paid_share)

    @admin.display(description=gettext_lazy("buy-back"))
    def buyback(self, obj):
        return f"{number(obj.buyback_count)} / {money(obj.buyback_value)}"

    @admin.display(description=gettext_lazy("warnings"))
    def warnings_badge(self, obj):
        count = obj.warning_count
        if not count:
            return format_html('<span class="bo-ok">{}</span>', _("none"))
        return format_html('<strong class="bo-alert">⚠ {}</strong>', number(count))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Recompute selected reports"))
    def recompute(self, request, queryset):
        for report in queryset.select_related("run__period"):
            # An orders-only report stays one: recomputing must not turn into the final run's report.
            compliance_report_compute(
                period_start=report.period_start, run=report.run, orders_only=report.run is None
            )
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d report(s) recomputed.", "%(count)d report(s) recomputed.", count)
            % {"count": count},
            messages.SUCCESS,
        )

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
                "title": _("Compliance report %(period)s") % {"period": report.period_label},
                "report": report,
                "sections": report_sections(report),
                "warnings": [w for w in localized_warnings(report.warnings) if w["level"] == "warning"],
                "infos": [w for w in localized_warnings(report.warnings) if w["level"] != "warning"],
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
        self.message_user(
            request,
            _("Compliance report of %(period)s computed.") % {"period": period_label(period)},
            messages.SUCCESS,
        )
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
                "title": _("Income disclosure statement %(year)s") % {"year": year},
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
