"""A distributor's VAT status: read it, and enter or change it (themselves or staff), checked by
`distributors.tax.vat_details_check` as the portal, the API and the admin check it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.accounts.services import actor_is_staff
from core.batches import chunked
from core.errors import ApplicationError, PermissionDenied
from core.services import audit_record
from distributors.models import Distributor
from distributors.tax import VatRegistration, VatStatus, vat_details_check


def vat_registration_of(distributor: Distributor) -> VatRegistration | None:
    return VatRegistration.objects.filter(distributor=distributor).first()


def vat_registrations_of(distributor_ids: list[int]) -> dict[int, VatRegistration]:
    """The VAT statuses of these distributors that have one, by distributor id (one query per 5,000)."""
    found: dict[int, VatRegistration] = {}
    for part in chunked(distributor_ids, 5_000):
        found.update(
            (row.distributor_id, row) for row in VatRegistration.objects.filter(distributor_id__in=part)
        )
    return found


@transaction.atomic
def vat_registration_set(
    *,
    distributor: Distributor,
    vat_status: str,
    vat_number: str = "",
    business_name: str = "",
    address: str = "",
    actor: Any,
) -> VatRegistration:
    """Enter or change the distributor's VAT status. It counts from the next payout batch on:
    invoices already issued keep the status they were issued with. Audited without the number."""
    is_self = getattr(actor, "pk", None) is not None and actor.pk == distributor.user_id
    if not is_self and not actor_is_staff(actor):
        raise PermissionDenied(_("Only the distributor or staff may change their VAT status."))
    try:
        details = vat_details_check(
            vat_status=vat_status, vat_number=vat_number, business_name=business_name, address=address
        )
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(messages[0], field=field) from None
    values = {
        "vat_status": details.vat_status,
        "vat_number": details.vat_number,
        "business_name": details.business_name,
        "address": details.address,
    }
    registration, created = VatRegistration.objects.select_for_update(no_key=True).get_or_create(
        distributor=distributor, defaults=values
    )
    if not created:
        for name, value in values.items():
            setattr(registration, name, value)
        registration.save()
    audit_record(
        actor=actor, action="distributor.vat_status_set", target=distributor,
        data={"created": created, "vat_status": details.vat_status,
              "country": details.vat_number[:2] if details.vat_status != VatStatus.NOT_REGISTERED else ""},
    )  # fmt: skip
    return registration
