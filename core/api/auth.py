"""JWT for the phone app: obtain (with brute-force lockout), refresh (rotating), blacklist (log out).

django-axes watches every authenticate() call; the token view asks it before and after the
attempt, so a locked-out username/IP pair gets 429 with the cool-off in the message. The
credentials are checked for shape (a string without NUL, no longer than a username can be)
before axes or the database see them, and `axes_username` makes whatever reaches axes from
any login (the admin's too) storable, so odd input is a 400 or a failed login, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from axes.conf import settings as axes_settings
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.api.errors import error_responses

# What axes can store (AccessAttempt.username is varchar(255)); longer names are never real.
AXES_USERNAME_MAX_LENGTH = 255
PASSWORD_MAX_LENGTH = 4096


def axes_username(request: Any, credentials: Mapping[str, Any] | None = None) -> str | None:
    """settings.AXES_USERNAME_CALLABLE: the attempted username as axes may store and query it.

    axes' own lookup (credentials, else the POSTed form field), made safe for PostgreSQL:
    text cannot hold NUL and the column holds 255 characters.
    """
    field = axes_settings.AXES_USERNAME_FORM_FIELD  # Django's settings, with axes' defaults filled in
    if credentials:
        username = credentials.get(field)
    else:
        data = getattr(request, "data", None)
        if not isinstance(data, Mapping):
            data = getattr(request, "POST", {})
        username = data.get(field)
    if username is None:
        return None
    return str(username).replace("\x00", "\ufffd")[:AXES_USERNAME_MAX_LENGTH]


class CredentialsSerializer(serializers.Serializer):
    """The shape of a login before anyone looks it up (simplejwt then checks it for real)."""

    # DRF's CharField takes max_length=None (no limit); its stub says int.
    username = serializers.CharField(
        max_length=get_user_model()._meta.get_field("username").max_length  # type: ignore[arg-type]
    )
    password = serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


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


def current_password_check(
    request: HttpRequest | Request, password: str, *, field: str = "current_password"
) -> None:
    """Re-authentication before a sensitive change of one's own login (a new password, a new
    e-mail address): under axes' lock-out, and a wrong guess counts as a failed login.

    A wrong password is a 400 error on `field`; a locked-out username/IP pair is 429.
    """
    from django.contrib.auth import authenticate

    from core.errors import ApplicationError

    user = request.user
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise LockedOut()
    # Through authenticate(), so axes counts a wrong guess like a failed login.
    checked = authenticate(request, username=user.get_username(), password=password)
    if checked is None or checked.pk != user.pk:
        if not AxesProxyHandler.is_allowed(request, credentials):
            raise LockedOut()
        raise ApplicationError(_("Your current password is not correct."), field=field)


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, but a token of a deleted user is a 401, not a server error, and a
    token issued before a password change is refused (simplejwt checks that on access tokens
    only, and would hand out a new pair that no longer works)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        if jwt_settings.CHECK_REVOKE_TOKEN:
            payload = self.token_class(attrs["refresh"]).payload
            user = (
                get_user_model()
                .objects.filter(**{jwt_settings.USER_ID_FIELD: payload.get(jwt_settings.USER_ID_CLAIM)})
                .first()
            )
            if user is not None and payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
                user.password
            ):
                raise exceptions.AuthenticationFailed(
                    _("The password was changed after this token was issued; log in again."),
                    "token_not_valid",
                )
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
        # Not a login attempt at all (missing, not text, NUL, too long): 400 with field messages,
        # before axes or the database see it.
        CredentialsSerializer(data=request.data).is_valid(raise_exception=True)
        credentials = {"username": request.data["username"]}
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
