"""My own login: change my password (the current one is checked under axes' lock-out)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.tokens import RefreshToken

from core.accounts.services import user_password_change
from core.api.auth import PASSWORD_MAX_LENGTH, TokenPairSerializer, current_password_check
from core.api.errors import error_responses
from core.api.permissions import DistributorApi
from core.api.serializers import StrictInputSerializer

from .views import PERMISSION_NOTE

_password: dict[str, Any] = {
    "max_length": PASSWORD_MAX_LENGTH,
    "trim_whitespace": False,
    "style": {"input_type": "password"},
}


class PasswordChangeApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "PasswordChange"

        current_password = serializers.CharField(**_password)
        new_password = serializers.CharField(**_password, help_text="Checked by the password rules.")

    @extend_schema(
        tags=["me"],
        operation_id="me_password_change",
        summary="Change my password: every token issued before stops working",
        description=(
            f"{PERMISSION_NOTE} A wrong current password is a 400 field error and counts as a failed "
            "login: after AXES_FAILURE_LIMIT (5) the answer is 429 `locked_out` for the cool-off. "
            "Answers a new token pair; all earlier access and refresh tokens are revoked."
        ),
        request=InputSerializer,
        responses={200: TokenPairSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert user.is_authenticated  # DistributorApi lets in only a signed-in distributor
        current_password_check(request, data.validated_data["current_password"])
        user_password_change(user=user, new_password=data.validated_data["new_password"], actor=user)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            update_session_auth_hash(request._request, user)  # this session stays logged in
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})
