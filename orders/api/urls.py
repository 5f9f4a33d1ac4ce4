"""The orders API, one module per resource: the catalogue, customers, orders, returns, home
demonstrations and inventory buy-back. Each object is looked up within the acting distributor's
own (orders.selectors); anything else is 404."""

from django.urls import path

from . import autoship, buyback, catalogue, customers, demonstrations, orders, returns, shop

urlpatterns = [
    path("products/", catalogue.ProductListApi.as_view(), name="api-products"),
    path("me/shop-link/", shop.ShopLinkApi.as_view(), name="api-me-shop-link"),
    path("customers/", customers.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", customers.CustomerDetailApi.as_view(), name="api-customer"),
    path("orders/", orders.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:order_id>/", orders.OrderDetailApi.as_view(), name="api-order"),
    path("orders/<int:order_id>/pay/", orders.OrderPayApi.as_view(), name="api-order-pay"),
    path("orders/<int:order_id>/cancel/", orders.OrderCancelApi.as_view(), name="api-order-cancel"),
    path("orders/<int:order_id>/returns/", returns.OrderReturnApi.as_view(), name="api-order-return"),
    path("demonstrations/", demonstrations.DemonstrationListApi.as_view(), name="api-demonstrations"),
    path(
        "demonstrations/<int:demonstration_id>/",
        demonstrations.DemonstrationDetailApi.as_view(),
        name="api-demonstration",
    ),
    path(
        "demonstrations/<int:demonstration_id>/guests/",
        demonstrations.DemonstrationGuestApi.as_view(),
        name="api-demonstration-guests",
    ),
    path(
        "demonstrations/<int:demonstration_id>/close/",
        demonstrations.DemonstrationCloseApi.as_view(),
        name="api-demonstration-close",
    ),
    path(
        "demonstrations/<int:demonstration_id>/cancel/",
        demonstrations.DemonstrationCancelApi.as_view(),
        name="api-demonstration-cancel",
    ),
    path("autoships/", autoship.AutoshipListApi.as_view(), name="api-autoships"),
    path("autoships/<int:subscription_id>/", autoship.AutoshipDetailApi.as_view(), name="api-autoship"),
    path(
        "autoships/<int:subscription_id>/skip/",
        autoship.AutoshipSkipApi.as_view(),
        name="api-autoship-skip",
    ),
    path(
        "autoships/<int:subscription_id>/pause/",
        autoship.AutoshipPauseApi.as_view(),
        name="api-autoship-pause",
    ),
    path(
        "autoships/<int:subscription_id>/resume/",
        autoship.AutoshipResumeApi.as_view(),
        name="api-autoship-resume",
    ),
    path(
        "autoships/<int:subscription_id>/cancel/",
        autoship.AutoshipCancelApi.as_view(),
        name="api-autoship-cancel",
    ),
    path("buyback/units/", buyback.BuybackUnitsApi.as_view(), name="api-buyback-units"),
    path("buyback-requests/", buyback.BuybackRequestListApi.as_view(), name="api-buyback-requests"),
    path(
        "buyback-requests/<int:request_id>/",
        buyback.BuybackRequestDetailApi.as_view(),
        name="api-buyback-request",
    ),
    path(
        "buyback-requests/<int:request_id>/withdraw/",
        buyback.BuybackRequestWithdrawApi.as_view(),
        name="api-buyback-request-withdraw",
    ),
]
