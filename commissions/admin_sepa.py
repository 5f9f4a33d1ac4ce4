"""Admin of SEPA payouts: a batch's pain.001 file, the camt.053 import (the bank statements'
"add" page), the lines the import could not match, and the payouts held for want of a valid bank
account. Thin: each page parses, calls commissions.services, renders.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_display import column
from core.errors import ApplicationError
from core.templatetags.formatting import money

from .models import BankLineOutcome, BankStatement, BankStatementLine, PayoutBatch, PayoutHold
from .services.bank_statements import MAX_STATEMENT_BYTES, bank_statement_import
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


class BankStatementLineInline(admin.TabularInline):
    model = BankStatementLine
    fields = (
        "number", "booked_on", "amount", "credit", "end_to_end_id", "counterparty", "return_code",
        "payout", "outcome", "problem",
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

    @admin.display(description=_("unmatched"), ordering="unmatched")
    def unmatched_link(self, obj: BankStatement) -> str:
        if not obj.unmatched:
            return "0"
        url = (
            reverse("admin:commissions_bankstatementline_changelist")
            + f"?statement__id__exact={obj.pk}&outcome__exact={BankLineOutcome.UNMATCHED}"
        )
        return format_html('<a href="{}">{}</a>', url, obj.unmatched)

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
        "remittance", "return_code", "outcome", "problem", "payout",
    ]  # fmt: skip
    list_filter = ["outcome", "problem", "credit"]
    list_select_related = ["statement", "payout"]
    search_fields = ["=end_to_end_id", "counterparty", "remittance"]
    readonly_fields = (
        "statement", "number", "booked_on", "amount_shown", "currency", "credit", "end_to_end_id",
        "bank_reference", "counterparty", "remittance", "return_code", "return_info", "payout", "outcome",
        "problem",
    )  # fmt: skip
    fields = readonly_fields

    amount_shown = column(BankStatementLine, "amount", money)


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
