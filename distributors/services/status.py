"""A distributor's status: on hold, active again, or terminated (their frontline rolls up to
their sponsor)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ApplicationError, Conflict, NotFound
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock
from core.services import audit_record

from ..models import Distributor, DistributorStatus, SponsorChange
from ..tree import become_leaf
from .checks import require_reason, require_staff


@transaction.atomic
def distributor_terminate(
    *, distributor: Distributor, actor: Any, reason: str, at: datetime | None = None
) -> Distributor:
    """Terminate a distributor: their frontline rolls up to their sponsor; history stays.

    The terminated distributor stays in the tree as a leaf under their sponsor. A root with a
    frontline is refused: the company decides where that downline goes, by moving it first.
    """
    require_staff(actor)
    reason = require_reason(reason)
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ApplicationError(_("Termination time must carry a time zone."), field="at")

    advisory_xact_lock(SPONSOR_TREE_LOCK)
    # Under the tree lock the sponsor link cannot change, so it is safe to read before row locks.
    current = Distributor.objects.filter(pk=distributor.pk).values_list("sponsor_id", flat=True).first()
    if current is None and not Distributor.objects.filter(pk=distributor.pk).exists():
        raise NotFound(_("The distributor does not exist."), field="distributor")
    locked = (
        Distributor.objects.select_for_update(no_key=True)
        .filter(Q(pk__in=[distributor.pk, current]) | Q(sponsor_id=distributor.pk))
        .order_by("pk")
    )
    rows = {row.pk: row for row in locked}
    node = rows[distributor.pk]
    frontline = sorted((r for r in rows.values() if r.sponsor_id == node.pk), key=lambda r: r.pk)
    if node.status == DistributorStatus.TERMINATED:
        raise Conflict(_("%(name)s is already terminated.") % {"name": node.name}, field="distributor")
    if node.sponsor_id is None and frontline:
        raise ApplicationError(
            ngettext(
                "%(name)s is a root with %(count)d distributor(s) in their frontline; move them under "
                "another sponsor before terminating.",
                "%(name)s is a root with %(count)d distributor(s) in their frontline; move them under "
                "another sponsor before terminating.",
                len(frontline),
            )
            % {"name": node.name, "count": len(frontline)},
            field="distributor",
        )

    now = timezone.now()
    if frontline:
        # The downline keeps its labels and rises one level; the terminated node becomes a leaf
        # after it, at the end of its own interval (ADR 0011): no numbers shift.
        become_leaf(node.pk)
        Distributor.objects.filter(sponsor_id=node.pk).update(sponsor_id=node.sponsor_id, updated_at=now)
        SponsorChange.objects.bulk_create(
            SponsorChange(
                distributor=child,
                kind=SponsorChange.Kind.TERMINATION_ROLLUP,
                old_sponsor=node,
                new_sponsor_id=node.sponsor_id,
                changed_by=actor if getattr(actor, "pk", None) else None,
                reason=reason,
            )
            for child in frontline
        )
    node.status = DistributorStatus.TERMINATED
    node.terminated_at = at
    Distributor.objects.filter(pk=node.pk).update(status=node.status, terminated_at=at, updated_at=now)
    audit_record(
        actor=actor,
        action="distributor.terminate",
        target=node,
        reason=reason,
        data={"rolled_up": [c.pk for c in frontline], "to_sponsor": node.sponsor_id},
    )
    node.refresh_from_db()
    return node


@transaction.atomic
def distributor_set_status(*, distributor: Distributor, status: str, actor: Any, reason: str) -> Distributor:
    """Put a distributor on hold or make them active again (termination has its own service)."""
    require_staff(actor)
    reason = require_reason(reason)
    if status not in (DistributorStatus.ACTIVE, DistributorStatus.HOLD):
        raise ApplicationError(
            _("Status can be set to active or hold; terminate through the termination."), field="status"
        )
    node = Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).first()
    if node is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    if node.status == DistributorStatus.TERMINATED:
        raise Conflict(
            _("%(name)s is terminated; a termination is final.") % {"name": node.name}, field="status"
        )
    if node.status == status:
        return node
    old = node.status
    node.status = status
    node.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="distributor.set_status",
        target=node,
        reason=reason,
        data={"old": old, "new": status},
    )
    return node
