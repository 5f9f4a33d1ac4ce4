"""Portal: Orders › Autoship. My own autoship and my customers': start one, change its products
or day, skip the next order, pause, resume, cancel.

The same selectors and services as the API's autoship views (orders/api/autoship.py). Another
distributor's autoship is 404. No autoship is required for anything: the page says so.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, NotFound
from orders.selectors.autoship import subscription_get, subscription_list
from orders.selectors.catalogue import products_for_sale
from orders.selectors.customers import customer_of, customers_of_distributor
from orders.services import autoship as autoship_services
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.forms_autoship import OWN, AutoshipForm
from portal.submissions import once

ACTIONS: dict[str, tuple[Any, Any]] = {
    "skip": (autoship_services.subscription_skip, gettext_lazy("The next order is skipped.")),
    "pause": (autoship_services.subscription_pause, gettext_lazy("The autoship is paused.")),
    "resume": (autoship_services.subscription_resume, gettext_lazy("The autoship is active again.")),
    "cancel": (autoship_services.subscription_cancel, gettext_lazy("The autoship is cancelled.")),
}
SERVICE_FIELDS = {"lines": "product_1", "customer": "subscriber"}


def _get(request: PortalRequest, subscription_id: int) -> Any:
    try:
        return subscription_get(request.distributor, subscription_id)
    except NotFound as missing:
        raise Http404(missing.message) from missing


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    return render(
        request,
        "portal/autoship.html",
        {
            "own": list(subscription_list(me, own=True)),
            "customers": list(subscription_list(me, own=False)),
        },
    )


@distributor_required
@once
def create(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    form = AutoshipForm(
        request.POST if request.method == "POST" else None,
        products=list(products_for_sale()),
        customers=list(customers_of_distributor(distributor=me)),
        initial={"subscriber": request.GET.get("customer", OWN)},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            customer = (
                None
                if d["subscriber"] == OWN
                else customer_of(distributor=me, customer_id=int(d["subscriber"]), field="customer")
            )
            autoship_services.subscription_create(
                distributor=me, customer=customer, lines=d["lines"], actor=request.user, **form.schedule()
            )
        except ApplicationError as error:
            add_service_error(form, error, fields=SERVICE_FIELDS)
        else:
            messages.success(request, _("The autoship is set up."))
            return redirect("portal:autoship")
    return render(
        request,
        "portal/autoship_form.html",
        {"form": form, "subscription": None},
        status=400 if form.is_bound else 200,
    )


@distributor_required
def edit(request: PortalRequest, subscription_id: int) -> HttpResponse:
    subscription = _get(request, subscription_id)
    initial: dict[str, Any] = {
        "interval_unit": subscription.interval_unit,
        "interval_count": subscription.interval_count,
        "weekday": subscription.weekday,
        "day_of_month": subscription.day_of_month,
    }
    for row, line in enumerate(subscription.lines.select_related("product"), start=1):
        initial[f"product_{row}"] = line.product.sku
        initial[f"quantity_{row}"] = line.quantity
    form = AutoshipForm(
        request.POST if request.method == "POST" else None,
        products=list(products_for_sale()),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            autoship_services.subscription_update(
                subscription=subscription,
                lines=form.cleaned_data["lines"],
                schedule=form.schedule(),
                actor=request.user,
            )
        except ApplicationError as error:
            add_service_error(form, error, fields=SERVICE_FIELDS)
        else:
            messages.success(request, _("The autoship is changed."))
            return redirect("portal:autoship")
    return render(
        request,
        "portal/autoship_form.html",
        {"form": form, "subscription": subscription},
        status=400 if form.is_bound else 200,
    )


@distributor_required
@require_POST
def act(request: PortalRequest, subscription_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    subscription = _get(request, subscription_id)
    service, done = ACTIONS[action]
    try:
        service(subscription=subscription, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("portal:autoship")


urlpatterns = [
    path("", index, name="autoship"),
    path("new/", create, name="autoship-create"),
    path("<int:subscription_id>/", edit, name="autoship-edit"),
    path("<int:subscription_id>/<slug:action>/", act, name="autoship-action"),
]
