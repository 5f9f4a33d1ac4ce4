"""A distributor's VAT status for the self-billing invoices the company issues on their behalf
(imported by distributors.models), and the one check of it (python-stdnum) that the portal's form,
the API's serializer, the admin's form and the service use.

Not registered and the small-business scheme (KOR) charge no VAT; VAT-registered in the Netherlands
charges 21 % on top; VAT-registered in another EU country is reverse-charged. Both registered
statuses need a valid VAT number of their country. The check raises Django's `ValidationError`
keyed by field (`vat_status`, `vat_number`, `business_name`, `address`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat

# The country prefix of a VAT number is the ISO code but for Greece (EL); XI is Northern Ireland.
EU_VAT_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES if code != "gr") | {"EL"}
VAT_NUMBER_MAX_LENGTH = 20
ADDRESS_MAX_LENGTH = 300


class VatStatus(models.TextChoices):
    NOT_REGISTERED = "none", _("Not registered for VAT")
    SMALL_BUSINESS = "kor", _("Small-business scheme (KOR): no VAT")
    NL = "nl", _("VAT-registered in the Netherlands (21 % VAT)")
    OTHER_EU = "eu", _("VAT-registered in another EU country (reverse charge)")


REGISTERED = (VatStatus.NL, VatStatus.OTHER_EU)


class VatRegistration(models.Model):
    """How the distributor's commission is invoiced: their VAT status and number, and the name and
    address on the invoice. No row: not registered for VAT. Written only through
    `distributors.services.tax.vat_registration_set`; each invoice copies it."""

    distributor = models.OneToOneField(
        "distributors.Distributor",
        on_delete=models.CASCADE,
        related_name="vat_registration",
        verbose_name=_("distributor"),
    )
    vat_status = models.CharField(
        _("VAT status"), max_length=4, choices=VatStatus.choices, default=VatStatus.NOT_REGISTERED
    )
    vat_number = models.CharField(_("VAT number"), max_length=VAT_NUMBER_MAX_LENGTH, blank=True)
    business_name = models.CharField(
        _("business name"), max_length=200, blank=True, help_text=_("Empty: the distributor's own name.")
    )
    address = models.TextField(_("invoice address"), max_length=ADDRESS_MAX_LENGTH, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("VAT status")
        verbose_name_plural = _("VAT statuses")
        ordering = ["distributor"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(vat_status__in=["nl", "eu"]) | ~models.Q(vat_number=""),
                name="vatregistration_number_when_registered",
            )
        ]

    def __str__(self) -> str:
        return gettext("VAT status of distributor %(distributor)s") % {"distributor": self.distributor_id}


@dataclass(frozen=True)
class VatDetails:
    vat_status: str
    vat_number: str  # compact, with its country prefix; "" when none
    business_name: str
    address: str  # lines joined by "\n", each stripped


def _number_error(error: Exception) -> str:
    if isinstance(error, stdnum_errors.InvalidChecksum):
        return gettext("The check digit of this VAT number does not match: look for a typing error.")
    if isinstance(error, stdnum_errors.InvalidLength):
        return gettext("This VAT number has too many or too few characters for its country.")
    return gettext("This is not a valid VAT number: look for a typing error.")


def _vat_number_check(status: str, number: str) -> str:
    """The number compact and valid for the status, or a ValidationError with the reason."""
    compact = "".join(ch for ch in (number or "").upper() if ch.isalnum())
    if not compact:
        if status in REGISTERED:
            raise ValidationError(
                gettext("Enter your VAT number, starting with its country code (such as NL123456789B01).")
            )
        return ""
    if status == VatStatus.NL and compact[:2] not in EU_VAT_PREFIXES and compact[:1].isdigit():
        compact = "NL" + compact  # a Dutch number is often typed without its prefix
    prefix = compact[:2]
    if prefix not in EU_VAT_PREFIXES:
        raise ValidationError(
            gettext("A VAT number starts with the code of an EU country, such as NL or BE.")
        )
    if status in (VatStatus.NL, VatStatus.SMALL_BUSINESS) and prefix != "NL":
        raise ValidationError(
            gettext(
                "A Dutch VAT status needs a Dutch VAT number (starting with NL); a number of another "
                "EU country goes with 'VAT-registered in another EU country'."
            )
        )
    if status == VatStatus.OTHER_EU and prefix == "NL":
        raise ValidationError(
            gettext("This is a Dutch VAT number: choose 'VAT-registered in the Netherlands'.")
        )
    try:
        return str(eu_vat.validate(compact))
    except stdnum_errors.ValidationError as error:
        raise ValidationError(_number_error(error)) from None


def vat_details_check(
    *, vat_status: str, vat_number: str = "", business_name: str = "", address: str = ""
) -> VatDetails:
    """The details cleaned, or a `ValidationError` with a message per field at fault.

    Not registered: no VAT number (one entered is dropped). The small-business scheme: a Dutch VAT
    number if given. Registered: a valid number of the status's country (NL, or another EU
    country), and the address the invoice is made out to.
    """
    errors: dict[str, list[str]] = {}
    if vat_status not in VatStatus.values:
        errors["vat_status"] = [gettext("Choose your VAT status.")]
    business_name = " ".join((business_name or "").split())
    if len(business_name) > 200:
        errors["business_name"] = [gettext("The business name has at most 200 characters.")]
    lines = [" ".join(line.split()) for line in (address or "").splitlines()]
    address = "\n".join(line for line in lines if line)
    if len(address) > ADDRESS_MAX_LENGTH:
        errors["address"] = [
            gettext("The address has at most %(max)d characters.") % {"max": ADDRESS_MAX_LENGTH}
        ]
    elif vat_status in REGISTERED and not address:
        errors["address"] = [gettext("Enter the address of your business: it goes on your invoices.")]
    number = ""
    if vat_status in VatStatus.values and vat_status != VatStatus.NOT_REGISTERED:
        try:
            number = _vat_number_check(vat_status, vat_number)
        except ValidationError as error:
            errors["vat_number"] = error.messages
    if errors:
        raise ValidationError(errors)
    return VatDetails(vat_status=vat_status, vat_number=number, business_name=business_name, address=address)
