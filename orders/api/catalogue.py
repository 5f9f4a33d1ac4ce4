"""The catalogue: the products a distributor may sell."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.pagination import PAGE_PARAMETERS, paginate_queryset, paginated
from core.api.permissions import DistributorApi, actor
from orders.selectors.catalogue import products_for_sale

from .common import LIST_ERRORS


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    retail_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    wholesale_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    qv = serializers.DecimalField(max_digits=14, decimal_places=2)
    cv = serializers.DecimalField(max_digits=14, decimal_places=2)
    commissionable = serializers.BooleanField()
    buyback_eligible = serializers.BooleanField()
    is_seasonal = serializers.BooleanField()
    is_discontinued = serializers.BooleanField()
    is_promotional = serializers.BooleanField()


class ProductListApi(DistributorApi):
    @extend_schema(
        tags=["catalogue"],
        operation_id="products_list",
        summary="Products for sale",
        description="Only for a logged-in distributor. Prices ex VAT; QV are points, CV is money.",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(ProductSerializer, "ProductPage"), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        actor(request)
        return paginate_queryset(request, products_for_sale(), serializer_class=ProductSerializer)
