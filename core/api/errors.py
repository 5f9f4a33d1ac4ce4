"""One JSON error format for the whole API: `{"error": {"code", "message", "fields"}}`.

`fields` maps an input name (dotted for nested input: `lines.0.quantity`) to its messages. The
ApplicationError family of the services, Django's 404/403 and every DRF error go through here, so
a client parses one shape; bad input is a 400, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core import errors as app_errors

# Status of each ApplicationError kind; the most specific class wins.
_APPLICATION_STATUS: list[tuple[type[app_errors.ApplicationError], int, str]] = [
    (app_errors.AddressUnavailable, status.HTTP_409_CONFLICT, "email_unavailable"),
    (app_errors.NotFound, status.HTTP_404_NOT_FOUND, "not_found"),
    (app_errors.PermissionDenied, status.HTTP_403_FORBIDDEN, "permission_denied"),
    (app_errors.Conflict, status.HTTP_409_CONFLICT, "conflict"),
    (app_errors.ApplicationError, status.HTTP_400_BAD_REQUEST, "invalid"),
]


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def too_large_error() -> tuple[dict[str, Any], int]:
    """The body and status of a request body over DATA_UPLOAD_MAX_MEMORY_SIZE (in or outside DRF)."""
    return error_body(
        "too_large", _("The request body is too large.")
    ), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def bad_request_error() -> tuple[dict[str, Any], int]:
    """The body and status of a request Django found suspicious (in or outside DRF)."""
    return error_body("bad_request", _("The request is not valid.")), status.HTTP_400_BAD_REQUEST


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"dotted.field": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # Nested list errors come keyed by index (0 is a name too); non_field_errors by none.
            name = "" if key == "non_field_errors" else str(key)
            sub = f"{prefix}.{name}" if prefix and name else (prefix or name)
            for field, messages in _flatten(value, sub).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                sub = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in _flatten(item, sub).items():
                    out.setdefault(field, []).extend(messages)
    else:
        out.setdefault(prefix, []).append(str(detail))
    return out


def _validation_response(detail: Any) -> Response:
    flat = _flatten(detail)
    general = flat.pop("", [])
    if general:
        message = " ".join(general)
    elif flat:
        first_field, first_messages = next(iter(flat.items()))
        message = f"{first_field}: {first_messages[0]}"
    else:
        message = _("The request is not valid.")
    return Response(error_body("invalid", message, flat), status=status.HTTP_400_BAD_REQUEST)


def _api_exception_message(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt's InvalidToken carries {"detail", "code", "messages"}.
        inner = detail.get("detail", "")
        return str(inner) if inner else "; ".join(str(v) for v in detail.values())
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail)
    return str(detail)


def _api_exception_code(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict) and "code" in detail:
        return str(detail["code"])
    code = getattr(detail, "code", None) or exc.default_code
    return str(code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]; anything not handled here is a real bug (a 500)."""
    response: Response | None = None
    if isinstance(exc, app_errors.ApplicationError):
        for cls, http_status, code in _APPLICATION_STATUS:
            if isinstance(exc, cls):
                fields = {exc.field: [exc.message]} if exc.field else {}
                response = Response(error_body(code, exc.message, fields), status=http_status)
                break
    elif isinstance(exc, Http404):
        response = Response(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        response = Response(
            error_body("permission_denied", _("You may not do this.")), status=status.HTTP_403_FORBIDDEN
        )
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE when DRF reads it.
        body, http_status = too_large_error()
        response = Response(body, status=http_status)
    elif isinstance(exc, SuspiciousOperation):
        body, http_status = bad_request_error()
        response = Response(body, status=http_status)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        response = _validation_response(detail)
    elif isinstance(exc, exceptions.ValidationError):
        response = _validation_response(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        response = Response(
            error_body(_api_exception_code(exc), _api_exception_message(exc)), status=exc.status_code
        )
        if isinstance(exc, exceptions.Throttled):
            # DRF sets Throttled.wait; its stub does not declare it.
            wait: float | None = exc.wait  # type: ignore[attr-defined]
            if wait is not None:
                response["Retry-After"] = str(int(wait))
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            authenticate_header = context["view"].get_authenticate_header(context["request"])
            if authenticate_header:
                response["WWW-Authenticate"] = authenticate_header
            else:
                response.status_code = status.HTTP_403_FORBIDDEN
    if response is not None:
        set_rollback()
    return response


# --- The error format in the OpenAPI schema.


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="What went wrong, in words a user can act on.")
    # A declared field named `fields`: DRF's metaclass moves it out of the class, so the
    # serializer's `fields` property stays; the stub sees an attribute replacing the property.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted for nested input); empty when no field is at fault.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    400: "Bad input: `fields` names each input at fault.",
    401: "Not authenticated: the access token is missing, expired, revoked or the user is deactivated.",
    403: "Authenticated, but not a distributor (or the operation is not allowed to this actor).",
    404: "Does not exist, or is not yours to see.",
    409: "Conflicts with the current state (e.g. the order is already paid, the period is closed).",
    413: "The request body is larger than the server accepts.",
    422: "This Idempotency-Key was already used with another request body.",
    429: "Too many requests (throttled) or too many failed logins (locked out for the cool-off time).",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation (always 401, 403 and 429 for protected ones)."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in codes
    }
