"""Personal data of a distributor (GDPR, compliance.md item 8): export and erasure.

The export is everything the back office holds about the person, as plain JSON (decimals as
strings, times in ISO 8601), read with a fixed number of queries whatever the history's size.
Erasure pseudonymises the person in place and keeps the tree and the financial records the law
requires (7 years in the Netherlands): external id, sponsor, orders, ledger, statements, payouts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import (
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Payout,
    Statement,
)
from core.accounts.services import actor_is_staff, user_tokens_revoke
from core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from core.models import AuditEntry
from core.services import audit_pseudonymise_target, audit_record
from orders.models import (
    BuybackLine,
    BuybackRequest,
    Customer,
    Demonstration,
    DemonstrationGuest,
    Order,
    OrderLine,
    Return,
    ReturnLine,
)

from .models import Distributor, DistributorStatus, SponsorChange

EXPORT_FORMAT = "backoffice.personal-data.v1"
ERASED_FIRST_NAME = "Erased"


def plain(value: Any) -> Any:
    """A value as JSON has it: decimals as strings (exact), dates and times in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def rows(queryset: models.QuerySet, *fields: str, **renamed: str) -> list[dict[str, Any]]:
    """One query: the rows' fields as plain JSON; `renamed` maps an output key to a lookup."""
    lookups = {**{f: f for f in fields}, **renamed}
    return [
        {key: plain(row[lookup]) for key, lookup in lookups.items()}
        for row in queryset.values(*lookups.values())
    ]


def grouped(items: Iterable[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    """Children by their parent's id, the parent id taken out of each child."""
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        out[item.pop(key)].append(item)
    return out


def audit_entries(
    *, targets: dict[type[models.Model], Iterable[Any]], user_id: int | None
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


# Rows of the final closes only: previews are not records of anything paid.
FINAL_RUN = {"run__kind": CloseRunKind.FINAL, "run__status": CloseRunStatus.SUCCEEDED}


def _profile(distributor: Distributor) -> dict[str, Any]:
    user = distributor.user
    return {
        "id": distributor.pk,
        "external_id": distributor.external_id,
        "first_name": distributor.first_name,
        "last_name": distributor.last_name,
        "email": distributor.email,
        "phone": distributor.phone,
        "country": distributor.country,
        "status": distributor.status,
        "enrolled_at": plain(distributor.enrolled_at),
        "terminated_at": plain(distributor.terminated_at),
        "referral_code": distributor.referral_code,
        "rank": distributor.rank,
        "title": distributor.title,
        "created_at": plain(distributor.created_at),
        "updated_at": plain(distributor.updated_at),
        "login": None
        if user is None
        else {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_active": user.is_active,
            "date_joined": plain(user.date_joined),
            "last_login": plain(user.last_login),
        },
    }


def _named(pk: int | None, external_id: str | None, first: str | None, last: str | None) -> dict | None:
    """Another distributor as an export names them: id, external id and name only."""
    if pk is None:
        return None
    return {"id": pk, "external_id": external_id, "name": f"{first} {last}"}


def distributor_personal_data(distributor: Distributor) -> dict[str, Any]:
    """Everything the back office holds about one distributor, for their access request.

    Other people appear only as far as they belong to this person's records: the sponsor and
    the sources of ledger lines by name, the distributor's own customers in full (their customer
    list is theirs). Never the downline's contact data.
    """
    me = Distributor.objects.select_related("sponsor", "user").filter(pk=distributor.pk).first()
    if me is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    sponsor = me.sponsor

    sponsor_changes = [
        {
            "changed_at": row["changed_at"],
            "kind": row["kind"],
            "old_sponsor": _named(*(row.pop(f"old_{k}") for k in ("id", "ext", "first", "last"))),
            "new_sponsor": _named(*(row.pop(f"new_{k}") for k in ("id", "ext", "first", "last"))),
            "reason": row["reason"],
        }
        for row in rows(
            SponsorChange.objects.filter(distributor=me).order_by("changed_at", "id"),
            "changed_at",
            "kind",
            "reason",
            old_id="old_sponsor_id",
            old_ext="old_sponsor__external_id",
            old_first="old_sponsor__first_name",
            old_last="old_sponsor__last_name",
            new_id="new_sponsor_id",
            new_ext="new_sponsor__external_id",
            new_first="new_sponsor__first_name",
            new_last="new_sponsor__last_name",
        )
    ]

    customers = rows(
        Customer.objects.filter(distributor=me).order_by("id"),
        "id",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "kind",
        "created_at",
        household_of="household_of_id",
    )

    lines = grouped(
        rows(
            OrderLine.objects.filter(order__distributor=me).order_by("order_id", "id"),
            "id",
            "order_id",
            "sku",
            "quantity",
            "unit_list_price",
            "unit_price",
            "vat_rate",
            "unit_qv",
            "unit_cv",
            "commissionable",
            "half_price",
        ),
        "order_id",
    )
    orders = rows(
        Order.objects.filter(distributor=me).order_by("created_at", "id"),
        "id",
        "number",
        "external_id",
        "purpose",
        "status",
        "customer_id",
        "demonstration_id",
        "currency",
        "created_at",
        "paid_at",
        "cancelled_at",
        "commission_date",
        "commission_period",
        "host_credit_redeemed",
    )
    for order in orders:
        order["lines"] = lines.get(order["id"], [])

    return_lines = grouped(
        rows(
            ReturnLine.objects.filter(return_record__order__distributor=me).order_by("id"),
            "quantity",
            "refund_amount",
            return_id="return_record_id",
            order_line_id="order_line_id",
            sku="order_line__sku",
        ),
        "return_id",
    )
    returns = rows(
        Return.objects.filter(order__distributor=me).order_by("refunded_at", "id"),
        "id",
        "kind",
        "refunded_at",
        "refund_period",
        "refund_amount",
        "reason",
        order_number="order__number",
    )
    for record in returns:
        record["lines"] = return_lines.get(record["id"], [])

    guests = grouped(
        rows(
            DemonstrationGuest.objects.filter(demonstration__consultant=me).order_by("id"),
            "demonstration_id",
            "customer_id",
            "added_at",
        ),
        "demonstration_id",
    )
    demonstrations = rows(
        Demonstration.objects.filter(consultant=me).order_by("held_at", "id"),
        "id",
        "external_id",
        "held_at",
        "place",
        "video_link",
        "status",
        "closed_at",
        "qps",
        "host_id",
    )
    for demonstration in demonstrations:
        demonstration["guests"] = guests.get(demonstration["id"], [])

    buyback_lines = grouped(
        rows(
            BuybackLine.objects.filter(request__distributor=me).order_by("id"),
            "request_id",
            "order_line_id",
            "quantity",
            "approved_quantity",
            "unit_refund",
            order_number="order_line__order__number",
            sku="order_line__sku",
        ),
        "request_id",
    )
    buyback_requests = rows(
        BuybackRequest.objects.filter(distributor=me).order_by("created_at", "id"),
        "id",
        "status",
        "reason",
        "with_termination",
        "created_at",
        "decided_at",
        "decision_reason",
        "refund_total",
    )
    for request in buyback_requests:
        request["lines"] = buyback_lines.get(request["id"], [])

    period_results = rows(
        DistributorPeriod.objects.filter(distributor=me, **FINAL_RUN).order_by("period__start"),
        "pcv",
        "ppc",
        "pv",
        "gv",
        "customer_cv",
        "own_cv",
        "customer_count",
        "active",
        "customer_requirement_met",
        "override_eligible",
        "paid_as_rank",
        "title",
        "active_frontline",
        period="period__start",
    )
    statements = rows(
        Statement.objects.filter(distributor=me, **FINAL_RUN).order_by("period__start"),
        "carried_in",
        "personal",
        "override",
        "clawbacks",
        "adjustments",
        "net",
        "payout",
        "carried_out",
        period="period__start",
    )
    ledger_lines = [
        {**row, "source": _named(*(row.pop(k) for k in ("source_id", "src_ext", "src_first", "src_last")))}
        for row in rows(
            LedgerLine.objects.filter(distributor=me, **FINAL_RUN).order_by("period__start", "kind", "key"),
            "kind",
            "key",
            "level",
            "rate",
            "base",
            "amount",
            "original_period",
            "source_id",
            period="period__start",
            src_ext="source__external_id",
            src_first="source__first_name",
            src_last="source__last_name",
        )
    ]
    payouts = rows(
        Payout.objects.filter(distributor=me).order_by("batch__period__start", "id"),
        "reference",
        "amount",
        period="batch__period__start",
        batch="batch__reference",
        batch_status="batch__status",
        paid_at="batch__paid_at",
    )

    return {
        "format": EXPORT_FORMAT,
        "generated_at": plain(timezone.now()),
        "subject": "distributor",
        "profile": _profile(me),
        "sponsor": None
        if sponsor is None
        else _named(sponsor.pk, sponsor.external_id, sponsor.first_name, sponsor.last_name),
        "sponsor_changes": sponsor_changes,
        "customers": customers,
        "orders": orders,
        "returns": returns,
        "demonstrations": demonstrations,
        "buyback_requests": buyback_requests,
        "period_results": period_results,
        "statements": statements,
        "ledger_lines": ledger_lines,
        "payouts": payouts,
        "audit_entries": audit_entries(
            targets={
                Distributor: [me.pk],
                Customer: [c["id"] for c in customers],
                Order: [o["id"] for o in orders],
                Demonstration: [d["id"] for d in demonstrations],
                BuybackRequest: [b["id"] for b in buyback_requests],
            },
            user_id=me.user_id,
        ),
    }


# --- Erasure ---------------------------------------------------------------------------------


def erased_email(pk: int) -> str:
    # The reserved .invalid name (RFC 2606): no mail goes anywhere, and enrolment's e-mail
    # validation refuses it, so no new distributor can ever take it.
    return f"erased-{pk}@erased.invalid"


def _pseudonym(pk: int) -> dict[str, str]:
    return {"first_name": ERASED_FIRST_NAME, "last_name": f"#{pk}", "email": erased_email(pk), "phone": ""}


def _user_erased(user: Any, pk: int) -> bool:
    return (
        not user.is_active
        and not user.has_usable_password()
        and (user.username, user.email, user.first_name, user.last_name)
        == (erased_email(pk), erased_email(pk), ERASED_FIRST_NAME, f"#{pk}")
    )


@transaction.atomic
def distributor_erase(*, distributor: Distributor, actor: Any, reason: str) -> Distributor:
    """Pseudonymise a terminated distributor (staff only): name, e-mail, phone and login.

    Kept untouched: external id, referral code, country, sponsor and the tree, orders, ledger,
    statements and payouts (the financial records kept 7 years). Erasing an erased distributor
    changes nothing and records nothing.
    """
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff may erase a distributor's personal data."))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason (e.g. the request's reference); it is kept."), field="reason")

    # A row lock, not the tree lock: the tree does not change; termination locks this row too.
    node = Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).first()
    if node is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    if node.status != DistributorStatus.TERMINATED:
        raise Conflict(
            _(
                "%(name)s is %(status)s: terminate the distributor first; only a terminated "
                "distributor's personal data can be erased."
            )
            % {"name": node.name, "status": node.get_status_display().lower()},
            field="distributor",
        )
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=node.user_id).first() if node.user_id else None
    pseudonym = _pseudonym(node.pk)
    if all(getattr(node, f) == v for f, v in pseudonym.items()) and (
        user is None or _user_erased(user, node.pk)
    ):
        return node

    now = timezone.now()
    Distributor.objects.filter(pk=node.pk).update(**pseudonym, updated_at=now)
    for field, value in pseudonym.items():
        setattr(node, field, value)
    node.updated_at = now
    if user is not None:
        user.username = user.email = erased_email(node.pk)
        user.first_name, user.last_name = ERASED_FIRST_NAME, f"#{node.pk}"
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["username", "email", "first_name", "last_name", "is_active", "password"])
        user_tokens_revoke(user=user)  # no app keeps a session of the erased login
    # Earlier entries about the person show the pseudonym too; the new one names only it.
    audit_pseudonymise_target(target=node, new_repr=str(node))
    audit_record(
        actor=actor,
        action="distributor.erase",
        target=node,
        reason=reason,
        data={"user": user.pk if user is not None else None},
    )
    return node


def personal_data_download(data: dict[str, Any], name: str) -> HttpResponse:
    """An export as a JSON file download (the admin's action; the API renders its own)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(name))
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="personal-data-{safe}.json"'
    response["Cache-Control"] = "no-store"
    return response


# --- Erasure requests: the distributor asks, staff decide ---------------------------------------


def erasure_requests_of(distributor: Distributor) -> models.QuerySet:
    """The distributor's erasure requests, newest first (the portal's "My data" page)."""
    from .models import ErasureRequest

    return ErasureRequest.objects.filter(distributor=distributor).order_by("-requested_at", "-id")


@transaction.atomic
def erasure_request_create(*, distributor: Distributor, actor: Any) -> Any:
    """Record that the distributor asks for their personal data to be erased; staff see it in the
    admin and act on it (terminate, then `distributor_erase`). A second request while one is
    pending is refused (the database keeps one pending per distributor)."""
    from .models import ErasureRequest, ErasureRequestStatus

    is_self = distributor.user_id is not None and getattr(actor, "pk", None) == distributor.user_id
    if not (is_self or actor_is_staff(actor)):
        raise PermissionDenied(_("Only the distributor or a staff member may ask for an erasure."))
    # The row lock makes two requests at once queue; the second sees the first and is refused.
    Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).values("pk").first()
    if ErasureRequest.objects.filter(distributor=distributor, status=ErasureRequestStatus.PENDING).exists():
        raise Conflict(
            _("Your erasure request is already waiting for the company; there is no need to ask again."),
            field="confirm",
        )
    request = ErasureRequest.objects.create(distributor=distributor)
    data = {"distributor": distributor.pk}
    audit_record(actor=actor, action="distributor.erasure_request", target=request, data=data)
    return request


@transaction.atomic
def erasure_request_handle(*, request: Any, actor: Any, status: str, note: str = "") -> Any:
    """Staff close a pending request: `done` (the data was erased) or `declined` (with a note)."""
    from .models import ErasureRequest, ErasureRequestStatus

    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff handle erasure requests."))
    if status not in (ErasureRequestStatus.DONE, ErasureRequestStatus.DECLINED):
        raise ApplicationError(_("An erasure request is handled as done or declined."), field="status")
    note = (note or "").strip()
    if status == ErasureRequestStatus.DECLINED and not note:
        raise ApplicationError(_("Give the reason for declining; the distributor sees it."), field="note")
    locked = ErasureRequest.objects.select_for_update(no_key=True).filter(pk=request.pk).first()
    if locked is None:
        raise NotFound(_("The erasure request does not exist."), field="request")
    if locked.status != ErasureRequestStatus.PENDING:
        raise Conflict(
            _("%(request)s is already %(status)s.")
            % {"request": locked, "status": locked.get_status_display().lower()},
            field="request",
        )
    locked.status, locked.note = status, note
    locked.handled_at, locked.handled_by = timezone.now(), actor
    locked.save(update_fields=["status", "note", "handled_at", "handled_by"])
    audit_record(actor=actor, action=f"distributor.erasure_request_{status}", target=locked, reason=note)
    return locked
