"""JWT for the phone app: obtain (with brute-force lockout), refresh (rotating), blacklist (log out).

django-axes watches every authenticate() call; the token view asks it before and after the
attempt, so a locked-out username/IP pair gets 429 with the cool-off in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from core.api.errors import error_responses


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self) -> None:
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        super().__init__(
            ngettext(
                "Too many failed logins for this account from this address; "
                "try again in %(minutes)d minutes.",
                "Too many failed logins for this account from this address; "
                "try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, but a token of a deleted user is a 401, not a server error."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except get_user_model().DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            ) from exc


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Short-lived access token: `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="Refresh token: exchange once for a new pair.")


class TokenObtainView(jwt_views.TokenObtainPairView):
    @extend_schema(
        tags=["auth"],
        summary="Log in: a username and password for an access and a refresh token",
        description=(
            f"After {settings.AXES_FAILURE_LIMIT} failed attempts for one username from one address, "
            "logins are refused with 429 for the cool-off time. Deactivated users get 401."
        ),
        responses={200: TokenPairSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not isinstance(request.data, Mapping):
            raise exceptions.ValidationError(_("Send a JSON object with username and password."))
        username = request.data.get(get_user_model().USERNAME_FIELD)
        if not isinstance(username, str) or not username:
            # Not a login attempt at all: the serializer answers 400 with field messages.
            return super().post(request, *args, **kwargs)
        credentials = {"username": username}
        if not AxesProxyHandler.is_allowed(request, credentials):
            raise LockedOut()
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            if not AxesProxyHandler.is_allowed(request, credentials):
                raise LockedOut() from None
            raise


class TokenRefreshView(jwt_views.TokenRefreshView):
    @extend_schema(
        tags=["auth"],
        summary="Exchange a refresh token for a new pair (the old refresh token is blacklisted)",
        description=(
            "Refresh tokens rotate: each one works once. Reusing a used (blacklisted) refresh token, "
            "or one of a deactivated user, is 401."
        ),
        responses={200: TokenPairSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class TokenBlacklistView(jwt_views.TokenBlacklistView):
    @extend_schema(
        tags=["auth"],
        summary="Log out: blacklist a refresh token",
        description="The access token stays valid until it expires "
        f"({int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds() // 60)} minutes at most).",
        responses={200: None, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)
