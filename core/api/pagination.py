"""Page-number pagination with a hard maximum page size, one envelope for every list.

`?page=N&page_size=M`: a page size above API_MAX_PAGE_SIZE is capped to it; a page past the
end is an empty page (not an error), so a client paging while data changes never breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


def max_page_size() -> int:
    return int(getattr(settings, "API_MAX_PAGE_SIZE", 100))


def default_page_size() -> int:
    return int(getattr(settings, "API_PAGE_SIZE", 50))


class PageParamsSerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def validate_page_size(self, value: int) -> int:
        return min(value, max_page_size())


PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1. Past the end: empty page."),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description="Items per page (default 50); anything above 100 is capped to 100.",
    ),
]


@dataclass(frozen=True)
class PageRequest:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_request(request: Request) -> PageRequest:
    params = PageParamsSerializer(
        data={k: request.query_params[k] for k in ("page", "page_size") if k in request.query_params}
    )
    params.is_valid(raise_exception=True)
    return PageRequest(
        page=params.validated_data["page"],
        page_size=params.validated_data.get("page_size") or default_page_size(),
    )


def paged_response(
    request: Request, *, items: Sequence[Any], total: int, page: PageRequest, serialize: Callable[[Any], Any]
) -> Response:
    """The list envelope: count, page, page_size, num_pages, next, previous, results."""
    num_pages = max(1, -(-total // page.page_size))
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", page.page + 1) if page.page < num_pages else None
    if page.page <= 1:
        previous_url = None
    elif page.page == 2:
        previous_url = remove_query_param(url, "page")
    else:
        previous_url = replace_query_param(url, "page", min(page.page - 1, num_pages))
    return Response(
        {
            "count": total,
            "page": page.page,
            "page_size": page.page_size,
            "num_pages": num_pages,
            "next": next_url,
            "previous": previous_url,
            "results": serialize(items),
        }
    )


def paginate_queryset(
    request: Request, queryset: QuerySet, *, serializer_class: type[serializers.Serializer]
) -> Response:
    page = page_request(request)
    total = queryset.count()
    items = list(queryset[page.offset : page.offset + page.page_size])
    return paged_response(
        request,
        items=items,
        total=total,
        page=page,
        serialize=lambda rows: serializer_class(rows, many=True).data,
    )


def paginated(serializer_class: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The schema of a page of `serializer_class` items (a named component)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(help_text="Items on all pages."),
            "page": serializers.IntegerField(),
            "page_size": serializers.IntegerField(),
            "num_pages": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
