"""Portal: My data › Bank account. Where the company pays my commissions (distributors.bank: the
same check and service as the API's PUT /me/bank-account/ and the admin), and which payouts wait
for it (held when their batch was made) or came back from the bank."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from commissions.selectors.payouts import BANK_HOLD_REASONS, hold_explanation, payout_holds_open_of
from core.errors import ApplicationError
from distributors.bank import bank_account_of, bank_account_set
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.forms_account import BankAccountForm


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    account = bank_account_of(me)
    initial = (
        {"holder": account.holder, "iban": account.iban, "bic": account.bic}
        if account
        else {"holder": me.name}
    )
    form = BankAccountForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            bank_account_set(distributor=me, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your bank account has been saved."))
            return redirect("portal:profile-bank")
    # Only what a valid account clears; an agreement hold is explained on the statements page.
    holds = list(payout_holds_open_of(me, reasons=BANK_HOLD_REASONS)[:12])
    return render(
        request,
        "portal/bank_account.html",
        {
            "account": account,
            "form": form,
            "holds": [{"hold": hold, "explanation": hold_explanation(hold.reason)} for hold in holds],
        },
        status=400 if form.is_bound else 200,
    )


urlpatterns = [
    path("", index, name="profile-bank"),
]
