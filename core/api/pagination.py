"""Two pagination mechanisms with one hard maximum page size and one envelope.

Page numbers, for the short lists (statements, payouts, customers, orders...): `?page=N&page_size=M`;
a page size above API_MAX_PAGE_SIZE is capped to it; a page past the end is an empty page (not an
error), so a client paging while data changes never breaks.

Cursor (keyset) pages, for the lists that grow with the network (the downline, a statement's
ledger lines): `?cursor=C&page_size=M`, where C is the signed key of the last item of the page
before (taken from `next`). The query seeks to the key through an index instead of counting an
OFFSET of rows, so page 20,000 costs what page 1 does. The envelope is the page-number one
without the page arithmetic: `count` (null when only a count of rows could tell), `page_size`,
`next`, `results`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


def max_page_size() -> int:
    return settings.API_MAX_PAGE_SIZE


def default_page_size() -> int:
    return settings.API_PAGE_SIZE


class PageParamsSerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def validate_page_size(self, value: int) -> int:
        return min(value, max_page_size())


PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    description="Items per page (default 50); anything above 100 is capped to 100.",
)
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        description="Page number, from 1. Past the end: empty page.",
    ),
    PAGE_SIZE_PARAMETER,
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


# --- Cursor (keyset) pages


CURSOR_SALT = "core.api.pagination.cursor"
BAD_CURSOR = gettext_lazy("This cursor is not valid: use the `next` link of the page before, unchanged.")

CURSOR_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        {"type": "string", "maxLength": 200},
        description="Where the page starts: from the `next` link of the page before; omit for the first.",
    ),
    PAGE_SIZE_PARAMETER,
]


def encode_cursor(key: Sequence[int | str]) -> str:
    """The opaque, signed text of a key (the last item's ordering values)."""
    return signing.dumps(list(key), salt=CURSOR_SALT, compress=False)


class CursorParamsSerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=200)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def validate_page_size(self, value: int) -> int:
        return min(value, max_page_size())


@dataclass(frozen=True)
class CursorRequest:
    after: tuple[int | str, ...] | None  # the key to start after; None: the first page
    page_size: int


def cursor_request(request: Request, key_types: Sequence[type]) -> CursorRequest:
    """`cursor` and `page_size` of the request; a cursor that is not one of ours (tampered, cut,
    or of another list: its key does not have `key_types`) is a 400 on `cursor`."""
    params = CursorParamsSerializer(
        data={k: request.query_params[k] for k in ("cursor", "page_size") if k in request.query_params}
    )
    params.is_valid(raise_exception=True)
    text = params.validated_data.get("cursor") or ""
    after = None
    if text:
        try:
            key = signing.loads(text, salt=CURSOR_SALT)
        except signing.BadSignature:
            key = None
        if (
            not isinstance(key, list)
            or len(key) != len(key_types)
            or not all(type(value) is kind for value, kind in zip(key, key_types, strict=False))
        ):
            raise serializers.ValidationError({"cursor": [BAD_CURSOR]})
        after = tuple(key)
    return CursorRequest(after=after, page_size=params.validated_data.get("page_size") or default_page_size())


def cursor_page(
    request: Request,
    *,
    rows: Sequence[Any],
    page: CursorRequest,
    key: Callable[[Any], Sequence[int | str]],
    serialize: Callable[[Any], Any],
    count: int | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """The cursor envelope: count, page_size, next, results. `rows` is what the selector read:
    up to page_size + 1 rows (one more than the page tells whether a next page exists). `url`:
    where the next pages are, when not at the request's own URL (a list embedded in a detail)."""
    items = list(rows[: page.page_size])
    next_url = None
    if len(rows) > page.page_size:
        base = request.build_absolute_uri(url) if url else request.build_absolute_uri()
        if url:
            base = replace_query_param(base, "page_size", page.page_size)
        next_url = replace_query_param(base, "cursor", encode_cursor(key(items[-1])))
    return {"count": count, "page_size": page.page_size, "next": next_url, "results": serialize(items)}


def cursor_response(request: Request, **kwargs: Any) -> Response:
    """A cursor page (see cursor_page) as the answer."""
    return Response(cursor_page(request, **kwargs))


def cursor_paginated(
    serializer_class: type[serializers.Serializer], name: str, *, count_help: str = "Items on all pages."
) -> type[serializers.Serializer]:
    """The schema of a cursor page of `serializer_class` items (a named component)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(allow_null=True, help_text=count_help),
            "page_size": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True, help_text="The next page; null on the last."),
            "results": serializer_class(many=True),
        },
    )
