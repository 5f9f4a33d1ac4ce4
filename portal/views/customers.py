"""Portal: my customers. List and search, register, change, delete: the services and fields of the
API's customer views (orders/api/customers.py). Another distributor's customer is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.api.throttles import EmailCheckThrottle
from core.errors import ApplicationError
from orders import services
from orders.models import Customer
from orders.selectors.customers import customers_of_distributor
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.forms_orders import CustomerForm, CustomerSearchForm
from portal.submissions import once

PAGE_SIZE = 25


def _my_customer(request: PortalRequest, customer_id: int) -> Customer:
    customer = customers_of_distributor(distributor=request.distributor).filter(pk=customer_id).first()
    if customer is None:
        raise Http404(_("No such customer among yours."))
    return customer


def _is_household(request: PortalRequest, customer: Customer) -> bool:
    return customer.household_of_id is not None and customer.household_of_id == request.distributor.pk


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    search = CustomerSearchForm(request.GET or None)
    if search.is_bound and not search.is_valid():
        # A bad search: its error and no list (not every customer as if nothing was typed).
        context = {"search": search, "term": search["search"].value(), "page": None}
        return render(request, "portal/customers.html", context)
    term = search.cleaned_data["search"] if search.is_bound else ""
    customers = customers_of_distributor(distributor=request.distributor, search=term or None)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/customers.html", {"search": search, "term": term, "page": page})


@distributor_required
@once
def create(request: PortalRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same per-distributor limit as the API's: addresses cannot be tried in bulk.
        # DRF's throttles read only the method, the user and META, which a Django request has too.
        if not EmailCheckThrottle().allow_request(request, None):  # type: ignore[arg-type]
            form.add_error(None, _("Too many customers registered in a short time; try again in an hour."))
        else:
            values = dict(form.cleaned_data)
            household = values.pop("my_household")
            try:
                customer = services.customer_register(
                    distributor=request.distributor,
                    household_of=request.distributor if household else None,
                    actor=request.user,
                    **values,
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("%(customer)s is now your customer.") % {"customer": customer})
                return redirect("portal:customer", customer_id=customer.pk)
    return render(request, "portal/customers_form.html", {"form": form, "customer": None})


@distributor_required
def detail(request: PortalRequest, customer_id: int) -> HttpResponse:
    customer = _my_customer(request, customer_id)
    initial = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": customer.phone,
        "kind": customer.kind,
        "my_household": _is_household(request, customer),
    }
    form = CustomerForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        changes["household_of"] = request.distributor if changes.pop("my_household") else None
        try:
            services.customer_update(customer=customer, actor=request.user, **changes)
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("portal:customer", customer_id=customer.pk)
    return render(request, "portal/customers_form.html", {"form": form, "customer": customer})


@distributor_required
@require_POST
def delete(request: PortalRequest, customer_id: int) -> HttpResponse:
    customer = _my_customer(request, customer_id)
    name = str(customer)
    try:
        services.customer_delete(customer=customer, actor=request.user)
    except ApplicationError as error:
        form = CustomerForm(
            initial={
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "phone": customer.phone,
                "kind": customer.kind,
                "my_household": _is_household(request, customer),
            },
            editing=True,
        )
        context = {"form": form, "customer": customer, "delete_error": error.message}
        return render(request, "portal/customers_form.html", context)
    messages.success(request, _("%(customer)s is deleted.") % {"customer": name})
    return redirect("portal:customers")


urlpatterns = [
    path("", index, name="customers"),
    path("new/", create, name="customer-create"),
    path("<int:customer_id>/", detail, name="customer"),
    path("<int:customer_id>/delete/", delete, name="customer-delete"),
]
