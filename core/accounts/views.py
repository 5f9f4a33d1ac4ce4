"""The account pages: Django's password views with this project's forms, tokens and templates."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.views.generic import TemplateView

from .forms import PasswordResetForm
from .tokens import invitation_token_generator


class InvitationSetPasswordView(auth_views.PasswordResetConfirmView):
    """The link of an invitation: the recruit chooses their own password (the link then dies)."""

    token_generator = invitation_token_generator
    template_name = "account/set_password.html"
    success_url = reverse_lazy("account:password-set-done")
    extra_context = {"invitation": True}


class PasswordResetRequestView(auth_views.PasswordResetView):
    """The "Forgot your password?" page: the same answer whether or not the address is known."""

    form_class = PasswordResetForm
    template_name = "account/password_reset_form.html"
    success_url = reverse_lazy("account:password-reset-sent")


class PasswordResetSentView(TemplateView):
    template_name = "account/password_reset_sent.html"


class PasswordResetSetView(auth_views.PasswordResetConfirmView):
    template_name = "account/set_password.html"
    success_url = reverse_lazy("account:password-set-done")
    extra_context = {"invitation": False}


class PasswordSetDoneView(TemplateView):
    template_name = "account/password_set_done.html"
