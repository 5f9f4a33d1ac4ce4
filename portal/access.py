"""Who may open a portal page: a signed-in user with a distributor profile, nobody else.

Every portal view is wrapped in `distributor_required`: an anonymous visitor goes to the portal's
sign-in page, a staff user without a distributor profile goes to the admin, where they work. The
view receives the distributor as `request.distributor` and reaches data only through it (its own
rows and its downline's name, rank and volumes), through the same selectors and services as the API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.middleware import HtmxDetails

from core.api.permissions import actor_distributor
from distributors.models import Distributor


class PortalRequest(HttpRequest):
    """What a portal view receives: `distributor_required` sets the distributor, django-htmx's
    middleware `htmx`. For annotations only: the object is Django's request."""

    distributor: Distributor
    htmx: HtmxDetails


def distributor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        distributor = actor_distributor(request.user)
        if distributor is None:
            # Staff (or a user whose profile was erased): the portal has nothing of theirs.
            return redirect("admin:index") if request.user.is_staff else redirect("portal:no-profile")
        request.distributor = distributor  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped
