"""Admin of the close: a thin edge over the services.

Periods start a close or a preview (actions); runs show progress, phase and ETA; ledger lines and
statements are read-only; adjustments are added through a form that calls the service; payout
batches are created from a closed period, downloaded as the bank CSV and marked paid.
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.periods import parse_period

from .models import (
    Adjustment,
    CloseChunk,
    CloseRun,
    DistributorPeriod,
    LedgerLine,
    PayoutBatch,
    Period,
    Plan,
    Statement,
)
from .selectors import close_run_progress
from .services.adjustments import adjustment_create
from .services.close import close_start
from .services.payouts import (
    PAYOUT_CSV_COLUMNS,
    payout_batch_create,
    payout_batch_mark_paid,
    payout_batch_rows,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the close writes: viewable, never edited here (the database refuses it anyway)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "plan_type", "loaded_at", "loaded_by"]
    search_fields = ["name", "version"]


def _start(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Period], preview: bool
) -> None:
    for period in queryset.order_by("start"):
        try:
            run = close_start(period=period.start, preview=preview, actor=request.user)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{period}: {exc}", messages.ERROR)
        else:
            url = reverse("admin:commissions_closerun_change", args=[run.pk])
            modeladmin.message_user(
                request,
                format_html(
                    _('{period}: <a href="{url}">{run}</a> started.'), period=period, url=url, run=run
                ),
                messages.SUCCESS,
            )


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "status", "plan", "closed_at", "runs_link"]
    list_filter = ["status"]
    list_select_related = ["plan"]
    fields = ["start", "status", "plan", "closed_at"]
    actions = ["start_final_close", "start_preview", "create_payout_batch"]

    def get_readonly_fields(self, request: HttpRequest, obj: Period | None = None) -> list[str]:
        # Status and plan change only through the close; a new period is created open.
        return ["status", "plan", "closed_at"] + (["start"] if obj else [])

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("runs"))
    def runs_link(self, obj: Period) -> str:
        url = reverse("admin:commissions_closerun_changelist") + f"?period__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("runs"))

    @admin.action(description=_("Start the final close of the selected periods"))
    def start_final_close(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        _start(self, request, queryset, preview=False)

    @admin.action(description=_("Start a preview of the selected periods"))
    def start_preview(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        _start(self, request, queryset, preview=True)

    @admin.action(description=_("Create the payout batch of the selected closed periods"))
    def create_payout_batch(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        for period in queryset.order_by("start"):
            try:
                batch = payout_batch_create(period=period.start, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{period}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(reference)s: %(count)s payouts, %(total)s.")
                    % {"reference": batch.reference, "count": batch.count, "total": batch.total},
                )


class CloseChunkInline(admin.TabularInline):
    model = CloseChunk
    fields = ["number", "status", "distributors", "lines", "claimed_by", "claimed_at", "attempts", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CloseRun)
class CloseRunAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "kind",
        "status",
        "phase",
        "progress",
        "eta",
        "plan",
        "started_at",
        "finished_at",
    ]
    list_filter = ["kind", "status", "period"]
    list_select_related = ["period", "plan"]
    readonly_fields = [
        "period", "plan", "kind", "status", "phase", "progress", "eta", "chunks_total", "chunks_done",
        "started_by", "created_at", "started_at", "compute_seconds", "finished_at", "error", "period_report",
        "explain_and_compare",
    ]  # fmt: skip
    fields = readonly_fields
    inlines = [CloseChunkInline]
    actions = ["resume"]

    # The summary as a non-engineer reads it: one labelled row per figure of the period report.
    REPORT_ROWS = [
        ("distributors", _("Distributors in the period")),
        ("total_rewardable_cv", _("Total rewardable CV")),
        (("totals", "personal"), _("Personal commission")),
        (("totals", "override"), _("Overrides")),
        (("totals", "clawbacks"), _("Clawbacks")),
        (("totals", "adjustments"), _("Adjustments")),
        (("totals", "carried_in"), _("Carried in from last period")),
        ("total_paid", _("Total paid out")),
        ("paid_distributors", _("Distributors paid")),
        (("totals", "carried_out"), _("Carried forward")),
        ("breakage", _("Breakage (overrides nobody qualified for)")),
        ("host_credit_issued", _("Host credit issued")),
        ("lines", _("Ledger lines")),
        ("duration_seconds", _("Duration (s)")),
    ]

    @admin.display(description=_("period report"))
    def period_report(self, obj: CloseRun) -> str:
        summary = obj.summary or {}
        if not summary:
            return "-"
        rows = []
        for key, label in self.REPORT_ROWS:
            value = summary.get(key[0], {}).get(key[1]) if isinstance(key, tuple) else summary.get(key)
            if value is not None:
                rows.append(
                    format_html("<tr><th>{}</th><td style='text-align:right'>{}</td></tr>", label, value)
                )
        ranks = summary.get("ranks") or {}
        if ranks:
            by_rank = ", ".join(
                _("rank %(rank)s: %(count)s") % {"rank": rank, "count": count}
                for rank, count in ranks.items()
            )
            rows.append(format_html("<tr><th>{}</th><td>{}</td></tr>", _("Paid-as ranks"), by_rank))
        return format_html("<table>{}</table>", mark_safe("".join(rows)))

    @admin.display(description=_("explain and compare"))
    def explain_and_compare(self, obj: CloseRun) -> str:
        if obj.pk is None:
            return "-"
        explain = reverse("commissions_explain", args=[obj.pk])
        compare = reverse("commissions_compare") + f"?a={obj.pk}"
        # Links, not a form: this sits inside the admin's own change form.
        return format_html(
            '<a href="{}">{}</a> &nbsp; <a href="{}">{}</a>',
            explain,
            _("Explain a distributor in this run…"),
            compare,
            _("Compare this run with another…"),
        )

    @admin.display(description=_("progress"))
    def progress(self, obj: CloseRun) -> str:
        p = close_run_progress(obj)
        return _("%(percent)s%% (%(done)s/%(total)s chunks)") % {
            "percent": p.percent,
            "done": p.chunks_done,
            "total": p.chunks_total,
        }

    @admin.display(description=_("ETA"))
    def eta(self, obj: CloseRun) -> str:
        seconds = close_run_progress(obj).eta_seconds
        return "-" if seconds is None else _("%(seconds)s s") % {"seconds": f"{seconds:.0f}"}

    @admin.action(description=_("Resume the selected final closes"))
    def resume(self, request: HttpRequest, queryset: QuerySet[CloseRun]) -> None:
        periods = Period.objects.filter(runs__in=queryset.filter(kind="final")).distinct()
        _start(self, request, periods, preview=False)


@admin.register(DistributorPeriod)
class DistributorPeriodAdmin(ReadOnlyAdmin):
    list_display = [
        "distributor",
        "period",
        "run",
        "pv",
        "gv",
        "paid_as_rank",
        "title",
        "active",
        "override_eligible",
    ]
    list_filter = ["run__kind", "period", "paid_as_rank", "active", "override_eligible"]
    raw_id_fields = ["distributor", "run"]
    search_fields = ["distributor__external_id"]
    list_select_related = ["distributor", "period", "run__period"]


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyAdmin):
    list_display = [
        "distributor",
        "period",
        "kind",
        "source",
        "level",
        "rate",
        "base",
        "amount",
        "original_period",
    ]
    list_filter = ["run__kind", "kind", "period"]
    raw_id_fields = ["distributor", "source", "run", "reversed_line", "adjustment"]
    search_fields = ["distributor__external_id", "source__external_id", "key"]
    list_select_related = ["distributor", "source", "period"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = [
        "distributor", "period", "run", "carried_in", "personal", "override", "clawbacks", "adjustments",
        "net", "payout", "carried_out",
    ]  # fmt: skip
    list_filter = ["run__kind", "period"]
    raw_id_fields = ["distributor", "run"]
    search_fields = ["distributor__external_id"]
    list_select_related = ["distributor", "period", "run__period"]


class AdjustmentForm(forms.ModelForm):
    period_label = forms.CharField(label=_("Period"), help_text=_("YYYY-MM of an open period"))

    class Meta:
        model = Adjustment
        fields = ["distributor", "amount", "reason"]

    def clean_period_label(self) -> str:
        try:
            parse_period(self.cleaned_data["period_label"])
        except ApplicationError as exc:
            raise forms.ValidationError(str(exc)) from None
        return self.cleaned_data["period_label"]


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    list_display = ["distributor", "period", "amount", "reason", "created_by", "created_at"]
    list_filter = ["period"]
    raw_id_fields = ["distributor"]
    search_fields = ["distributor__external_id", "reason"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = AdjustmentForm
            kwargs["fields"] = ["distributor", "period_label", "amount", "reason"]
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Adjustment | None = None) -> list[str]:
        return ["distributor", "period", "amount", "reason", "created_by", "created_at"] if obj else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Adjustment, form: forms.ModelForm, change: bool) -> None:
        created = adjustment_create(
            distributor=form.cleaned_data["distributor"],
            period=parse_period(form.cleaned_data["period_label"]),
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        obj.pk = created.pk
        obj.period = created.period

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["reference", "period", "status", "count", "total", "created_at", "paid_at", "csv_link"]
    list_filter = ["status", "period"]
    readonly_fields = [
        "reference",
        "period",
        "status",
        "count",
        "total",
        "created_at",
        "created_by",
        "paid_at",
        "paid_by",
    ]
    fields = readonly_fields
    actions = ["mark_paid"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/csv/", self.admin_site.admin_view(self.csv_view), name="commissions_payoutbatch_csv"
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("bank file"))
    def csv_link(self, obj: PayoutBatch) -> str:
        return format_html(
            '<a href="{}">CSV</a>', reverse("admin:commissions_payoutbatch_csv", args=[obj.pk])
        )

    def csv_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        batch = PayoutBatch.objects.select_related("period").get(pk=pk)
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{batch.reference}.csv"'
        writer = csv.writer(response, lineterminator="\n")
        writer.writerow(PAYOUT_CSV_COLUMNS)
        writer.writerows(payout_batch_rows(batch))
        return response

    @admin.action(description=_("Mark the selected batches paid (the bank has executed them)"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[PayoutBatch]) -> None:
        for batch in queryset:
            try:
                payout_batch_mark_paid(batch=batch, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("%(reference)s marked paid.") % {"reference": batch.reference})
