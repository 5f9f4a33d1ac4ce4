"""Signing in and out, changing the password, and where `/` leads.

Password reset and the invitation link live in core.accounts (/account/...), shared with staff;
the language is switched by Django's set_language view (/i18n/setlang/), from every page.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _

from core.api.permissions import actor_distributor
from portal.access import distributor_required
from portal.forms import PortalLoginForm


def home(request: HttpRequest) -> HttpResponse:
    """`/`: a distributor to their dashboard, staff to the admin, anyone else to the sign-in page."""
    user = request.user
    if user.is_authenticated and actor_distributor(user) is None and user.is_staff:
        return redirect("admin:index")
    return redirect("portal:dashboard")


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView): a link cannot sign anyone out."""


@method_decorator(distributor_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None, credentials=None):
    """django-axes' answer to a sign-in while locked out (AXES_LOCKOUT_CALLABLE): the API answers
    in its own JSON error format (core.api.auth), every page in the portal's layout and language."""
    if original_response is not None and request.path.startswith("/api/"):
        return original_response
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "portal/locked_out.html", context, status=429)


def no_profile(request: HttpRequest) -> HttpResponse:
    """A signed-in user who is neither staff nor a distributor (an erased profile, say)."""
    return render(request, "portal/no_profile.html", status=403)


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password-change"),
    path("no-profile/", no_profile, name="no-profile"),
]
