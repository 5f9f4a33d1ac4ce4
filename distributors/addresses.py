"""Who holds an e-mail address, told only to those who may know (docs/privacy.md).

Enrolment, customer registration and a change of one's own e-mail address must refuse an
address that a distributor, a login or another distributor's customer already holds. Naming the
reason would tell any distributor whether a stranger is a member, so everyone but staff gets
one refusal: the same status, code and message for every such case. The precise reason goes to
the log (with a keyed fingerprint of the address, never the address) and to staff.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.accounts.services import actor_is_staff
from core.errors import AddressUnavailable

logger = logging.getLogger("backoffice.privacy")

# The precise reasons, as staff read them (and as the admin always showed them).
REASON_DISTRIBUTOR = "distributor"
REASON_LOGIN = "login"
REASON_OTHER_CUSTOMER = "customer_of_another_distributor"


def _staff_message(reason: str) -> str:
    return {
        REASON_DISTRIBUTOR: _("A distributor with this email address already exists."),
        REASON_LOGIN: _("A login with this email address already exists."),
        REASON_OTHER_CUSTOMER: _(
            "This e-mail address is already a customer of another distributor; "
            "a customer stays with the distributor who first brought them in."
        ),
    }[reason]


def uniform_message() -> str:
    return _("This e-mail address cannot be used here. Use another address, or ask the person to contact us.")


def address_fingerprint(email: str) -> str:
    """A keyed hash of the address: repeated probes of one address show in the log, the address does not."""
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def address_unavailable(*, reason: str, email: str, actor: Any, operation: str) -> AddressUnavailable:
    """The refusal to raise for an address held by someone else, logged for the audit."""
    staff = actor_is_staff(actor)
    logger.warning(
        "e-mail address refused: operation=%s actor=%s reason=%s address=%s",
        operation,
        getattr(actor, "pk", None),
        reason,
        address_fingerprint(email),
    )
    return AddressUnavailable(_staff_message(reason) if staff else uniform_message(), reason=reason)
