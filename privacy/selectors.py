"""A person's personal data (GDPR access, rules/compliance §8): every app's part, collected.

Each app exports what it holds about the person (`<app>/personal_data.py`, its own models and the
apps below it); this module asks them in a fixed order, which is the order of the export's
sections, and adds the audit entries about the records they name. The edges (admin, portal, API)
serve the result as a file. Compliance holds no personal data (its reports are aggregates).
Erasure is each owning app's service: `distributors.personal_data.distributor_erase`,
`orders.personal_data.customer_erase`; the other apps keep their records (7 years).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

import commissions.personal_data
import distributors.personal_data
import notifications.personal_data
import orders.personal_data
import orders.personal_data_autoship
from core.models import AuditEntry
from core.personal_data import PersonalDataPart, plain, rows
from distributors.agreement_selectors import agreement_personal_data_part
from distributors.models import Distributor
from orders.models import Customer

EXPORT_FORMAT = "backoffice.personal-data.v1"

# The parts of an export, in the order of its sections.
DISTRIBUTOR_PARTS: tuple[Callable[[Distributor], PersonalDataPart], ...] = (
    distributors.personal_data.distributor_part,  # profile, sponsor, sponsor_changes, bank_account
    agreement_personal_data_part,  # agreement_acceptances (the distributor agreement's versions)
    orders.personal_data.distributor_part,  # customers, orders, returns, demonstrations, buy-backs
    orders.personal_data_autoship.distributor_part,  # autoships (own and customers'), dates
    commissions.personal_data.distributor_part,  # period results, statements, ledger, payouts
    notifications.personal_data.distributor_part,  # notification settings, notifications sent
)
CUSTOMER_PARTS: tuple[Callable[[Customer], PersonalDataPart], ...] = (
    orders.personal_data.customer_part,  # profile, distributor, orders, returns, demonstrations...
    orders.personal_data_autoship.customer_part,  # autoships, their dates
    notifications.personal_data.customer_part,  # notification settings, notifications sent
)


def distributor_personal_data(distributor: Distributor) -> dict[str, Any]:
    """Everything the back office holds about one distributor, for their access request.

    Other people appear only as far as they belong to this person's records: the sponsor and
    the sources of ledger lines by name, the distributor's own customers in full (their customer
    list is theirs). Never the downline's contact data.
    """
    return _export("distributor", [part(distributor) for part in DISTRIBUTOR_PARTS])


def customer_personal_data(customer: Customer) -> dict[str, Any]:
    """Everything the back office holds about one customer, for their access request."""
    return _export("customer", [part(customer) for part in CUSTOMER_PARTS])


def _export(subject: str, parts: list[PersonalDataPart]) -> dict[str, Any]:
    data = {"format": EXPORT_FORMAT, "generated_at": plain(timezone.now()), "subject": subject}
    targets: dict[type[models.Model], list[Any]] = {}
    for part in parts:
        data.update(part.sections)
        for model, ids in part.audit_targets.items():
            targets.setdefault(model, []).extend(ids)
    login_id = next((part.login_id for part in parts if part.login_id is not None), None)
    data["audit_entries"] = _audit_entries(targets=targets, user_id=login_id)
    return data


def _audit_entries(
    *, targets: Mapping[type[models.Model], Iterable[Any]], user_id: int | None
) -> list[dict[str, Any]]:
    """Audit entries about the person's records (`targets`: model -> ids), and those of the acts
    they did themselves, in one query.

    The acting staff member is not named: the entry says what was done and why.
    """
    about = models.Q(pk__in=[])
    for model, ids in targets.items():
        keys = [str(pk) for pk in ids]
        if keys:
            about |= models.Q(target_type=model._meta.label_lower, target_id__in=keys)
    if user_id is not None:
        about |= models.Q(actor_id=user_id)
    return rows(
        AuditEntry.objects.filter(about).order_by("created_at", "id"),
        "created_at",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "reason",
        "data",
    )


# --- The file a person downloads ---------------------------------------------------------------


@dataclass(frozen=True)
class PersonalDataFile:
    """An export as the file that is downloaded; the edge that serves it makes the response."""

    filename: str
    content: str
    content_type: str = "application/json; charset=utf-8"


def personal_data_filename(name: str) -> str:
    """`personal-data-<name>.json`, any character of `name` but letters, digits, `.`, `_` and `-`
    written as `_`."""
    return f"personal-data-{re.sub(r'[^A-Za-z0-9._-]', '_', str(name))}.json"


def personal_data_file(data: dict[str, Any], name: str) -> PersonalDataFile:
    """An export as a JSON file (indented, UTF-8 as written), named after `name`."""
    return PersonalDataFile(
        filename=personal_data_filename(name), content=json.dumps(data, indent=2, ensure_ascii=False)
    )
