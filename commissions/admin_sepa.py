"""Admin of SEPA payouts: a batch's pain.001 file, the camt.053 import (the bank statements'
"add" page), the lines the import could not match (which staff mark handled, with a note), and the
payouts held for want of a valid bank account. Thin: each page parses, calls commissions.services,
renders.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_display import column
from core.errors import ApplicationError
from core.templatetags.formatting import money

from .models import BankStatement, BankStatementLine, PayoutBatch, PayoutHold
from .selectors.payouts import bank_lines_open, open_bank_line
from .services.bank_statements import MAX_STATEMENT_BYTES, bank_statement_import, bank_statement_line_handle
from .services.sepa import pain001_filename, payout_batch_pain001


class SepaBatchMixin:
    """For the payout batch's admin: the link to its pain.001 file and the view that serves it."""

    admin_site: admin.AdminSite

    def sepa_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/pain001/",
                self.admin_site.admin_view(self.pain001_view),
                name="commissions_payoutbatch_pain001",
            ),
        ]

    @admin.display(description=_("SEPA file"))
    def pain001_link(self, obj: PayoutBatch) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:commissions_payoutbatch_pain001", args=[obj.pk]),
            _("pain.001 for the bank"),
        )

    @admin.display(description=_("held payouts"))
    def holds_link(self, obj: PayoutBatch) -> str:
        url = reverse("admin:commissions_payouthold_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("left out of this batch"))

    def pain001_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            return HttpResponse(status=403)
        batch = get_object_or_404(PayoutBatch.objects.select_related("period"), pk=pk)
        try:
            content = payout_batch_pain001(batch)
        except ApplicationError as exc:
            self.message_user(request, f"{batch}: {exc}", messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("admin:commissions_payoutbatch_change", args=[pk]))
        response = HttpResponse(content, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{pain001_filename(batch)}"'
        return response


class _ViewOnly:
    """What the bank and the batches decided: shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BankStatementImportForm(forms.Form):
    file = forms.FileField(
        label=_("camt.053 file"),
        help_text=_("The bank statement of the company's account, as the bank gives it (XML)."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than a bank statement can be (20 MB)."))
        return upload


MAX_HANDLE_ROWS = 500  # lines marked handled by one action


class HandledNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text=_(
            "What was done about the lines (e.g. booked by hand as bank charges); kept with your name."
        ),
    )


class HandlingFilter(admin.SimpleListFilter):
    """Unmatched lines still to look into, and those staff have marked handled."""

    title = _("handling")
    parameter_name = "handling"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Unmatched, to handle")), ("handled", _("Handled"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[BankStatementLine]
    ) -> QuerySet[BankStatementLine]:
        if self.value() == "open":
            return bank_lines_open(queryset)
        if self.value() == "handled":
            return queryset.filter(handled_at__isnull=False)
        return queryset


class BankStatementLineInline(admin.TabularInline):
    model = BankStatementLine
    fields = (
        "number", "booked_on", "amount", "credit", "end_to_end_id", "counterparty", "return_code",
        "payout", "outcome", "problem", "handled_at",
    )  # fmt: skip
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin):
    """Imported statements; "add" imports one (the service matches its lines to the payouts)."""

    list_display = [
        "statement_id", "account_iban", "created_on", "imported_at", "paid", "returned", "unmatched_link",
    ]  # fmt: skip
    readonly_fields = (
        "statement_id", "account_iban", "message_id", "created_on", "filename", "digest", "imported_at",
        "imported_by", "paid", "returned", "unmatched_link",
    )  # fmt: skip
    fields = readonly_fields
    inlines = [BankStatementLineInline]
    search_fields = ["=statement_id", "=message_id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BankStatement]:
        # The unmatched lines staff have not marked handled yet (`unmatched` counts all of them).
        return (
            super()
            .get_queryset(request)
            .annotate(
                to_handle=Count(
                    "lines",
                    filter=open_bank_line("lines__"),
                )
            )
        )

    @admin.display(description=_("unmatched, to handle"), ordering="to_handle")
    def unmatched_link(self, obj: BankStatement) -> str:
        to_handle = getattr(obj, "to_handle", obj.unmatched)
        if not obj.unmatched:
            return "0"
        url = (
            reverse("admin:commissions_bankstatementline_changelist")
            + f"?statement__id__exact={obj.pk}&handling="
        )
        if not to_handle:
            return format_html(
                '<a href="{}">{}</a>', url + "handled", _("0 (%(count)d handled)") % {"count": obj.unmatched}
            )
        return format_html('<a href="{}">{}</a>', url + "open", to_handle)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = BankStatementImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = bank_statement_import(data=upload.read(), filename=upload.name, actor=request.user)
            except ApplicationError as exc:
                form.add_error("file", str(exc))
            else:
                statement = result.statement
                if result.created:
                    self.message_user(
                        request,
                        _("Statement %(id)s: %(paid)d paid, %(returned)d returned, %(unmatched)d unmatched.")
                        % {
                            "id": statement.statement_id,
                            "paid": statement.paid,
                            "returned": statement.returned,
                            "unmatched": statement.unmatched,
                        },
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request,
                        _("Statement %(id)s was imported before: nothing changed.")
                        % {"id": statement.statement_id},
                        messages.WARNING,
                    )
                return HttpResponseRedirect(
                    reverse("admin:commissions_bankstatement_change", args=[statement.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a bank statement (camt.053)"),
            "form": form,
        }
        return render(
            request,
            "admin/commissions/bankstatement/import.html",
            context,
            status=400 if form.errors else 200,
        )


@admin.register(BankStatementLine)
class BankStatementLineAdmin(_ViewOnly, admin.ModelAdmin):
    """Every line of the imported statements; the unmatched ones are for staff to look into."""

    list_display = [
        "statement", "number", "booked_on", "amount_shown", "credit", "end_to_end_id", "counterparty",
        "remittance", "return_code", "outcome", "problem", "payout", "handled_at", "handled_by",
        "handled_note_short",
    ]  # fmt: skip
    list_filter = [HandlingFilter, "outcome", "problem", "credit"]
    list_select_related = ["statement", "payout", "handled_by"]
    search_fields = ["=end_to_end_id", "counterparty", "remittance"]
    readonly_fields = (
        "statement", "number", "booked_on", "amount_shown", "currency", "credit", "end_to_end_id",
        "bank_reference", "counterparty", "remittance", "return_code", "return_info", "payout", "outcome",
        "problem", "handled_at", "handled_by", "handled_note",
    )  # fmt: skip
    fields = readonly_fields
    actions = ["mark_handled"]

    amount_shown = column(BankStatementLine, "amount", money)

    @admin.display(description=_("handling note"))
    def handled_note_short(self, obj: BankStatementLine) -> str:
        return Truncator(obj.handled_note).chars(60)

    def has_handle_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The lines are read-only (has_change_permission is False); marking handled is the one change.
        return request.user.has_perm("commissions.change_bankstatementline")

    @admin.action(description=_("Mark as handled…"), permissions=["handle"])
    def mark_handled(
        self, request: HttpRequest, queryset: QuerySet[BankStatementLine]
    ) -> HttpResponse | None:
        """An intermediate page asks for the note; then the service marks each open line handled."""
        lines = bank_lines_open(queryset)
        count = lines.count()
        skipped = queryset.count() - count
        if not count or count > MAX_HANDLE_ROWS:
            self.message_user(
                request,
                _("Select between 1 and %(max)d unmatched lines that are not handled yet.")
                % {"max": MAX_HANDLE_ROWS},
                messages.ERROR,
            )
            return None
        form = HandledNoteForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for line in lines.select_related("statement").order_by("pk"):
                try:
                    bank_statement_line_handle(line=line, actor=request.user, note=form.cleaned_data["note"])
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{line.statement}, {line.number}: {exc}", messages.ERROR)
            if done:
                self.message_user(
                    request,
                    ngettext("%(count)d line marked handled.", "%(count)d lines marked handled.", done)
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected line is matched or handled already: left as it is.",
                    "%(count)d selected lines are matched or handled already: left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        shown = list(lines.select_related("statement").order_by("pk")[:20])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Mark unmatched lines as handled"),
            "intro": _(
                "Mark these unmatched lines handled: they leave the list of lines to look into. "
                "Say what was done about them (the note is kept, with your name, and audited):"
            ),
            "form": form,
            # The distributors' confirmation page lists any objects under this name.
            "distributors": [
                f"{line.statement}, {line.number}: {money(line.amount)} "
                f"{line.counterparty or line.remittance}"
                for line in shown
            ],
            "more": count - len(shown),
            "selected_ids": list(lines.order_by("pk").values_list("pk", flat=True)),
            "action": "mark_handled",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "submit_label": _("Mark as handled"),
        }
        return render(request, "admin/distributors/action_form.html", context)


@admin.register(PayoutHold)
class PayoutHoldAdmin(_ViewOnly, admin.ModelAdmin):
    """Payouts a batch left out (no valid bank account); released when a later batch pays them."""

    list_display = ["distributor", "period", "amount_shown", "reason", "batch", "held_at", "released_by"]
    list_filter = ["reason", "period", ("released_by", admin.EmptyFieldListFilter)]
    list_select_related = ["distributor", "period", "batch", "released_by"]
    search_fields = ["=distributor__external_id", "distributor__last_name"]
    readonly_fields = (
        "distributor", "period", "statement", "amount_shown", "reason", "batch", "held_at", "released_by",
    )  # fmt: skip
    fields = readonly_fields

    amount_shown = column(PayoutHold, "amount", money)
