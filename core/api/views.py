"""What the API answers for a path it does not have: a JSON 404 in the one error format."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_body


@extend_schema(exclude=True)
class NoSuchEndpointApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(error_body("not_found", _("No such endpoint or object.")), status=404)

    get = post = put = patch = delete = head = options = _not_found
