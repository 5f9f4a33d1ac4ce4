"""The shop's public pages (mounted in backoffice/urls.py at /shop/): no account, no sign-in.

- /shop/<referral code>/: a distributor's shop. The visitor picks quantities, gives name, e-mail,
  phone and delivery address, reads the withdrawal information, ticks that they read it, and
  orders; "Calculate the total" shows the total without ordering (no script needed).
- /shop/party/<token>/: the same shop in a demonstration's name (orders.shop_links: signed,
  expiring like the host link); the order counts in the party's sales and host rewards. A closed
  or cancelled party's link says the party is over; a changed token is 404.
- /shop/order/<token>/: the order's confirmation (how to pay, the withdrawal link), and
  /shop/order/<token>/withdraw/: the withdrawal (POST), within the cooling-off window.

Placing an order is limited per visitor's address (a small throttle in the shared cache, as the
join page's), CSRF is enforced as on every form, prices are the catalogue's (the form posts
quantities only) and a refusal leaves nothing written (orders.services.shop). The form carries a
one-time token: a double click or a re-sent POST goes to the first order's page and places nothing.
"Calculate the total" prices with orders.services.shop.shop_quote, the rule the order is charged by.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import SimpleRateThrottle

from core.errors import ApplicationError
from distributors.models import Distributor, DistributorStatus
from distributors.selectors import distributor_for_referral
from orders.models import Demonstration, DemonstrationStatus, OrderStatus, Product
from orders.selectors.shop import (
    ShopProduct,
    cooling_off_days,
    shop_demonstration,
    shop_order_for_submission,
    shop_order_view,
    shop_products,
)
from orders.services.orders import OrderQuote
from orders.services.shop import (
    SHOP_MAX_QUANTITY,
    SUBMISSION,
    ShopContact,
    shop_order_from_link,
    shop_order_place,
    shop_order_withdraw,
    shop_quote,
)
from orders.shop_links import (
    ShopLinkExpired,
    ShopLinkInvalid,
    read_demonstration_shop_token,
    shop_order_token,
)
from portal.forms import add_service_error
from portal.submissions import new_token


class ShopThrottle(SimpleRateThrottle):
    """Orders placed per visitor's IP address (REMOTE_ADDR: see portal.views.join.JoinThrottle)."""

    scope = "shop"
    rate = "10/hour"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.META.get("REMOTE_ADDR", "")}


def _company() -> str:
    """Whom the customer's contract is with (the model withdrawal form's addressee)."""
    name = getattr(settings, "COMPANY_NAME", "") or settings.SEPA_DEBTOR_NAME
    address = getattr(settings, "COMPANY_ADDRESS", "")
    return f"{name}, {address}" if name and address else name


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


class ShopForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    phone = forms.CharField(label=gettext_lazy("Phone (optional)"), max_length=32, required=False)
    street = forms.CharField(label=gettext_lazy("Street and house number"), max_length=200)
    postcode = forms.CharField(label=gettext_lazy("Postcode"), max_length=16)
    city = forms.CharField(label=gettext_lazy("Town or city"), max_length=100)
    country = forms.CharField(
        label=gettext_lazy("Country"), max_length=60, initial=gettext_lazy("Netherlands")
    )
    consent = forms.BooleanField(
        label=gettext_lazy("I agree that this distributor contacts me about their products and offers."),
        required=False,
    )
    withdrawal_acknowledged = forms.BooleanField(
        label=gettext_lazy("I have read the information on my right of withdrawal."),
        error_messages={"required": gettext_lazy("Tick this box to order.")},
    )
    # The one-time token of this checkout (kept through "Calculate the total"): see the module.
    submission = forms.CharField(widget=forms.HiddenInput, required=False, initial=new_token)

    def __init__(self, *args: Any, products: list[ShopProduct], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.products = products
        for item in products:
            self.fields[f"qty_{item.product.pk}"] = forms.IntegerField(
                label=item.product.name,
                min_value=0,
                max_value=SHOP_MAX_QUANTITY,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
            )
        autocomplete = {
            "first_name": "given-name",
            "last_name": "family-name",
            "email": "email",
            "phone": "tel",
            "street": "address-line1",
            "postcode": "postal-code",
            "city": "address-level2",
            "country": "country-name",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["email"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})

    def quantity_fields(self) -> list[tuple[ShopProduct, forms.BoundField]]:
        return [(item, self[f"qty_{item.product.pk}"]) for item in self.products]

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("first_name", "last_name", "email", "phone")]

    def address_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("street", "postcode", "city", "country")]

    def lines(self) -> list[tuple[int, int]]:
        data = getattr(self, "cleaned_data", {})
        return [(item.product.pk, data.get(f"qty_{item.product.pk}") or 0) for item in self.products]

    def submission_token(self) -> str:
        """The posted one-time token, or "" when there is none of the right shape (an older page)."""
        token = str(self.data.get("submission", ""))
        return token if SUBMISSION.fullmatch(token) else ""

    def delivery_address(self) -> str:
        data = self.cleaned_data
        return "\n".join(
            part
            for part in (data["street"], f"{data['postcode']} {data['city']}".strip(), data["country"])
            if part
        )


@dataclass(frozen=True)
class BasketLine:
    product: Product
    quantity: int
    amount_with_vat: Decimal


@dataclass(frozen=True)
class Basket:
    """What "Calculate the total" shows: the numbers of the order's own quote, nothing reckoned here."""

    lines: list[BasketLine]
    total_with_vat: Decimal
    vat: Decimal

    @classmethod
    def of(cls, quote: OrderQuote) -> Basket:
        return cls(
            lines=[
                BasketLine(
                    product=line.product, quantity=line.quantity, amount_with_vat=line.amount + line.vat
                )
                for line in quote.lines
            ],
            total_with_vat=quote.total_with_vat,
            vat=quote.vat,
        )


def _basket(form: ShopForm, distributor: Distributor, demonstration: Demonstration | None) -> Basket | None:
    """The order's own quote (shop_quote), or None with the refusal on the form."""
    try:
        quote = shop_quote(distributor=distributor, demonstration=demonstration, lines=form.lines())
    except ApplicationError as error:
        add_service_error(form, error)
        return None
    return Basket.of(quote)


def _shop(
    request: HttpRequest, *, distributor: Distributor, demonstration: Demonstration | None, token: str = ""
) -> HttpResponse:
    products = shop_products()
    form = ShopForm(request.POST if request.method == "POST" else None, products=products)
    basket = None
    ordering = request.POST.get("action") == "order"
    if request.method == "POST" and not ordering:
        # "Calculate the total": the quantities only; the details are checked when ordering.
        form.is_valid()
        for name in [name for name in form.errors if not name.startswith("qty_")]:
            del form.errors[name]
        if not form.errors:
            basket = _basket(form, distributor, demonstration)
    elif request.method == "POST" and form.is_valid():
        submission = form.submission_token()
        placed = shop_order_for_submission(submission=submission, shop=distributor)
        if placed is not None:  # this form was sent already: where the first POST went
            return redirect("shop-order", token=shop_order_token(placed))
        basket = _basket(form, distributor, demonstration)
        if basket is not None:
            throttle = ShopThrottle()
            # DRF's throttles read only the method and META (here), which a Django request has too.
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                form.add_error(None, _("Too many orders from here in a short time. Try again later."))
            else:
                data = form.cleaned_data
                try:
                    order = shop_order_place(
                        distributor=None if demonstration is not None else distributor,
                        demonstration=demonstration,
                        lines=form.lines(),
                        contact=ShopContact(
                            first_name=data["first_name"],
                            last_name=data["last_name"],
                            email=data["email"],
                            phone=data["phone"],
                            delivery_address=form.delivery_address(),
                        ),
                        # The words the visitor read, in their language: what they confirm from the address.
                        contact_consent=str(form.fields["consent"].label) if data["consent"] else "",
                        withdrawal_acknowledged=data["withdrawal_acknowledged"],
                        language=translation.get_language(),
                        submission=submission,
                    )
                except ApplicationError as error:
                    add_service_error(form, error)
                except IntegrityError:
                    # Two POSTs of one form where the lock is a no-op (SQLite): the first placed it.
                    placed = shop_order_for_submission(submission=submission, shop=distributor)
                    if placed is None:
                        raise
                    return redirect("shop-order", token=shop_order_token(placed))
                else:
                    return redirect("shop-order", token=shop_order_token(order))
    context = {
        "form": form,
        "basket": basket,
        "distributor": distributor,
        "demonstration": demonstration,
        "token": token,
        "most": SHOP_MAX_QUANTITY,
        "cooling_off_days": cooling_off_days(distributor),
        "company": _company(),
    }
    return _private(render(request, "portal/shop.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
def shop(request: HttpRequest, code: str) -> HttpResponse:
    distributor = distributor_for_referral(code)
    if distributor is None or distributor.status == DistributorStatus.TERMINATED:
        raise Http404(_("This shop does not exist."))
    return _shop(request, distributor=distributor, demonstration=None)


@require_http_methods(["GET", "HEAD", "POST"])
def demonstration_shop(request: HttpRequest, token: str) -> HttpResponse:
    try:
        demonstration_id = read_demonstration_shop_token(token)
    except ShopLinkInvalid:
        raise Http404 from None
    except ShopLinkExpired:
        return _private(render(request, "portal/shop_closed.html", {"demonstration": None}, status=410))
    demonstration = shop_demonstration(demonstration_id=demonstration_id)
    if demonstration is None:
        raise Http404
    if (
        demonstration.status != DemonstrationStatus.PLANNED
        or demonstration.consultant.status == DistributorStatus.TERMINATED
    ):
        return _private(
            render(request, "portal/shop_closed.html", {"demonstration": demonstration}, status=410)
        )
    return _shop(request, distributor=demonstration.consultant, demonstration=demonstration, token=token)


def _order_or_404(token: str):
    order = shop_order_from_link(token)
    if order is None:
        raise Http404
    view = shop_order_view(order_id=order.pk)
    assert view is not None
    return view


@require_http_methods(["GET", "HEAD"])
def order_page(request: HttpRequest, token: str) -> HttpResponse:
    view = _order_or_404(token)
    context = {
        "view": view,
        "order": view.order,
        "token": token,
        "iban": settings.SEPA_DEBTOR_IBAN,
        "company": settings.SEPA_DEBTOR_NAME,
    }
    return _private(render(request, "portal/shop_order.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    view = _order_or_404(token)
    error = None
    withdrawn = False
    if request.method == "POST":
        try:
            shop_order_withdraw(token=token)
        except ApplicationError as refusal:
            error = refusal.message
        else:
            withdrawn = True
            view = _order_or_404(token)
    order = view.order
    context = {
        "view": view,
        "order": order,
        "token": token,
        "error": error,
        "withdrawn": withdrawn,
        "open": order.status not in (OrderStatus.CANCELLED, OrderStatus.RETURNED),
        "company": _company(),
    }
    return _private(render(request, "portal/shop_withdraw.html", context, status=409 if error else 200))


urlpatterns = [
    path("party/<str:token>/", demonstration_shop, name="shop-demonstration"),
    path("order/<str:token>/", order_page, name="shop-order"),
    path("order/<str:token>/withdraw/", withdraw, name="shop-withdraw"),
    path("<str:code>/", shop, name="shop"),
]
