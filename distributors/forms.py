"""Forms for the admin: parse and validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .bank import bank_details_check
from .models import Distributor
from .selectors import AmbiguousReference, distributor_by_reference, email_in_use
from .tax import vat_details_check


class DistributorAddForm(forms.ModelForm):
    """Enrollment through the admin; `DistributorAdmin.save_model` hands it to the service."""

    class Meta:
        model = Distributor
        fields = ["sponsor", "first_name", "last_name", "email", "phone", "country", "external_id", "user"]

    enrolled_at = forms.DateTimeField(
        required=False, label=_("Enrolled at"), help_text=_("Leave empty for now.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["external_id"].required = False
        self.fields["external_id"].help_text = _("Leave empty to generate one.")
        self.fields["sponsor"].help_text = _("Leave empty only to start a new tree (the company root).")


class DistributorChangeForm(forms.ModelForm):
    """Profile fields only: sponsor and status change through the actions (the services)."""

    class Meta:
        model = Distributor
        fields = ["first_name", "last_name", "email", "phone", "country", "external_id", "user"]

    def clean_email(self) -> str:
        # Early feedback on the form; distributor_update_profile checks it again under the lock.
        email = self.cleaned_data["email"].strip().lower()
        if email_in_use(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("Another distributor has this email address."))
        return email


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000, label=_("Reason")
    )


class MoveForm(ReasonForm):
    new_sponsor = forms.CharField(
        label=_("New sponsor"),
        help_text=_("Id, external id or referral code of the new sponsor."),
        max_length=64,
    )
    field_order = ["new_sponsor", "reason"]

    def clean_new_sponsor(self) -> Distributor:
        try:
            sponsor = distributor_by_reference(self.cleaned_data["new_sponsor"])
        except AmbiguousReference as exc:
            raise forms.ValidationError(exc.message) from None
        if sponsor is None:
            raise forms.ValidationError(_("No distributor has that id, external id or referral code."))
        return sponsor


class BankDetailsCleanMixin:
    """Checks holder, IBAN and BIC together (distributors.bank) and keeps them normalised: the
    admin's and the portal's bank account forms. A ValidationError keyed by field puts each message
    on its field."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}  # type: ignore[misc]  # a mixin of a Django form
        if not self.errors:  # type: ignore[attr-defined]
            details = bank_details_check(
                holder=cleaned.get("holder", ""), iban=cleaned.get("iban", ""), bic=cleaned.get("bic", "")
            )
            cleaned.update(holder=details.holder, iban=details.iban, bic=details.bic)
        return cleaned


class VatDetailsCleanMixin:
    """Checks VAT status, VAT number, business name and invoice address together
    (distributors.tax) and keeps them normalised: the admin's and the portal's VAT status forms. A
    ValidationError keyed by field puts each message on its field."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}  # type: ignore[misc]  # a mixin of a Django form
        if not self.errors:  # type: ignore[attr-defined]
            details = vat_details_check(
                vat_status=cleaned.get("vat_status", ""), vat_number=cleaned.get("vat_number", ""),
                business_name=cleaned.get("business_name", ""), address=cleaned.get("address", ""),
            )  # fmt: skip
            cleaned.update(
                vat_status=details.vat_status, vat_number=details.vat_number,
                business_name=details.business_name, address=details.address,
            )  # fmt: skip
        return cleaned
