"""Portal: home demonstrations. My demonstrations (planned first, then the past), plan one, and a
demonstration's own page: guests, orders taken at the table (fast, on a phone), the QPS and the
host's rewards live while orders come in, the host link, close and cancel.

Each view parses input, calls the services and selectors the API calls (orders.services,
orders.selectors.demonstrations) and renders. A demonstration is looked up among the distributor's own: any
other is 404, as in the API.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from core.api.throttles import EmailCheckThrottle
from core.errors import ApplicationError
from orders import services
from orders.models import Demonstration, DemonstrationStatus
from orders.selectors.catalogue import product_search
from orders.selectors.demonstrations import (
    DemonstrationLive,
    demonstration_live,
    demonstrations_of_distributor,
)
from orders.shop_links import demonstration_shop_expires, demonstration_shop_url
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.forms_demonstrations import (
    CancelForm,
    DemonstrationPlanForm,
    GuestAddForm,
    NewCustomerFields,
    ProductSearchForm,
    TableOrderForm,
)
from portal.host_links import host_link_expires, host_link_token
from portal.links import public_url
from portal.submissions import once

PAGE_SIZE = 20
SEARCH_RESULTS = 10  # suggestions for a product input, as the orders section's search
# The htmx event that refreshes the live figures after an order was recorded.
CHANGED = "demonstration-changed"


def _my_demonstration(request: PortalRequest, pk: int) -> Demonstration:
    return get_object_or_404(demonstrations_of_distributor(distributor=request.distributor), pk=pk)


def _order_form(
    demonstration: Demonstration, live: DemonstrationLive, data=None, *, another_row: bool = False
) -> TableOrderForm:
    people = [demonstration.host, *(guest.customer for guest in live.summary.guests)]
    if another_row:
        return TableOrderForm.with_another_row(data, demonstration=demonstration, people=people)
    return TableOrderForm(data, demonstration=demonstration, people=people)


def _email_check_allowed(request: PortalRequest, form: NewCustomerFields | TableOrderForm) -> bool:
    """The API's per-distributor limit on registrations with an e-mail address (as the customers
    page): when a new customer with an address is typed and the limit is reached, an error above
    the form, and nothing is saved."""
    # DRF's throttles read only the method, the user and META, which a Django request has too.
    if not form.registers_email() or EmailCheckThrottle().allow_request(request, None):  # type: ignore[arg-type]
        return True
    form.add_error(None, _("Too many customers registered in a short time; try again in an hour."))
    return False


def _guest_form(demonstration: Demonstration, live: DemonstrationLive, data=None):
    present = [demonstration.host_id, *(guest.customer_id for guest in live.summary.guests)]
    return GuestAddForm(data, demonstration=demonstration, present=present)


def _page(
    request: PortalRequest,
    demonstration: Demonstration,
    *,
    order_form: TableOrderForm | None = None,
    guest_form: GuestAddForm | None = None,
) -> HttpResponse:
    live = demonstration_live(demonstration=demonstration)
    context = {
        "demonstration": demonstration,
        "live": live,
        "order_form": order_form if order_form is not None else _order_form(demonstration, live),
        "guest_form": guest_form if guest_form is not None else _guest_form(demonstration, live),
    }
    if demonstration.status != DemonstrationStatus.CANCELLED:
        # On the public address (PUBLIC_URL), never the request's Host header.
        link = public_url(reverse("host-demonstration", args=[host_link_token(demonstration)]))
        context |= {
            "host_link": link,
            "host_link_expires": host_link_expires(demonstration),
            "share_text": _("Your party: the sales so far and your host rewards: %(link)s") % {"link": link},
        }
    if demonstration.status == DemonstrationStatus.PLANNED:
        # Guests order online in the party's name (orders.shop_links): signed, expiring like the host link.
        shop_link = demonstration_shop_url(demonstration)
        context |= {
            "shop_link": shop_link,
            "shop_link_expires": demonstration_shop_expires(demonstration),
            "shop_share_text": _("Order for the party online: %(link)s") % {"link": shop_link},
        }
    return render(request, "portal/demonstration.html", context)


@distributor_required
@require_GET
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    past = Paginator(demonstrations_of_distributor(distributor=me, planned=False), PAGE_SIZE)
    return render(
        request,
        "portal/demonstrations.html",
        {
            "planned": demonstrations_of_distributor(distributor=me, planned=True),
            "past": past.get_page(request.GET.get("page")),
            "now": timezone.now(),
        },
    )


@distributor_required
@require_http_methods(["GET", "POST"])
@once
def plan(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    if request.method == "POST":
        form = DemonstrationPlanForm(request.POST, distributor=me)
        if (
            form.is_valid()
            and _email_check_allowed(request, form)
            and (demonstration := form.save(actor=request.user))
        ):
            messages.success(request, _("The demonstration is planned."))
            return redirect("portal:demonstration", pk=demonstration.pk)
    else:
        # "Book the next demonstration" from a guest row: that guest hosts, booked from there.
        initial = {
            key: request.GET[key] for key in ("host", "booked_from") if request.GET.get(key, "").isdigit()
        }
        form = DemonstrationPlanForm(initial=initial, distributor=me)
    return render(request, "portal/demonstration_plan.html", {"form": form})


@distributor_required
@require_GET
def detail(request: PortalRequest, pk: int) -> HttpResponse:
    return _page(request, _my_demonstration(request, pk))


@distributor_required
@require_GET
def live(request: PortalRequest, pk: int) -> HttpResponse:
    """The live part of the page (figures, rewards, orders, guests), for htmx to refresh."""
    demonstration = _my_demonstration(request, pk)
    return render(
        request,
        "portal/_demonstration_live.html",
        {"demonstration": demonstration, "live": demonstration_live(demonstration=demonstration)},
    )


@distributor_required
@require_POST
def add_guest(request: PortalRequest, pk: int) -> HttpResponse:
    demonstration = _my_demonstration(request, pk)
    form = _guest_form(demonstration, demonstration_live(demonstration=demonstration), request.POST)
    if (
        form.is_valid()
        and _email_check_allowed(request, form)
        and (customer := form.save(actor=request.user))
    ):
        messages.success(request, _("%(guest)s is a guest.") % {"guest": customer})
        return redirect(reverse("portal:demonstration", args=[pk]) + "#guests")
    return _page(request, demonstration, guest_form=form)


@distributor_required
@require_POST
def order(request: PortalRequest, pk: int) -> HttpResponse:
    """An order at the table. With htmx the answer is the order form again (empty, for the next
    guest, or with its errors) and an event that refreshes the figures; without, the whole page."""
    demonstration = _my_demonstration(request, pk)
    live = demonstration_live(demonstration=demonstration)
    if request.POST.get("more"):
        form, recorded = _order_form(demonstration, live, request.POST, another_row=True), None
    else:
        form = _order_form(demonstration, live, data=request.POST)
        valid = form.is_valid() and _email_check_allowed(request, form)
        recorded = form.save(actor=request.user) if valid else None
    if recorded is not None and not request.htmx:
        messages.success(
            request,
            _("Order %(number)s for %(customer)s recorded.")
            % {"number": recorded.number, "customer": recorded.customer},
        )
        return redirect(reverse("portal:demonstration", args=[pk]) + "#table-order")
    if not request.htmx:
        return _page(request, demonstration, order_form=form)
    if recorded is not None:
        # The next guest: an empty form that knows the new guest, and the figures refreshed.
        form = _order_form(demonstration, demonstration_live(demonstration=demonstration))
        form.fields["guest"].widget.attrs["autofocus"] = True
    response = render(
        request,
        "portal/_demonstration_order_form.html",
        {"demonstration": demonstration, "order_form": form, "recorded": recorded},
    )
    return trigger_client_event(response, CHANGED) if recorded is not None else response


@distributor_required
@require_GET
def products(request: PortalRequest) -> HttpResponse:
    """Suggestions for a product input of the table order (its datalist's options): the products
    for sale whose SKU or name contains what was typed, a phone screen of them, never the catalogue."""
    form = ProductSearchForm(request.GET)
    search = form.cleaned_data["product"] if form.is_valid() else ""
    found = product_search(search=search, limit=SEARCH_RESULTS) if search else []
    return render(request, "portal/_demonstration_products.html", {"products": found})


def _confirm(request: PortalRequest, pk: int, action: str) -> HttpResponse:
    demonstration = _my_demonstration(request, pk)
    data = request.POST if request.method == "POST" else None
    form = CancelForm(data) if action == "cancel" else forms.Form(data)
    if request.method == "POST" and form.is_valid():
        try:
            if action == "close":
                services.demonstration_close(demonstration=demonstration, actor=request.user)
                messages.success(request, _("The demonstration is closed; its orders count now."))
            else:
                services.demonstration_cancel(
                    demonstration=demonstration, actor=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request, _("The demonstration is cancelled, and its pending orders with it.")
                )
            return redirect("portal:demonstration", pk=pk)
        except ApplicationError as error:
            add_service_error(form, error)
    return render(
        request,
        "portal/demonstration_confirm.html",
        {
            "demonstration": demonstration,
            "live": demonstration_live(demonstration=demonstration),
            "action": action,
            "form": form,
        },
    )


@distributor_required
@require_http_methods(["GET", "POST"])
def close(request: PortalRequest, pk: int) -> HttpResponse:
    return _confirm(request, pk, "close")


@distributor_required
@require_http_methods(["GET", "POST"])
def cancel(request: PortalRequest, pk: int) -> HttpResponse:
    return _confirm(request, pk, "cancel")


urlpatterns = [
    path("", index, name="demonstrations"),
    path("plan/", plan, name="demonstration-plan"),
    path("products/", products, name="demonstration-products"),
    path("<int:pk>/", detail, name="demonstration"),
    path("<int:pk>/live/", live, name="demonstration-live"),
    path("<int:pk>/guests/", add_guest, name="demonstration-add-guest"),
    path("<int:pk>/order/", order, name="demonstration-order"),
    path("<int:pk>/close/", close, name="demonstration-close"),
    path("<int:pk>/cancel/", cancel, name="demonstration-cancel"),
]
