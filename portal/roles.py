"""The staff roles of support, kept as groups after every migrate (idempotent: permissions are
added, never taken away, so what a company grants on top stays).

- Support: reads every business record in the admin and opens the portal as a distributor sees
  it, read-only (distributors.support.VIEW_PERMISSION).
- Support lead: the same, and may act in the portal for the distributor (ACT_PERMISSION), e.g.
  place an order the distributor asked for on the phone.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from distributors.support import ACT_PERMISSION, VIEW_PERMISSION

SUPPORT = "Support"
SUPPORT_LEAD = "Support lead"
# What support reads in the admin: the business apps, not the project's settings or users.
READ_APPS = ("distributors", "plans", "orders", "commissions", "compliance")


def support_roles_ensure(**kwargs: Any) -> None:
    """post_migrate, sent once per app: the two groups exist with at least their permissions (each
    run adds the view permissions that exist by then; the portal has no models, so no signal of
    its own comes after the others)."""
    portal_as = {
        f"distributors.{p.codename}": p
        for p in Permission.objects.filter(
            content_type__app_label="distributors", codename__in=("view_portal_as", "act_in_portal_as")
        )
    }
    if VIEW_PERMISSION not in portal_as or ACT_PERMISSION not in portal_as:
        return  # the distributors app's permissions are not there yet
    reads = Permission.objects.filter(content_type__app_label__in=READ_APPS, codename__startswith="view_")
    view, act = portal_as[VIEW_PERMISSION], portal_as[ACT_PERMISSION]
    for name, extra in ((SUPPORT, [view]), (SUPPORT_LEAD, [view, act])):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*reads, *extra)
