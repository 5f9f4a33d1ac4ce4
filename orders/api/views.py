"""A distributor's customers, orders, returns and home demonstrations, and the catalogue.

Every object is looked up within the acting distributor's own (customers they brought in,
orders credited to them, demonstrations they run): anything else, also when named in a body or
a filter, is 404. Writes call orders.services; client input never sets a distributor, amount,
status or period. One module per resource in views_/ (as netbox's serializers_/); this one
re-exports them for the URLs.
"""

from .views_.buyback import (
    BuybackRequestDetailApi,
    BuybackRequestListApi,
    BuybackRequestWithdrawApi,
    BuybackUnitsApi,
)
from .views_.catalogue import ProductListApi
from .views_.customers import CustomerDetailApi, CustomerListApi
from .views_.demonstrations import (
    DemonstrationCancelApi,
    DemonstrationCloseApi,
    DemonstrationDetailApi,
    DemonstrationGuestApi,
    DemonstrationListApi,
)
from .views_.orders import OrderCancelApi, OrderDetailApi, OrderListApi, OrderPayApi, OrderReturnApi

__all__ = [
    "BuybackRequestDetailApi",
    "BuybackRequestListApi",
    "BuybackRequestWithdrawApi",
    "BuybackUnitsApi",
    "CustomerDetailApi",
    "CustomerListApi",
    "DemonstrationCancelApi",
    "DemonstrationCloseApi",
    "DemonstrationDetailApi",
    "DemonstrationGuestApi",
    "DemonstrationListApi",
    "OrderCancelApi",
    "OrderDetailApi",
    "OrderListApi",
    "OrderPayApi",
    "OrderReturnApi",
    "ProductListApi",
]
