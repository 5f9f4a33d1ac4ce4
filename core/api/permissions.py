"""Who may call what: every distributor endpoint acts for the distributor behind the token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

if TYPE_CHECKING:  # core names the profile only for the type checker (the layers, pyproject.toml)
    from distributors.models import Distributor


def actor_distributor(user: Any) -> Distributor | None:
    """The distributor profile of a user (OneToOne `user.distributor`), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.distributor
    except ObjectDoesNotExist:  # the profile's DoesNotExist, without importing its app
        return None


class IsDistributor(BasePermission):
    """An authenticated user with a distributor profile. Staff without one get 403: the admin
    works in the admin site, and no admin-only operation is exposed in this API."""

    message = _("This endpoint is for distributors; your account has no distributor profile.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return actor_distributor(request.user) is not None


def actor(request: Request) -> Distributor:
    """The acting distributor (IsDistributor has already vouched for it)."""
    distributor = actor_distributor(request.user)
    if distributor is None:
        raise exceptions.PermissionDenied(IsDistributor.message)
    return distributor


class DistributorApi(APIView):
    """The base of every endpoint that acts for the logged-in distributor."""

    permission_classes = [IsDistributor]
