"""Portal: my orders. History with filters, take an order with live totals, an order's page with
pay, cancel (within cooling-off) and return by line.

The same selectors and services as the API's order views (orders/api/orders.py): the
history is orders_of_distributor, the totals while typing are order_quote (which order_create
itself uses, so the page shows what will be stored), the actions are order_pay, order_cancel and
order_return. Another distributor's order or customer is 404 (or not among the choices).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.errors import ApplicationError, NotFound
from orders import services
from orders.models import Order, OrderPurpose
from orders.selectors.catalogue import product_search
from orders.selectors.customers import customers_of_distributor
from orders.selectors.demonstrations import host_credits_redeemable
from orders.selectors.orders import (
    order_actions,
    order_detail,
    order_returns,
    order_vat,
    orders_of_distributor,
)
from orders.services.orders import order_quote
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.forms_orders import (
    LINES_PREFIX,
    MAX_LINES,
    CancelForm,
    OrderFilterForm,
    OrderForm,
    OrderLineFormSet,
    ProductSearchForm,
    ReturnForm,
    empty_line,
    line_rows,
    with_lines,
)
from portal.submissions import once

PAGE_SIZE = 25
SEARCH_RESULTS = 10  # a phone screen of products
LINE_FIELDS = ("lines", "half_price_lines")  # what order_create calls the lines, in its refusals


# --- History


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    customers = customers_of_distributor(distributor=me)
    filters = OrderFilterForm(request.GET or None, customers=customers)
    page = None  # bad filters: their errors and no list (not the whole history as if unfiltered)
    if not filters.is_bound or filters.is_valid():
        f = filters.cleaned_data if filters.is_bound else {}
        orders = orders_of_distributor(
            distributor=me,
            status=f.get("status") or None,
            purpose=f.get("purpose") or None,
            period=f.get("period"),
            customer=f.get("customer"),
        )
        page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    return render(request, "portal/orders.html", context)


# --- Taking an order


def _choices(request: PortalRequest) -> dict[str, Any]:
    me = request.distributor
    return {
        "customers": customers_of_distributor(distributor=me),
        "host_credits": host_credits_redeemable(distributor=me),
    }


def _quote(form: OrderForm, formset: Any) -> tuple[Any, str]:
    """(quote, refusal): the order as order_create would price it, or why it would refuse it."""
    if not (form.is_valid() and formset.is_valid()):
        return None, ""
    lines, half = _lines(formset)
    if not lines:
        return None, ""
    d = form.cleaned_data
    try:
        return order_quote(
            distributor=form.distributor,
            purpose=d["purpose"],
            lines=lines,
            customer=d.get("customer"),
            host_credit=d.get("host_credit"),
            half_price_lines=half or None,
        ), ""
    except ApplicationError as error:
        return None, error.message


def _lines(formset: Any) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    lines, half = [], []
    for row in formset.cleaned_data:
        if not row or not row.get("product"):
            continue
        lines.append((row["product"], row["quantity"]))
        if row.get("half_price"):
            half.append((row["product"], row["half_price"]))
    return lines, half


def _bound(request: PortalRequest, data: QueryDict) -> tuple[OrderForm, Any]:
    form = OrderForm(data, **_choices(request))
    form.distributor = request.distributor
    return form, OrderLineFormSet(data, prefix=LINES_PREFIX)


def _render_new(
    request: PortalRequest, form: OrderForm, formset: Any, *, refused: bool = False, **extra: Any
) -> HttpResponse:
    """The order form again; `refused`: order_create has just refused it and its refusal is shown
    on the field it names, so it is not quoted again (the same refusal twice, and a query more)."""
    quote, refusal = _quote(form, formset) if form.is_bound and not refused else (None, "")
    context = {
        "form": form,
        "formset": formset,
        "quote": quote,
        "refusal": refusal,
        "place_refused": refused,
        "max_lines": MAX_LINES,
        **extra,
    }
    # htmx swaps the form alone; the page around it stays as it is.
    template = "portal/orders_new.html#order-form" if request.htmx else "portal/orders_new.html"
    return render(request, template, context)


@distributor_required
@once
def create(request: PortalRequest) -> HttpResponse:
    if request.method != "POST":
        # A consistent start: a customer order when a customer is chosen, else an order of my own.
        customer = request.GET.get("customer")
        default = OrderPurpose.CUSTOMER if customer else OrderPurpose.PERSONAL
        initial: dict[str, Any] = {"purpose": request.GET.get("purpose") or default}
        if customer:
            initial["customer"] = customer
        form = OrderForm(initial=initial, **_choices(request))
        formset = OrderLineFormSet(initial=[empty_line()], prefix=LINES_PREFIX)
        return _render_new(request, form, formset)

    rows = line_rows(request.POST)
    action = request.POST.get("step", "place")
    search_form = ProductSearchForm(request.POST)
    searchable = search_form.is_valid()
    search = search_form.cleaned_data["q"] if searchable else search_form["q"].value()
    extra: dict[str, Any] = {"search": search, "search_form": search_form}
    if request.POST.get("add_sku"):
        sku = request.POST["add_sku"].strip().upper()
        blank = next((row for row in rows if not row["product"].strip()), None)
        if blank is not None:
            blank["product"] = sku
        else:
            rows.append({**empty_line(), "product": sku})
        action = "edit"
    elif request.POST.get("remove_line"):
        index = request.POST["remove_line"]
        rows = [row for number, row in enumerate(rows) if str(number) != index] or [empty_line()]
        action = "edit"
    elif action == "add":
        rows.append(empty_line())
        extra["focus_last"] = True
    if action == "search" or (action == "edit" and search):
        found = product_search(search=search, limit=SEARCH_RESULTS) if searchable else []
        extra["products"] = found
    data = with_lines(request.POST, rows)
    form, formset = _bound(request, data)
    if action != "place":
        return _render_new(request, form, formset, **extra)

    lines_error = ""
    refused = False
    if form.is_valid() and formset.is_valid():
        lines, half = _lines(formset)
        d = form.cleaned_data
        try:
            order = services.order_create(
                distributor=request.distributor,
                purpose=d["purpose"],
                lines=lines,
                customer=d.get("customer"),
                host_credit=d.get("host_credit"),
                half_price_lines=half or None,
                actor=request.user,
            )
        except ApplicationError as error:
            refused = True
            if error.field in LINE_FIELDS:
                lines_error = error.message
            else:
                add_service_error(form, error)
        else:
            messages.success(request, _("Order %(number)s is taken.") % {"number": order.number})
            url = reverse("portal:order", kwargs={"order_id": order.pk})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return _render_new(request, form, formset, refused=refused, lines_error=lines_error, **extra)


@distributor_required
@require_POST
def totals(request: PortalRequest) -> HttpResponse:
    """The live totals of the order being typed (htmx posts the form here as lines change)."""
    form, formset = _bound(request, with_lines(request.POST, line_rows(request.POST)))
    quote, refusal = _quote(form, formset)
    return render(request, "portal/_order_totals.html", {"quote": quote, "refusal": refusal})


@distributor_required
def products(request: PortalRequest) -> HttpResponse:
    """Catalogue search while taking an order: products for sale by name or SKU."""
    form = ProductSearchForm(request.GET)
    if not form.is_valid():
        context = {"products": [], "search": form["q"].value(), "search_form": form}
        return render(request, "portal/_order_products.html", context)
    search = form.cleaned_data["q"]
    found = product_search(search=search, limit=SEARCH_RESULTS)
    context = {"products": found, "search": search, "search_form": form}
    return render(request, "portal/_order_products.html", context)


# --- One order


def _my_order(request: PortalRequest, order_id: int) -> Order:
    order = orders_of_distributor(distributor=request.distributor).filter(pk=order_id).first()
    if order is None:
        raise Http404(_("No such order among yours."))
    return order


def _render_detail(request: PortalRequest, order_id: int, **forms: Any) -> HttpResponse:
    try:
        detail = order_detail(order_id=order_id, distributor=request.distributor)
    except NotFound as error:
        raise Http404(error.message) from None
    order = detail.order
    vat = order_vat(detail)
    context = {
        "detail": detail,
        "order": order,
        "vat": vat,
        "total_with_vat": detail.total + vat,
        "returns": order_returns(order),
        "actions": order_actions(order),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "return_form": forms.get("return_form") or ReturnForm(lines=detail.lines),
        "pay_error": forms.get("pay_error", ""),
    }
    return render(request, "portal/orders_detail.html", context)


@distributor_required
def detail(request: PortalRequest, order_id: int) -> HttpResponse:
    return _render_detail(request, order_id)


@distributor_required
@require_POST
def pay(request: PortalRequest, order_id: int) -> HttpResponse:
    order = _my_order(request, order_id)
    try:
        services.order_pay(order=order, actor=request.user)
    except ApplicationError as error:
        return _render_detail(request, order_id, pay_error=error.message)
    messages.success(request, _("The payment of order %(number)s is recorded.") % {"number": order.number})
    return redirect("portal:order", order_id=order_id)


@distributor_required
@require_POST
def cancel(request: PortalRequest, order_id: int) -> HttpResponse:
    order = _my_order(request, order_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.order_cancel(order=order, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
            return redirect("portal:order", order_id=order_id)
    return _render_detail(request, order_id, cancel_form=form)


@distributor_required
@require_POST
def return_units(request: PortalRequest, order_id: int) -> HttpResponse:
    order = _my_order(request, order_id)
    detail = order_detail(order_id=order_id, distributor=request.distributor)
    form = ReturnForm(request.POST, lines=detail.lines)
    if form.is_valid():
        try:
            services.order_return(
                order=order, lines=form.chosen(), reason=form.cleaned_data["reason"], actor=request.user
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The return is recorded and refunded."))
            return redirect("portal:order", order_id=order_id)
    return _render_detail(request, order_id, return_form=form)


urlpatterns = [
    path("", index, name="orders"),
    path("new/", create, name="order-create"),
    path("new/totals/", totals, name="order-totals"),
    path("products/", products, name="order-products"),
    path("<int:order_id>/", detail, name="order"),
    path("<int:order_id>/pay/", pay, name="order-pay"),
    path("<int:order_id>/cancel/", cancel, name="order-cancel"),
    path("<int:order_id>/return/", return_units, name="order-return"),
]
