"""What the API answers outside its views: a JSON 404 for a path it does not have, and JSON
instead of Django's HTML pages when a request fails before or beyond DRF (backoffice.urls wires
`api_bad_request` and `api_server_error` as handler400 and handler500)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import bad_request_error, error_body, too_large_error

API_PREFIX = "/api/"


@extend_schema(exclude=True)
class NoSuchEndpointApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(error_body("not_found", _("No such endpoint or object.")), status=404)

    get = post = put = patch = delete = head = options = _not_found


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a SuspiciousOperation raised outside DRF (e.g. a body too large for a
    middleware that reads it) is the API's JSON error on /api/, Django's page elsewhere."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    body, status = too_large_error() if isinstance(exception, RequestDataTooBig) else bad_request_error()
    return JsonResponse(body, status=status)


def api_server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a bug is still a bug (logged with its traceback), but the client gets JSON."""
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(
        error_body("server_error", _("Something went wrong on our side; it has been logged.")), status=500
    )
