"""Admin of the close: a thin edge over the services.

Periods start a close or a preview (actions); runs show progress, phase and ETA; ledger lines and
statements are read-only; adjustments are added through a form that calls the service; payout
batches are created from a closed period, downloaded as the bank CSV or the SEPA file
(admin_sepa.py, with the bank statement import) and marked paid.

Over 500 lines: one thin ModelAdmin per model of the close; none holds a rule.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core import csv  # neutralises formula-like cells (CSV injection)
from core.admin_display import column
from core.errors import ApplicationError
from core.periods import parse_period
from core.templatetags.formatting import duration, money, number, points, rank, rate
from distributors.models import Distributor
from plans.models import Period

from .admin_distributors import RankedDistributorAdmin
from .admin_invoices import SelfBillingInvoiceAdmin  # noqa: F401  (registers the invoices' admin)
from .admin_ranks import RankNamesMixin, rank_column, rank_filter
from .admin_sepa import SepaBatchMixin
from .close import close_run_discard, close_start
from .models import (
    Adjustment,
    CloseChunk,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Payout,
    PayoutBatch,
    Statement,
)
from .selectors import report_figures
from .selectors.payouts import payout_holds_open_of_period
from .selectors.ranks import rank_names
from .selectors.runs import close_run_progress, periods_to_resume
from .services.adjustments import adjustment_create
from .services.payouts import (
    PAYOUT_CSV_COLUMNS,
    payout_batch_create,
    payout_batch_mark_paid,
    payout_batch_rows,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the close writes: viewable, never edited here (the database refuses it anyway).

    Without an explicit `fields`, the page shows every field, each decimal formatted: money
    (2 places) with the currency, rates (10 places) as percentages, volumes with their own decimals.
    """

    def __init__(self, model: Any, admin_site: Any) -> None:
        super().__init__(model, admin_site)
        for field in model._meta.concrete_fields:
            if _is_number(field) and not hasattr(self, _shown(field)):
                # An instance attribute is called with the object only, as the admin calls it.
                show = column(model, field.name, _formatter_of(field))
                setattr(self, _shown(field), _bound(show, self))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self.fields is not None:
            return list(self.fields)
        shown = []
        for field in self.model._meta.concrete_fields:
            if not field.editable or field.primary_key:
                continue
            if hasattr(self, f"{field.name}_named"):  # a rank, with its name (rank_column)
                shown.append(f"{field.name}_named")
            else:
                shown.append(_shown(field) if _is_number(field) else field.name)
        return shown

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _is_number(field: Any) -> bool:
    return isinstance(field, models.DecimalField | models.FloatField)


def _shown(field: Any) -> str:
    return f"{field.name}_shown"


def _bound(show: Any, modeladmin: Any) -> Any:
    def shown(obj: Any) -> str:
        return show(modeladmin, obj)

    shown.short_description = show.short_description  # type: ignore[attr-defined]
    return shown


def _formatter_of(field: Any) -> Any:
    if isinstance(field, models.DecimalField) and field.decimal_places == 2:
        return money
    if isinstance(field, models.DecimalField) and field.name == "rate":
        return rate
    return points


def _start(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Period], preview: bool
) -> CloseRun | None:
    """Start a close (or a preview) of each period through the service; report each outcome."""
    run = None
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
    return run


def _create_payout_batch(
    modeladmin: admin.ModelAdmin, request: HttpRequest, period: Period
) -> PayoutBatch | None:
    try:
        batch = payout_batch_create(period=period.start, actor=request.user)
    except ApplicationError as exc:
        modeladmin.message_user(request, f"{period}: {exc}", messages.ERROR)
        return None
    if batch is None:
        modeladmin.message_user(
            request,
            _(
                "%(period)s: nothing to pay. Every payout still to pay is held (%(count)s): see Held "
                "payouts for the reasons."
            )
            % {"period": period, "count": number(payout_holds_open_of_period(period).count())},
            messages.WARNING,
        )
        return None
    modeladmin.message_user(
        request,
        _("%(reference)s: %(count)s payouts, %(total)s.")
        % {"reference": batch.reference, "count": number(batch.count), "total": money(batch.total)},
        messages.SUCCESS,
    )
    held = batch.holds.count()
    if held:
        modeladmin.message_user(
            request,
            _("%(count)s payouts held: see Held payouts for the reasons (bank account, agreement).")
            % {"count": number(held)},
            messages.WARNING,
        )
    return batch


# The period's page starts the close and creates payout batches: its admin is here, with the close,
# although the model lives in plans (below orders); the plan versions' admin is in plans/admin.py.
@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "status", "plan", "closed_at", "runs_link"]
    list_filter = ["status"]
    list_select_related = ["plan"]
    fields = ["start", "status", "plan", "closed_at", "runs_link", "payout_batches_link"]
    actions = ["start_final_close", "start_preview", "create_payout_batch"]
    change_form_template = "admin/commissions/period/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Period | None = None) -> list[str]:
        # Status and plan change only through the close; a new period is created open.
        return ["status", "plan", "closed_at", "runs_link", "payout_batches_link"] + (
            ["start"] if obj else []
        )

    def get_fields(self, request: HttpRequest, obj: Period | None = None) -> list[str]:
        return self.fields if obj is not None else ["start"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("runs"))
    def runs_link(self, obj: Period) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:commissions_closerun_changelist") + f"?period__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("runs of %(period)s") % {"period": obj})

    @admin.display(description=_("payout batches"))
    def payout_batches_link(self, obj: Period) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:commissions_payoutbatch_changelist") + f"?period__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("payout batches of %(period)s") % {"period": obj})

    @admin.action(description=_("Start the final close of the selected periods"))
    def start_final_close(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        _start(self, request, queryset, preview=False)

    @admin.action(description=_("Start a preview of the selected periods"))
    def start_preview(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        _start(self, request, queryset, preview=True)

    @admin.action(description=_("Create the payout batch of the selected closed periods"))
    def create_payout_batch(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        for period in queryset.order_by("start"):
            _create_payout_batch(self, request, period)

    # --- the buttons of the period page: POST forms, the final close after a confirmation -----

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/final-close/", view(self.final_close_view), name="commissions_period_final_close"),
            path("<int:pk>/preview/", view(self.preview_view), name="commissions_period_preview"),
            path(
                "<int:pk>/payout-batch/", view(self.payout_batch_view), name="commissions_period_payout_batch"
            ),
            *super().get_urls(),
        ]

    def _period_for_button(self, request: HttpRequest, pk: int) -> Period:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Period, pk=pk)

    def _back(self, period: Period, run: CloseRun | None = None) -> HttpResponseRedirect:
        if run is not None:
            return HttpResponseRedirect(reverse("admin:commissions_closerun_change", args=[run.pk]))
        return HttpResponseRedirect(reverse("admin:plans_period_change", args=[period.pk]))

    def final_close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: what the final close does, and a button to confirm; POST: start it."""
        period = self._period_for_button(request, pk)
        if request.method == "POST":
            run = _start(self, request, Period.objects.filter(pk=period.pk), preview=False)
            return self._back(period, run)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": period,
            "title": _("Start the final close of %(period)s?") % {"period": period},
        }
        return render(request, "admin/commissions/period/confirm_final_close.html", context)

    @method_decorator(require_POST)
    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        period = self._period_for_button(request, pk)
        run = _start(self, request, Period.objects.filter(pk=period.pk), preview=True)
        return self._back(period, run)

    @method_decorator(require_POST)
    def payout_batch_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        period = self._period_for_button(request, pk)
        batch = _create_payout_batch(self, request, period)
        if batch is not None:
            return HttpResponseRedirect(reverse("admin:commissions_payoutbatch_change", args=[batch.pk]))
        return self._back(period)


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
        "started_by", "created_at", "started_at", "compute_duration", "finished_at", "error", "notice",
        "discard_reason", "period_report", "explain_and_compare",
    ]  # fmt: skip
    fields = readonly_fields
    inlines = [CloseChunkInline]
    actions = ["resume", "discard"]

    compute_duration = column(CloseRun, "compute_seconds", duration, description=_("compute time"))

    # The period report as a non-engineer reads it: one labelled, formatted row per figure.
    REPORT_ROWS = [
        ("distributors", _("Distributors in the period"), number),
        ("total_rewardable_cv", _("Total rewardable CV"), points),
        ("personal", _("Personal commission"), money),
        ("override", _("Overrides"), money),
        ("clawbacks", _("Clawbacks"), money),
        ("adjustments", _("Adjustments"), money),
        ("carried_in", _("Carried in from last period"), money),
        ("total_paid", _("Total paid out"), money),
        ("paid_distributors", _("Distributors paid"), number),
        ("carried_out", _("Carried forward"), money),
        ("breakage", _("Breakage (overrides nobody qualified for)"), money),
        ("host_credit_issued", _("Host credit issued"), money),
        ("lines", _("Ledger lines"), number),
        ("duration_seconds", _("Duration"), duration),
    ]

    @admin.display(description=_("period report"))
    def period_report(self, obj: CloseRun) -> str:
        report = report_figures.period_report(obj)
        if report is None:
            return "-"
        rows = []
        for figure, label, formatter in self.REPORT_ROWS:
            value = getattr(report, figure)
            if value is not None:
                rows.append(format_html("<tr><th>{}</th><td>{}</td></tr>", label, formatter(value)))
        ranks = report.ranks
        names = rank_names(obj.plan) if ranks else {}
        for number_, count in ranks.items():
            label = _("Paid as %(rank)s") % {"rank": rank(number_, names)}
            rows.append(format_html("<tr><th>{}</th><td>{}</td></tr>", label, number(count)))
        return format_html('<table class="bo-report">{}</table>', mark_safe("".join(rows)))

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
            "done": number(p.chunks_done),
            "total": number(p.chunks_total),
        }

    @admin.display(description=_("ETA"))
    def eta(self, obj: CloseRun) -> str:
        progress = close_run_progress(obj)
        if progress.stalled_since is not None:
            # No rising ETA for a run nobody works on: since when it waits (the watchdog acts on it).
            return _("waiting for a worker since %(time)s") % {
                "time": date_format(timezone.localtime(progress.stalled_since), "SHORT_DATETIME_FORMAT")
            }
        return duration(progress.eta_seconds)

    @admin.action(description=_("Resume the selected final closes"))
    def resume(self, request: HttpRequest, queryset: QuerySet[CloseRun]) -> None:
        _start(self, request, periods_to_resume(queryset), preview=False)

    # --- discard a final close that has not succeeded: a confirmation page with a reason --------

    def has_discard_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The run admin is read-only (has_change_permission is False); discarding is the one change.
        return request.user.has_perm("commissions.change_closerun")

    @staticmethod
    def discardable(run: CloseRun) -> bool:
        return run.kind == CloseRunKind.FINAL and run.status not in (
            CloseRunStatus.SUCCEEDED,
            CloseRunStatus.DISCARDED,
        )

    @admin.action(description=_("Discard the selected final close…"), permissions=["discard"])
    def discard(self, request: HttpRequest, queryset: QuerySet[CloseRun]) -> HttpResponse | None:
        runs = list(queryset[:2])
        if len(runs) != 1 or not self.discardable(runs[0]):
            self.message_user(
                request,
                _("Select one final close that has not succeeded to discard it."),
                messages.ERROR,
            )
            return None
        return HttpResponseRedirect(reverse("admin:commissions_closerun_discard", args=[runs[0].pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/discard/", view(self.discard_view), name="commissions_closerun_discard"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra_context = {**(extra_context or {}), "can_discard": self.has_discard_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def discard_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: what discarding does, and a form asking why; POST: discard through the service."""
        if not self.has_discard_permission(request):
            raise PermissionDenied
        run = get_object_or_404(CloseRun.objects.select_related("period", "plan"), pk=pk)
        back = HttpResponseRedirect(reverse("admin:commissions_closerun_change", args=[run.pk]))
        if not self.discardable(run):
            self.message_user(
                request,
                _("%(run)s is %(status)s: only a final close that has not succeeded can be discarded.")
                % {"run": run, "status": run.get_status_display().lower()},
                messages.ERROR,
            )
            return back
        form = DiscardCloseForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                run = close_run_discard(
                    period=run.period.start,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    run_id=run.pk,
                )
            except ApplicationError as exc:
                if exc.field != "reason":
                    self.message_user(request, str(exc), messages.ERROR)
                    return back
                form.add_error("reason", str(exc))
            else:
                self.message_user(
                    request,
                    _("%(run)s is discarded and %(period)s is open again; start its close again when ready.")
                    % {"run": run, "period": run.period},
                    messages.SUCCESS,
                )
                self.message_user(request, run.notice, messages.INFO)
                return back
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": run,
            "form": form,
            "title": _("Discard %(run)s?") % {"run": run},
        }
        return render(request, "admin/commissions/closerun/confirm_discard.html", context)


class DiscardCloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text=_("Why the close cannot finish; recorded in the audit log with your name."),
    )


@admin.register(DistributorPeriod)
class DistributorPeriodAdmin(RankNamesMixin, ReadOnlyAdmin):
    list_display = [
        "distributor",
        "period",
        "run",
        "pv_shown",
        "gv_shown",
        "paid_as_rank_named",
        "title_named",
        "active",
        "override_eligible",
    ]
    list_filter = [
        "run__kind",
        "period",
        rank_filter("paid_as_rank", _("paid-as rank")),
        "active",
        "override_eligible",
    ]
    raw_id_fields = ["distributor", "run"]
    search_fields = ["distributor__external_id"]
    list_select_related = ["distributor", "period", "run__period"]

    pv_shown = column(DistributorPeriod, "pv", points)
    gv_shown = column(DistributorPeriod, "gv", points)
    paid_as_rank_named = rank_column("paid_as_rank", _("paid-as rank"))
    title_named = rank_column("title", _("title"))
    subtree_max_rank_named = rank_column("subtree_max_rank", _("highest rank in the downline"))

    def rank_plan_id(self, obj: DistributorPeriod) -> int:
        return obj.run.plan_id  # a run's ranks are named by its own plan


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyAdmin):
    list_display = [
        "distributor",
        "period",
        "kind",
        "source",
        "level",
        "rate_shown",
        "base_shown",
        "amount_shown",
        "original_period",
    ]
    list_filter = ["run__kind", "kind", "period"]
    raw_id_fields = ["distributor", "source", "run", "reversed_line", "adjustment"]
    search_fields = ["distributor__external_id", "source__external_id", "key"]
    list_select_related = ["distributor", "source", "period"]

    rate_shown = column(LedgerLine, "rate", rate)
    base_shown = column(LedgerLine, "base", points)
    amount_shown = column(LedgerLine, "amount", money)


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = [
        "distributor", "period", "run", "carried_in_shown", "personal_shown", "override_shown",
        "clawbacks_shown", "adjustments_shown", "net_shown", "payout_shown", "carried_out_shown",
    ]  # fmt: skip
    list_filter = ["run__kind", "period"]
    raw_id_fields = ["distributor", "run"]
    search_fields = ["distributor__external_id"]
    list_select_related = ["distributor", "period", "run__period"]

    carried_in_shown = column(Statement, "carried_in", money)
    personal_shown = column(Statement, "personal", money)
    override_shown = column(Statement, "override", money)
    clawbacks_shown = column(Statement, "clawbacks", money)
    adjustments_shown = column(Statement, "adjustments", money)
    net_shown = column(Statement, "net", money)
    payout_shown = column(Statement, "payout", money)
    carried_out_shown = column(Statement, "carried_out", money)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """What each distributor was paid, by batch (written by the payout batch, never edited)."""

    list_display = ["reference", "distributor", "batch", "amount_shown", "status", "statement"]
    list_filter = ["status", "batch__status", "batch__period"]
    search_fields = ["=reference", "distributor__external_id", "distributor__last_name"]
    list_select_related = ["distributor", "batch", "statement__period", "statement__distributor"]
    raw_id_fields = ["distributor", "batch", "statement"]

    amount_shown = column(Payout, "amount", money)


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
    list_display = ["distributor", "period", "amount_shown", "reason", "created_by", "created_at"]
    list_filter = ["period"]
    raw_id_fields = ["distributor"]
    search_fields = ["distributor__external_id", "reason"]

    amount_shown = column(Adjustment, "amount", money)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = AdjustmentForm
            kwargs["fields"] = ["distributor", "period_label", "amount", "reason"]
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Adjustment | None = None) -> list[str]:
        return ["distributor", "period", "amount_shown", "reason", "created_by", "created_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Adjustment | None = None) -> list[str]:
        if obj is None:
            return ["distributor", "period_label", "amount", "reason"]
        return ["distributor", "period", "amount_shown", "reason", "created_by", "created_at"]

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
class PayoutBatchAdmin(SepaBatchMixin, ReadOnlyAdmin):
    list_display = [
        "reference", "period", "status", "count_shown", "total_shown", "created_at", "paid_at", "csv_link",
        "pain001_link",
    ]  # fmt: skip
    list_filter = ["status", "period"]
    readonly_fields = [
        "reference",
        "period",
        "status",
        "count_shown",
        "total_shown",
        "created_at",
        "created_by",
        "paid_at",
        "paid_by",
        "payouts_link",
        "holds_link",
        "csv_link",
        "pain001_link",
    ]
    fields = readonly_fields
    actions = ["mark_paid"]

    count_shown = column(PayoutBatch, "count", number)
    total_shown = column(PayoutBatch, "total", money)

    @admin.display(description=_("payouts"))
    def payouts_link(self, obj: PayoutBatch) -> str:
        url = reverse("admin:commissions_payout_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("the payouts of this batch"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/csv/", self.admin_site.admin_view(self.csv_view), name="commissions_payoutbatch_csv"
            ),
            *self.sepa_urls(),
            *super().get_urls(),
        ]

    @admin.display(description=_("bank file"))
    def csv_link(self, obj: PayoutBatch) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:commissions_payoutbatch_csv", args=[obj.pk]),
            _("CSV for the bank"),
        )

    def csv_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        batch = get_object_or_404(PayoutBatch.objects.select_related("period"), pk=pk)
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


# The distributors' admin once more, with the rank and title named by the plan (admin_distributors.py).
admin.site.unregister(Distributor)
admin.site.register(Distributor, RankedDistributorAdmin)
