"""A distributor's bank account for SEPA payouts: one check of the IBAN and BIC (schwifty) used by
the portal's form, the API's serializer and the admin's form, and the writes.

The check raises Django's `ValidationError` keyed by field (`holder`, `iban`, `bic`), which a form
and a DRF serializer put on their fields as they are; the service refuses the same input with an
`ApplicationError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

from core.accounts.services import actor_is_staff
from core.batches import chunked
from core.errors import ApplicationError, PermissionDenied
from core.services import audit_record

from .models import BankAccount, Distributor

# The SEPA name of a party is at most 70 characters (pain.001's Nm).
HOLDER_MAX_LENGTH = 70


@dataclass(frozen=True)
class BankDetails:
    holder: str
    iban: str  # compact, upper case
    bic: str  # as entered (compact, upper case), or "" when the IBAN's bank is known
    bic_derived: str  # the BIC that follows from the IBAN, "" when schwifty knows none

    @property
    def bic_to_use(self) -> str:
        return self.bic or self.bic_derived


def _iban_error(error: Exception) -> str:
    if isinstance(error, schwifty_errors.InvalidChecksumDigits):
        return _("The check digits do not match: look for a typing error in the IBAN.")
    if isinstance(error, schwifty_errors.InvalidCountryCode):
        return _("An IBAN starts with the code of a country, such as NL or BE.")
    if isinstance(error, schwifty_errors.InvalidLength):
        return _("This IBAN has too many or too few characters for its country.")
    if isinstance(error, schwifty_errors.InvalidBBANChecksum | schwifty_errors.NationalChecksumNotVerified):
        return _("The account number in this IBAN is not valid: look for a typing error.")
    return _("This is not a valid IBAN.")


def bank_details_check(*, holder: str, iban: str, bic: str = "") -> BankDetails:
    """The details cleaned, or a `ValidationError` with a message per field at fault.

    An IBAN of the SEPA zone with valid check digits (and national checksum where schwifty knows
    one); a BIC only where schwifty cannot tell the bank from the IBAN, and valid when given.
    """
    errors: dict[str, list[str]] = {}
    holder = " ".join((holder or "").split())
    if not holder:
        errors["holder"] = [_("Enter the name of the account holder, as the bank knows it.")]
    elif len(holder) > HOLDER_MAX_LENGTH:
        errors["holder"] = [
            _("The account holder's name has at most %(max)d characters.") % {"max": HOLDER_MAX_LENGTH}
        ]
    parsed: IBAN | None = None
    compact = "".join((iban or "").split()).upper()
    if not compact:
        errors["iban"] = [_("Enter your IBAN.")]
    else:
        try:
            parsed = IBAN(compact, validate_bban=True)
        except schwifty_errors.SchwiftyException as error:
            errors["iban"] = [_iban_error(error)]
        else:
            if not parsed.in_sepa_zone:
                errors["iban"] = [_("Payments go by SEPA transfer: enter an IBAN of a SEPA country.")]
                parsed = None
    derived = ""
    if parsed is not None and parsed.bic is not None:
        derived = str(parsed.bic.compact)
    bic_compact = "".join((bic or "").split()).upper()
    if bic_compact:
        try:
            given = BIC(bic_compact)
        except schwifty_errors.SchwiftyException:
            errors["bic"] = [_("This is not a valid BIC: 8 or 11 letters and digits, such as ABNANL2A.")]
        else:
            bic_compact = str(given.compact)
            if parsed is not None and given.country_code != parsed.country_code:
                errors["bic"] = [_("This BIC is of a bank in another country than the IBAN.")]
    elif parsed is not None and not derived:
        errors["bic"] = [_("Enter the BIC of your bank: it does not follow from this IBAN.")]
    if errors:
        raise ValidationError(errors)
    assert parsed is not None
    return BankDetails(holder=holder, iban=str(parsed.compact), bic=bic_compact, bic_derived=derived)


def bank_account_of(distributor: Distributor) -> BankAccount | None:
    return BankAccount.objects.filter(distributor=distributor).first()


@transaction.atomic
def bank_account_set(
    *, distributor: Distributor, holder: str, iban: str, bic: str = "", actor: Any
) -> BankAccount:
    """Enter or change the distributor's bank account (themselves or staff), checked as the forms
    check it; saving clears a return by the bank. Audited without the account's number."""
    is_self = getattr(actor, "pk", None) is not None and actor.pk == distributor.user_id
    if not is_self and not actor_is_staff(actor):
        raise PermissionDenied(_("Only the distributor or staff may change their bank account."))
    try:
        details = bank_details_check(holder=holder, iban=iban, bic=bic)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(messages[0], field=field) from None
    account, created = BankAccount.objects.select_for_update(no_key=True).get_or_create(
        distributor=distributor,
        defaults={"holder": details.holder, "iban": details.iban, "bic": details.bic},
    )
    if not created:
        account.holder, account.iban, account.bic = details.holder, details.iban, details.bic
        account.returned_at, account.return_reason = None, ""
        account.save()
    audit_record(
        actor=actor, action="distributor.bank_account_set", target=distributor,
        data={"created": created, "country": details.iban[:2]},
    )  # fmt: skip
    return account


def bank_account_returned(*, distributor_id: int, reason: str) -> int:
    """The bank returned a payment to this account: hold payouts until the distributor saves
    their details again (called by the bank statement import, in its transaction)."""
    return BankAccount.objects.filter(distributor_id=distributor_id).update(
        returned_at=timezone.now(), return_reason=reason[:255]
    )


def bank_accounts_of(distributor_ids: list[int]) -> dict[int, BankAccount]:
    """The bank accounts of these distributors, by distributor id (one query per 5,000)."""
    found: dict[int, BankAccount] = {}
    for part in chunked(distributor_ids, 5_000):
        found.update(
            (account.distributor_id, account)
            for account in BankAccount.objects.filter(distributor_id__in=part)
        )
    return found
