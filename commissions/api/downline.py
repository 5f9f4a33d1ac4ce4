"""My downline: each member's ids, name, referral code, rank, title and depth only; the ranks
named by the plan of the last close. Here, above the sponsor tree, because ranks are the close's."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from commissions.selectors.ranks import live_rank_names
from core.api.errors import error_responses
from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.pagination import CURSOR_PARAMETERS, cursor_paginated, cursor_request, cursor_response
from core.api.permissions import DistributorApi, actor
from core.api.serializers import QueryInputSerializer, RankSerializer, rank_data
from core.errors import NotFound
from distributors import selectors
from distributors.api.views import PERMISSION_NOTE


class DownlineMemberSerializer(serializers.Serializer):
    """What an upline may see of a downline member (rules/compliance §8): no contact, no customers."""

    class Meta:
        ref_name = "DownlineMember"

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    referral_code = serializers.CharField(help_text="Their code for new sign-ups; searchable with `search`.")
    rank = RankSerializer(help_text="Paid-as rank of the last closed period.")
    title = RankSerializer(help_text="Highest paid-as rank ever reached.")
    depth = serializers.IntegerField(help_text="1 = my frontline, 2 = their frontline, ...")
    sponsor_id = serializers.IntegerField(help_text="Me, or someone in my downline.")


def _downline_members(members, names) -> list:
    return DownlineMemberSerializer(
        [
            {
                "id": m.pk,
                "external_id": m.external_id,
                "first_name": m.first_name,
                "last_name": m.last_name,
                "referral_code": m.referral_code,
                "rank": rank_data(m.rank, names),
                "title": rank_data(m.title, names),
                "depth": m.depth,
                "sponsor_id": m.sponsor_id,
            }
            for m in members
        ],
        many=True,
    ).data


class DownlineListApi(DistributorApi):
    class FilterSerializer(QueryInputSerializer):
        class Meta:
            ref_name = "DownlineFilter"

        search = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        max_depth = serializers.IntegerField(required=False, min_value=1, max_value=1000)

        @property
        def ignored(self) -> frozenset[str]:
            return frozenset(parameter.name for parameter in CURSOR_PARAMETERS)

    @extend_schema(
        tags=["downline"],
        operation_id="downline_list",
        summary="My downline, in tree order, by cursor pages",
        description=(
            f"{PERMISSION_NOTE} Each member shows only ids, name, referral code, rank, title and depth. "
            "`search` matches every word against first or last name, external id or referral code "
            "(what the item shows; never e-mail); "
            "`max_depth` limits the levels. Follow `next` for the next page; `count` is the whole "
            "downline's size without filters and null with them."
        ),
        parameters=[
            OpenApiParameter("search", {"type": "string", "maxLength": 100}, description="Words to match."),
            OpenApiParameter(
                "max_depth",
                {"type": "integer", "minimum": 1, "maximum": 1000},
                description="Deepest level to include (1 = frontline).",
            ),
            *CURSOR_PARAMETERS,
        ],
        responses={
            200: cursor_paginated(
                DownlineMemberSerializer,
                "DownlinePage",
                count_help="The whole downline's size; null when `search` or `max_depth` filter it.",
            ),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = cursor_request(request, (int,))
        result = selectors.downline_page(
            actor(request),
            search=filters.validated_data["search"],
            max_depth=filters.validated_data.get("max_depth"),
            after_lft=page.after[0] if page.after else None,
            limit=page.page_size + 1,
        )
        names = live_rank_names()
        return cursor_response(
            request,
            rows=result.items,
            page=page,
            key=lambda member: [member.lft],
            count=result.total,
            serialize=lambda members: _downline_members(members, names),
        )


class DownlineMemberApi(DistributorApi):
    @extend_schema(
        tags=["downline"],
        operation_id="downline_member_retrieve",
        summary="One member of my downline",
        description=f"{PERMISSION_NOTE} Anyone not below me (myself, my upline, other legs) is 404.",
        parameters=[IF_NONE_MATCH],
        responses={200: DownlineMemberSerializer, 304: None, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, member_id: int) -> Response:
        member = selectors.downline_member(actor(request), member_id)
        if member is None:
            raise NotFound(_("No such distributor in your downline."))
        return etag_response(request, _downline_members([member], live_rank_names())[0])
