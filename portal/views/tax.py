"""Portal: My data › VAT status. How the company's self-billing invoices of my commission treat
VAT (distributors.tax: the same check and service as the API's PUT /me/vat-status/ and the admin)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from distributors.forms import VatDetailsCleanMixin
from distributors.services.tax import vat_registration_of, vat_registration_set
from distributors.tax import ADDRESS_MAX_LENGTH, VatStatus
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error


class VatStatusForm(VatDetailsCleanMixin, forms.Form):
    """Checked by distributors.tax.vat_details_check, as in the API and the admin, each message
    on its field."""

    vat_status = forms.ChoiceField(
        label=gettext_lazy("VAT status"), choices=VatStatus.choices, widget=forms.RadioSelect
    )
    vat_number = forms.CharField(
        label=gettext_lazy("VAT number"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("With its country code, such as NL123456789B01. Needed when VAT-registered."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    business_name = forms.CharField(
        label=gettext_lazy("Business name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Leave empty to use your own name."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    address = forms.CharField(
        label=gettext_lazy("Address on your invoices"),
        max_length=ADDRESS_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy(
            "Street and number, postcode and town, each on a line. Needed when VAT-registered."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    registration = vat_registration_of(me)
    initial = (
        {
            "vat_status": registration.vat_status,
            "vat_number": registration.vat_number,
            "business_name": registration.business_name,
            "address": registration.address,
        }
        if registration
        else {"vat_status": VatStatus.NOT_REGISTERED}
    )
    form = VatStatusForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            vat_registration_set(distributor=me, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your VAT status has been saved."))
            return redirect("portal:profile-vat")
    return render(
        request,
        "portal/vat_status.html",
        {"registration": registration, "form": form},
        status=400 if form.is_bound else 200,
    )


urlpatterns = [
    path("", index, name="profile-vat"),
]
