"""Portal: Buy-back. The units I may hand back with the refund per unit, my right explained, a
request (the API's service), withdrawing one while it waits, and every request's status and decision.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from orders.models import BuybackStatus
from orders.selectors.buyback import buyback_request_view, buyback_requests_of, buyback_terms, buyback_units
from orders.services import buyback as buyback_services
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.forms_account import BuybackRequestForm, WithdrawForm
from portal.submissions import once

REQUESTS_PER_PAGE = 20
STATUS_BADGES = {
    BuybackStatus.REQUESTED: "warn",
    BuybackStatus.APPROVED: "good",
    BuybackStatus.PARTLY_APPROVED: "good",
    BuybackStatus.REJECTED: "bad",
    BuybackStatus.WITHDRAWN: "",
}


def _my_request(request: PortalRequest, request_id: int):
    found = buyback_requests_of(distributor=request.distributor).filter(pk=request_id).first()
    if found is None:
        raise Http404(_("No such buy-back request among yours."))
    return found


@distributor_required
@once
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    units = buyback_units(distributor=me)
    form = BuybackRequestForm(request.POST if request.method == "POST" else None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            created = buyback_services.buyback_request_create(
                distributor=me,
                lines=form.cleaned_data["lines"],
                reason=form.cleaned_data["reason"],
                with_termination=form.cleaned_data["with_termination"],
                actor=request.user,
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your buy-back request has been sent to the company."))
            return redirect("portal:buyback-detail", request_id=created.pk)
    page = Paginator(buyback_requests_of(distributor=me), REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/buyback.html",
        {
            "terms": buyback_terms(me.country),
            "units": units,
            "form": form,
            "page": page,
            "requests": [_with_badge(buyback_request_view(r)) for r in page.object_list],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _with_badge(view) -> dict:
    return {"view": view, "badge": STATUS_BADGES.get(view.status, "")}


@distributor_required
def detail(request: PortalRequest, request_id: int) -> HttpResponse:
    found = _my_request(request, request_id)
    return _render_detail(request, found, WithdrawForm())


def _render_detail(
    request: PortalRequest, found, withdraw_form: WithdrawForm, status: int = 200
) -> HttpResponse:
    view = buyback_request_view(found)
    return render(
        request,
        "portal/buyback_detail.html",
        {
            "item": _with_badge(view),
            "view": view,
            "terms": buyback_terms(request.distributor.country),
            "withdraw_form": withdraw_form if view.status == BuybackStatus.REQUESTED else None,
        },
        status=status,
    )


@distributor_required
@require_POST
def withdraw(request: PortalRequest, request_id: int) -> HttpResponse:
    found = _my_request(request, request_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            buyback_services.buyback_request_withdraw(
                request=found, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            # Decided meanwhile: the page shows the decision, the message says why nothing changed.
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your buy-back request has been withdrawn."))
        return redirect("portal:buyback-detail", request_id=found.pk)
    return _render_detail(request, found, form, status=400)


urlpatterns = [
    path("", index, name="buyback"),
    path("<int:request_id>/", detail, name="buyback-detail"),
    path("<int:request_id>/withdraw/", withdraw, name="buyback-withdraw"),
]
