"""Writes of the notifications app: a person's preferences (kinds and language), and unsubscribing
from one kind through a mail's link."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from .models import MailLanguage, Notification, NotificationKind, NotificationPreference
from .selectors import LANGUAGE_CODES, email_normalise


def _kind(kind: Any) -> str:
    if kind not in NotificationKind.values:
        raise ApplicationError(_("“%(kind)s” is not a kind of notification.") % {"kind": kind}, field="kinds")
    return str(kind)


@transaction.atomic
def notification_preferences_set(
    *, email: str, kinds: dict[str, bool] | None = None, language: str | None = None
) -> None:
    """Switch kinds on or off for an address and/or choose the language of its mails.

    `kinds`: kind -> wanted (kinds not named keep their setting); `language`: a code of
    settings.LANGUAGES, "" for "as my country" (the stored choice removed), None to leave it."""
    email = email_normalise(email)
    if not email:
        raise ApplicationError(_("An e-mail address is needed for notifications."), field="email")
    kinds = kinds or {}
    for kind, wanted in kinds.items():
        _kind(kind)
        if not isinstance(wanted, bool):
            raise ApplicationError(_("Each kind is switched on (true) or off (false)."), field="kinds")
    if language is not None and language != "" and language not in LANGUAGE_CODES:
        raise ApplicationError(
            _("Choose one of these languages: %(codes)s.") % {"codes": ", ".join(LANGUAGE_CODES)},
            field="language",
        )
    for kind, wanted in sorted(kinds.items()):
        NotificationPreference.objects.update_or_create(email=email, kind=kind, defaults={"enabled": wanted})
    if language == "":
        MailLanguage.objects.filter(email=email).delete()
    elif language is not None:
        MailLanguage.objects.update_or_create(email=email, defaults={"language": language})


@transaction.atomic
def notification_unsubscribe(*, email: str, kind: str) -> None:
    """The link in a mail: that kind off for that address (again is no change)."""
    email = email_normalise(email)
    NotificationPreference.objects.update_or_create(
        email=email, kind=_kind(kind), defaults={"enabled": False}
    )


@transaction.atomic
def address_data_erase(*, email: str, erased: Any) -> bool:
    """Erase the preferences, the language and the log of mails kept under an erased person's
    address, unless another distributor or customer (not `erased`) still has that address: the
    same person in another role, whose opt-outs must keep working. True when erased."""
    from distributors.models import Distributor
    from orders.models import Customer

    email = email_normalise(email)
    if not email:
        return False
    others = Distributor.objects.filter(email__iexact=email)
    customers = Customer.objects.filter(email__iexact=email)
    if isinstance(erased, Distributor):
        others = others.exclude(pk=erased.pk)
    elif isinstance(erased, Customer):
        customers = customers.exclude(pk=erased.pk)
    if others.exists() or customers.exists():
        return False
    Notification.objects.filter(email=email).delete()
    NotificationPreference.objects.filter(email=email).delete()
    MailLanguage.objects.filter(email=email).delete()
    return True
