"""My shop: the address of my personal shop page, where customers order online without an account."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import error_responses
from core.api.permissions import DistributorApi, actor
from orders.selectors.shop import cooling_off_days
from orders.shop_links import shop_url

from .common import PERMISSION_NOTE


class ShopLinkSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ShopLink"

    url = serializers.CharField(help_text="My shop, on the site's public address (PUBLIC_URL).")
    referral_code = serializers.CharField()
    cooling_off_days = serializers.IntegerField(
        help_text="The withdrawal period shown to and applied for my customers, in days."
    )


class ShopLinkApi(DistributorApi):
    @extend_schema(
        tags=["me"],
        operation_id="me_shop_link_retrieve",
        summary="My shop's address",
        description=(
            f"{PERMISSION_NOTE} Orders placed there are customer orders credited to me, recorded "
            "pending until paid, with channel `shop`. A demonstration's own shopping link is in "
            "the demonstration (`shopping_link`)."
        ),
        responses={200: ShopLinkSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        me = actor(request)
        data = {
            "url": shop_url(me.referral_code),
            "referral_code": me.referral_code,
            "cooling_off_days": cooling_off_days(me),
        }
        return Response(ShopLinkSerializer(data).data)
