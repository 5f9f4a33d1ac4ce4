"""The public page a distributor's referral link opens: /join/<code>/ (mounted in backoffice/urls.py).

A visitor leaves their name and e-mail address (and their consent to be contacted) and becomes
that distributor's customer through orders.services.customer_register, the same service the API
and the admin use. Whatever the service answers about the address (free, already a customer,
a distributor's), the visitor sees the same thank-you page: the page never tells whether an
address is known. Limited per visitor's address (a small throttle in the shared cache), CSRF
enforced as on every form.

The consent is a double opt-in: it counts once the visitor opens the signed link e-mailed to the
address, /join/confirm/<token>/ (valid settings.JOIN_CONFIRM_DAYS). A visitor who signs up again
with the address of one of the distributor's customers gets the same page; the address gets a new
link only when its consent is unconfirmed and no earlier link still works.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_safe
from rest_framework.throttling import SimpleRateThrottle

from core.errors import ApplicationError, Conflict
from distributors.models import DistributorStatus
from distributors.selectors import distributor_for_referral
from orders.services.customers import (
    ConsentConfirmation,
    customer_contact_consent_confirm,
    customer_contact_consent_request,
    customer_register,
)
from portal.forms import add_service_error

logger = logging.getLogger(__name__)


class JoinThrottle(SimpleRateThrottle):
    """Per visitor's IP address, sign-ups only.

    The key is REMOTE_ADDR, never X-Forwarded-For: DRF's get_ident (without NUM_PROXIES) takes the
    whole header, which the visitor writes, so every sign-up could bring a new key. A deployment
    behind a proxy or load balancer sets REMOTE_ADDR to the visitor's address in the proxy's
    configuration (e.g. uWSGI/gunicorn forwarded-allow-ips with a trusted proxy, or the web
    server's real-IP module), not here.
    """

    scope = "join"
    rate = "10/hour"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.META.get("REMOTE_ADDR", "")}


class JoinForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    consent = forms.BooleanField(
        label=gettext_lazy("I agree that this distributor contacts me about their products and offers."),
        error_messages={"required": gettext_lazy("Tick this box to sign up.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs.update(
            {"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}
        )


@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    distributor = distributor_for_referral(code)
    if distributor is None or distributor.status == DistributorStatus.TERMINATED:
        raise Http404(_("This referral link is not valid."))
    form = JoinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        throttle = JoinThrottle()
        # DRF's throttles read only the method and META (here), which a Django request has too; no view.
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            form.is_valid()
            form.add_error(None, _("Too many sign-ups from here in a short time. Try again later."))
        elif form.is_valid():
            data = form.cleaned_data
            # The words the visitor read, in their language: what they confirm from the address.
            consent = str(form.fields["consent"].label)
            language = translation.get_language()
            try:
                customer_register(
                    distributor=distributor,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    contact_consent=consent,
                    language=language,
                )
            except ApplicationError as error:
                if isinstance(error, Conflict) or error.field == "email":
                    # Already someone's customer, a distributor's address, the distributor's own:
                    # the same thank-you as a new sign-up, so the page cannot be asked whose
                    # address it is (docs/privacy.md). Only the distributor's own customer whose
                    # consent is unconfirmed gets a link, at that address, like a new sign-up.
                    logger.info("join: an address already held, code=%s", distributor.referral_code)
                    customer_contact_consent_request(
                        distributor=distributor,
                        email=data["email"],
                        contact_consent=consent,
                        language=language,
                    )
                else:
                    add_service_error(form, error)
            if not form.errors:
                return redirect("join-thanks", code=distributor.referral_code)
    context = {"form": form, "distributor_name": distributor.first_name, "code": distributor.referral_code}
    return render(request, "portal/join.html", context)


@require_safe
def thanks(request: HttpRequest, code: str) -> HttpResponse:
    distributor = distributor_for_referral(code)
    if distributor is None:
        raise Http404(_("This referral link is not valid."))
    context = {"distributor_name": distributor.first_name, "days": settings.JOIN_CONFIRM_DAYS}
    return render(request, "portal/join_thanks.html", context)


# An expired link is gone for good (410); any other link that confirms nothing is not found.
CONFIRM_STATUS = {ConsentConfirmation.EXPIRED: 410, ConsentConfirmation.INVALID: 404}


@require_GET  # not HEAD: a mail scanner's quick look must not confirm for the reader
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the consent e-mail: confirms the consent and says so, also when opened again."""
    outcome = customer_contact_consent_confirm(token=token)
    response = render(
        request, "portal/join_confirm.html", {"outcome": outcome}, status=CONFIRM_STATUS.get(outcome, 200)
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    # Before "<code>/thanks/", which would take /join/confirm/thanks/ too.
    path("confirm/<str:token>/", confirm, name="join-confirm"),
    path("<str:code>/", join, name="join"),
    path("<str:code>/thanks/", thanks, name="join-thanks"),
]
