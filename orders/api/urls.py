from django.urls import path

from . import views

urlpatterns = [
    path("products/", views.ProductListApi.as_view(), name="api-products"),
    path("customers/", views.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="api-customer"),
    path("orders/", views.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:order_id>/", views.OrderDetailApi.as_view(), name="api-order"),
    path("orders/<int:order_id>/pay/", views.OrderPayApi.as_view(), name="api-order-pay"),
    path("orders/<int:order_id>/cancel/", views.OrderCancelApi.as_view(), name="api-order-cancel"),
    path("orders/<int:order_id>/returns/", views.OrderReturnApi.as_view(), name="api-order-return"),
    path("demonstrations/", views.DemonstrationListApi.as_view(), name="api-demonstrations"),
    path(
        "demonstrations/<int:demonstration_id>/",
        views.DemonstrationDetailApi.as_view(),
        name="api-demonstration",
    ),
    path(
        "demonstrations/<int:demonstration_id>/guests/",
        views.DemonstrationGuestApi.as_view(),
        name="api-demonstration-guests",
    ),
    path(
        "demonstrations/<int:demonstration_id>/close/",
        views.DemonstrationCloseApi.as_view(),
        name="api-demonstration-close",
    ),
    path(
        "demonstrations/<int:demonstration_id>/cancel/",
        views.DemonstrationCancelApi.as_view(),
        name="api-demonstration-cancel",
    ),
]

urlpatterns += [
    path("buyback/units/", views.BuybackUnitsApi.as_view(), name="api-buyback-units"),
    path("buyback-requests/", views.BuybackRequestListApi.as_view(), name="api-buyback-requests"),
    path(
        "buyback-requests/<int:request_id>/",
        views.BuybackRequestDetailApi.as_view(),
        name="api-buyback-request",
    ),
    path(
        "buyback-requests/<int:request_id>/withdraw/",
        views.BuybackRequestWithdrawApi.as_view(),
        name="api-buyback-request-withdraw",
    ),
]
