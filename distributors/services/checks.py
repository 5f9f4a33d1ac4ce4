"""What several writes check the same way: only staff change the tree or a status, a reason goes
into the history, and the contact fields are cleaned alike at enrollment and on a profile change."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.accounts.services import actor_is_staff
from core.errors import ApplicationError, PermissionDenied


def require_staff(actor: Any) -> None:
    """Refuse anyone but staff: only they change the sponsor tree or a distributor's status."""
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff may change the sponsor tree or a distributor's status."))


def require_reason(reason: str) -> str:
    """The reason given for a change, stripped; refused when empty (it goes into the history)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason; it is kept in the history."), field="reason")
    return reason


def clean_text(value: str, field: str, label: str | Promise, *, max_length: int = 100) -> str:
    """A required text field, stripped; refused when empty or longer than `max_length`."""
    value = (value or "").strip()
    if not value:
        raise ApplicationError(_("%(label)s is required.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise ApplicationError(
            _("%(label)s is longer than %(max)d characters.") % {"label": label, "max": max_length},
            field=field,
        )
    return value


# The contact fields, each with its cleaner (what staff may change through the profile service).
CONTACT_CLEANERS = {
    "first_name": lambda v: clean_text(v, "first_name", gettext_lazy("First name")),
    "last_name": lambda v: clean_text(v, "last_name", gettext_lazy("Last name")),
    "email": lambda v: _clean_email(v),
    "phone": lambda v: _clean_phone(v),
    "country": lambda v: _clean_country(v),
}


def _clean_email(value: str) -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Enter a valid email address."), field="email") from None
    return email


def _clean_phone(value: str) -> str:
    phone = (value or "").strip()
    if len(phone) > 32:
        raise ApplicationError(_("Phone number is longer than 32 characters."), field="phone")
    return phone


def _clean_country(value: str) -> str:
    country = (value or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ApplicationError(_("Country must be a two-letter ISO code, e.g. NL."), field="country")
    return country


def clean_contact(**fields: str) -> dict[str, str]:
    """The contact fields of a distributor, cleaned, in the order a form shows them."""
    return {name: CONTACT_CLEANERS[name](value) for name, value in fields.items()}
