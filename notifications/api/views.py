"""My notification settings: which kinds of e-mail I get and in which language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import error_responses
from core.api.permissions import DistributorApi, actor
from core.api.serializers import StrictInputSerializer
from notifications.models import DISTRIBUTOR_KINDS
from notifications.selectors import preferences_of
from notifications.services import notification_preferences_set

PERMISSION_NOTE = "Only for a logged-in distributor (a user without a distributor profile gets 403)."
KINDS_HELP = (
    "Each kind of notification (" + ", ".join(DISTRIBUTOR_KINDS) + ") → true (sent) or false (not sent)."
)


class NotificationSettingsSerializer(serializers.Serializer):
    class Meta:
        ref_name = "NotificationSettings"

    email = serializers.EmailField(help_text="The address the notifications go to (my profile's).")
    language = serializers.CharField(
        allow_null=True, help_text="The language of the mails; null: Dutch for the Netherlands, else English."
    )
    kinds = serializers.DictField(child=serializers.BooleanField(), help_text=KINDS_HELP)


def _data(distributor: Any) -> dict[str, Any]:
    preferences = preferences_of(distributor.email)
    return {"email": preferences.email, "language": preferences.language, "kinds": preferences.kinds}


class StrictBooleanField(serializers.BooleanField):
    """true or false only: no "yes", 1 or "on" (a typo is a 400, not a guess)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class NotificationSettingsApi(DistributorApi):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "NotificationSettingsInput"

        language = serializers.ChoiceField(
            choices=[("", "as my country"), *settings.LANGUAGES],
            required=False,
            allow_null=True,
            help_text='A language code; "" or null: as my country (Dutch for the Netherlands, else English).',
        )
        kinds = serializers.DictField(child=StrictBooleanField(), required=False, help_text=KINDS_HELP)

        def validate_kinds(self, value: dict[str, bool]) -> dict[str, bool]:
            unknown = sorted(set(value) - set(DISTRIBUTOR_KINDS))
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown kind(s): {', '.join(unknown)}. Known: {', '.join(DISTRIBUTOR_KINDS)}."
                )
            return value

    @extend_schema(
        tags=["me"],
        operation_id="me_notifications_retrieve",
        summary="My notification settings",
        description=f"{PERMISSION_NOTE} Every kind is on until switched off.",
        responses={200: NotificationSettingsSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(NotificationSettingsSerializer(_data(actor(request))).data)

    @extend_schema(
        tags=["me"],
        operation_id="me_notifications_update",
        summary="Change my notification settings",
        description=(
            f"{PERMISSION_NOTE} Kinds not named keep their setting; language left out stays as it is. "
            "An unknown kind, a value that is not true/false or an unknown language is a 400."
        ),
        request=InputSerializer,
        responses={200: NotificationSettingsSerializer, **error_responses(400, 401, 403, 429)},
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me = actor(request)
        language = data.validated_data.get("language", ...)
        notification_preferences_set(
            email=me.email,
            kinds=data.validated_data.get("kinds") or {},
            language=None if language is ... else (language or ""),
        )
        return Response(NotificationSettingsSerializer(_data(me)).data)
