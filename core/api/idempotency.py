"""Idempotency-Key for POSTs that create money-relevant things (orders, returns, enrolments...).

The same key with the same body replays the first answer (header `Idempotent-Replayed: true`);
the same key with another body is 422; two concurrent requests with one key create one object:
the key row is inserted first, in the request's transaction, and the unique constraint makes
the second request wait until the first commits, then replay it. Only successful answers are
kept, so a refused request may be corrected and sent again with the same key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Visible ASCII, no spaces: a UUID, a ULID, base64... The schema states exactly this.
KEY_PATTERN = r"^[!-~]{1,255}$"

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique string per intended operation (e.g. a UUID): 1 to 255 visible ASCII characters, "
        "no spaces. A retry with the same key and body replays the first answer with "
        "`Idempotent-Replayed: true`; the same key with another body is 422. Keys are per user and "
        "per endpoint."
    ),
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = gettext_lazy(
        "This Idempotency-Key was already used for a different request body; "
        "use a new key for a new operation."
    )


def request_fingerprint(data: Any) -> str:
    payload = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _key_from(request: Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not re.fullmatch(KEY_PATTERN, raw):
        raise exceptions.ValidationError(
            {
                HEADER: [
                    _("Send 1 to %(max)d visible ASCII characters without spaces, e.g. a UUID.")
                    % {"max": MAX_KEY_LENGTH}
                ]
            }
        )
    return raw


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap an APIView `post` so that it honours the Idempotency-Key header."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _key_from(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        fingerprint = request_fingerprint(request.data)
        identity = {"user": request.user, "key": key, "method": request.method, "path": request.path[:255]}
        with transaction.atomic():
            # ON CONFLICT DO NOTHING: waits for a concurrent holder of the key to commit or roll back.
            IdempotencyKey.objects.bulk_create(
                [IdempotencyKey(request_hash=fingerprint, **identity)], ignore_conflicts=True
            )
            record = IdempotencyKey.objects.select_for_update().get(**identity)
            if record.status_code is not None:
                if record.request_hash != fingerprint:
                    raise IdempotencyKeyReused()
                return Response(
                    record.response_body, status=record.status_code, headers={REPLAYED_HEADER: "true"}
                )
            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.status_code = response.status_code
                record.response_body = response.data
                record.save(update_fields=["status_code", "response_body"])
            else:
                transaction.set_rollback(True)
            return response

    return wrapper
