"""Support sees what the distributor sees: who may open the portal as a distributor, and who may
act there rather than only look.

The portal's edge (portal/support.py) runs the sessions through django-hijack, whose permission
check is `may_view_as` (settings.HIJACK_PERMISSION_CHECK). The roles are groups of staff
(portal/roles.py): Support holds VIEW_PERMISSION, Support lead also ACT_PERMISSION; a superuser
holds both.
"""

from __future__ import annotations

from typing import Any

from distributors.models import Distributor

VIEW_PERMISSION = "distributors.view_portal_as"
ACT_PERMISSION = "distributors.act_in_portal_as"


def may_view_as(*, hijacker: Any, hijacked: Any) -> bool:
    """An active staff member with the view permission may open the portal of an active user who
    is a distributor and not staff (staff accounts are never impersonated)."""
    if hijacked is None or not hijacked.is_active or hijacked.is_staff or hijacked.is_superuser:
        return False
    if not (hijacker.is_active and hijacker.is_staff and hijacker.has_perm(VIEW_PERMISSION)):
        return False
    return Distributor.objects.filter(user=hijacked).exists()


def may_act_as(hijacker: Any) -> bool:
    """Whether a support session may change anything (otherwise it is read-only)."""
    return bool(hijacker.has_perm(ACT_PERMISSION))
