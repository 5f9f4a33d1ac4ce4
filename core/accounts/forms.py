"""Forms of the account pages and the admin's login form."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.cache import cache
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login: a username longer than a username can be is a form error, not a lookup.

    Django's AuthenticationForm sets the field's max_length after construction, which adds no
    validator, so the value reached authenticate() (and axes) whatever its length.
    """

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        username.validators.append(MaxLengthValidator(username.max_length))

    def confirm_login_allowed(self, user: Any) -> None:
        """A distributor's right password here is not "not a staff account": it says where to go."""
        from core.api.permissions import actor_distributor

        if user.is_active and not user.is_staff and actor_distributor(user) is not None:
            message = message_with_link(
                self.error_messages["distributor"], "portal", reverse("portal:login"), _("distributor portal")
            )
            raise forms.ValidationError(message, code="distributor")
        super().confirm_login_allowed(user)

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "distributor": _("This sign-in is for the company's staff. Distributors sign in to the %(portal)s."),
    }


def message_with_link(message: StrOrPromise, name: str, url: str, text: StrOrPromise) -> SafeString:
    """A translated sentence with a link in place of `%(name)s`; the sentence itself is escaped."""
    return mark_safe(conditional_escape(str(message)) % {name: format_html('<a href="{}">{}</a>', url, text)})


class PasswordResetForm(DjangoPasswordResetForm):
    """The "Forgot your password?" form: also for an invited login that never set a password.

    Django's form skips users without a usable password; an invitation leaves exactly that until
    the recruit sets one, and a recruit whose link expired must be able to get a new one. The
    e-mail goes out in the background (core.tasks.send_password_reset) with a link built from
    settings.PUBLIC_URL, and the page answers the same whether or not the address is known.
    """

    email = forms.EmailField(max_length=254, label=DjangoPasswordResetForm.base_fields["email"].label)

    def get_users(self, email: str):
        User = get_user_model()
        email_field = User.get_email_field_name()
        return User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})

    def save(self, *args: Any, **kwargs: Any) -> None:
        from core.tasks import send_password_reset

        email = self.cleaned_data["email"]
        if not reset_mail_allowed(email):
            return  # the page answers the same: nobody learns of the limit, nobody's inbox fills
        language = get_language()
        for user in self.get_users(email):

            def send(pk: Any = user.pk, lang: str = language) -> None:
                send_password_reset.delay(pk, lang)

            # In the background after commit, and robust: a known address must answer like an
            # unknown one, neither slower nor with a 500 when the mail server is down.
            transaction.on_commit(send, robust=True)


# At most this many reset e-mails per address and hour, however often the form is sent.
RESET_MAILS_PER_HOUR = 3


def reset_mail_allowed(email: str) -> bool:
    key = "password-reset:" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= RESET_MAILS_PER_HOUR
    except ValueError:  # expired between add and incr
        return True
