"""The catalogue as a distributor orders from it: the products for sale, and a search in them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from orders.models import Product


def products_for_sale() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("sku")


def product_search(*, search: str = "", limit: int = 20) -> list[Product]:
    """Products for sale whose SKU or name contains `search`, by SKU; the first `limit`."""
    products = products_for_sale()
    search = (search or "").strip()
    if search:
        products = products.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    return list(products[:limit])
