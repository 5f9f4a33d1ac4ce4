"""Admin of distributors' VAT statuses: entered and changed through the same check and service as
the portal and the API (distributors.tax), so a wrong VAT number is a field error here too."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .forms import VatDetailsCleanMixin
from .models import VatRegistration
from .services.tax import vat_registration_set


class VatRegistrationForm(VatDetailsCleanMixin, forms.ModelForm):
    vat_number = forms.CharField(label=_("VAT number"), max_length=40, required=False)

    class Meta:
        model = VatRegistration
        fields = ["distributor", "vat_status", "vat_number", "business_name", "address"]


@admin.register(VatRegistration)
class VatRegistrationAdmin(admin.ModelAdmin):
    form = VatRegistrationForm
    list_display = ["distributor", "vat_status", "vat_number", "business_name", "updated_at"]
    list_select_related = ["distributor"]
    list_filter = ["vat_status"]
    search_fields = ["=distributor__external_id", "distributor__last_name", "=vat_number", "business_name"]
    raw_id_fields = ["distributor"]
    readonly_fields = ["updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["distributor", *self.readonly_fields] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["distributor", "vat_status", "vat_number", "business_name", "address"]
        return [*fields, *self.readonly_fields] if obj is not None else fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: VatRegistration, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        saved = vat_registration_set(
            distributor=obj.distributor if change else data["distributor"],
            vat_status=data["vat_status"],
            vat_number=data.get("vat_number", ""),
            business_name=data.get("business_name", ""),
            address=data.get("address", ""),
            actor=request.user,
        )
        obj.pk = saved.pk
        obj.updated_at = saved.updated_at
