"""Moving a distributor with their downline under another sponsor, and renumbering the trees."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotFound
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock
from core.services import audit_record

from ..models import Distributor, DistributorStatus, SponsorChange
from ..tree import move_subtree, renumber_trees
from .checks import require_reason, require_staff


def _lock_rows(ids: list[int]) -> dict[int, Distributor]:
    rows = Distributor.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


@transaction.atomic
def distributor_move(
    *, distributor: Distributor, new_sponsor: Distributor | None, actor: Any, reason: str
) -> Distributor:
    """Move a distributor and their whole downline under another sponsor (staff only)."""
    require_staff(actor)
    reason = require_reason(reason)
    if new_sponsor is None:
        raise ApplicationError(_("Choose the new sponsor."), field="new_sponsor")
    if new_sponsor.pk == distributor.pk:
        raise ApplicationError(_("A distributor cannot be their own sponsor."), field="new_sponsor")

    advisory_xact_lock(SPONSOR_TREE_LOCK)
    rows = _lock_rows(sorted([distributor.pk, new_sponsor.pk]))
    if distributor.pk not in rows:
        raise NotFound(_("The distributor to move does not exist."), field="distributor")
    if new_sponsor.pk not in rows:
        raise NotFound(_("The new sponsor does not exist."), field="new_sponsor")
    # Fresh rows read under the lock: the caller's instances may carry stale nested-set numbers.
    node, target = rows[distributor.pk], rows[new_sponsor.pk]
    if node.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot be moved.") % {"name": node.name}, field="distributor"
        )
    if target.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot sponsor anyone.") % {"name": target.name},
            field="new_sponsor",
        )
    if node.sponsor_id == target.pk:
        raise ApplicationError(
            _("%(name)s is already sponsored by %(sponsor)s.") % {"name": node.name, "sponsor": target.name},
            field="new_sponsor",
        )
    if target.tree_id == node.tree_id and node.lft < target.lft < node.rght:
        raise ApplicationError(
            _("%(sponsor)s is in %(name)s's own downline; a distributor cannot move under it.")
            % {"sponsor": target.name, "name": node.name},
            field="new_sponsor",
        )

    old_sponsor_id = node.sponsor_id
    # Not mptt's move_to, which rewrites the numbers of much of the tree: the subtree's labels go
    # into a free gap at the end of the new sponsor's frontline (ADR 0011).
    move_subtree(node.pk, target.pk)
    Distributor.objects.filter(pk=node.pk).update(sponsor_id=target.pk, updated_at=timezone.now())
    node.refresh_from_db()
    SponsorChange.objects.create(
        distributor=node,
        kind=SponsorChange.Kind.MOVE,
        old_sponsor_id=old_sponsor_id,
        new_sponsor=target,
        changed_by=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="distributor.move",
        target=node,
        reason=reason,
        data={"old_sponsor": old_sponsor_id, "new_sponsor": target.pk},
    )
    return node


@transaction.atomic
def tree_renumber(*, actor: Any = None) -> int:
    """Renumber every tree from the sponsor links under the tree lock; returns rows changed."""
    advisory_xact_lock(SPONSOR_TREE_LOCK)
    return renumber_trees()
