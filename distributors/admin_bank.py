"""Admin of distributors' bank accounts: entered and changed through the same check and service as
the portal and the API (distributors.bank), so a wrong IBAN or BIC is a field error here too."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .bank import bank_account_set
from .forms import BankDetailsCleanMixin
from .models import BankAccount


class BankAccountForm(BankDetailsCleanMixin, forms.ModelForm):
    # Longer than stored: an IBAN is often typed or pasted in groups of four; the check compacts it.
    holder = forms.CharField(label=_("Account holder"), max_length=200)
    iban = forms.CharField(label=_("IBAN"), max_length=50)
    bic = forms.CharField(label=_("BIC"), max_length=20, required=False)

    class Meta:
        model = BankAccount
        fields = ["distributor", "holder", "iban", "bic"]


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    form = BankAccountForm
    list_display = ["distributor", "holder", "iban", "bic", "updated_at", "returned_at"]
    list_select_related = ["distributor"]
    list_filter = [("returned_at", admin.EmptyFieldListFilter)]
    search_fields = ["=distributor__external_id", "distributor__last_name", "holder", "=iban"]
    raw_id_fields = ["distributor"]
    readonly_fields = ["updated_at", "returned_at", "return_reason"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["distributor", *self.readonly_fields] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["distributor", "holder", "iban", "bic"]
        return ["distributor", "holder", "iban", "bic", *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: BankAccount, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        saved = bank_account_set(
            distributor=obj.distributor if change else data["distributor"],
            holder=data["holder"],
            iban=data["iban"],
            bic=data.get("bic", ""),
            actor=request.user,
        )
        obj.pk = saved.pk
        obj.updated_at = saved.updated_at
