"""ETags for cheap refresh: a client sends If-None-Match and gets a bodiless 304 when nothing changed.

The tag is a hash of the JSON the client would receive, so it changes exactly when what the
client sees changes (volumes, rank, status), whatever row that comes from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="The ETag of a previous answer: 304 without a body if it is still current.",
)


def etag_of(data: Any) -> str:
    payload = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return '"' + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates


def etag_response(request: Request, data: Any) -> Response:
    """200 with an ETag, or 304 Not Modified when If-None-Match names the same tag."""
    etag = etag_of(data)
    header = request.headers.get("If-None-Match", "")
    if header and _matches(header, etag):
        response = Response(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = Response(data)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response
