"""Forms of the portal's own account pages (the section forms live beside their views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.accounts.forms import message_with_link
from core.api.permissions import actor_distributor
from core.errors import ApplicationError


def add_service_error(
    form: forms.Form, error: ApplicationError, *, fields: dict[str, str] | None = None
) -> None:
    """A service's refusal on the field it names (`fields` maps a service's field name to the
    form's where they differ), else on the form as a whole: nothing typed is lost."""
    name = (fields or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, error.message)


class PortalLoginForm(AuthenticationForm):
    """A distributor's sign-in. A staff account without a distributor profile is sent to the admin
    with a clear word, as a distributor at the admin's login is sent here (core/admin_site.py)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "staff_only": _("This is the distributors' portal. Staff sign in to the %(admin)s."),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        # A username longer than a username can be is a form error, never a lookup (as on the admin).
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        username.validators.append(MaxLengthValidator(username.max_length))
        username.label = _("E-mail address or username")
        username.widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if actor_distributor(user) is None:
            message = message_with_link(
                self.error_messages["staff_only"], "admin", reverse("admin:index"), _("admin")
            )
            raise forms.ValidationError(message, code="staff_only")
