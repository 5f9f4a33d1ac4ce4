"""/portal/...: the distributor's pages. Each section's module lists its own URLs."""

from django.urls import include, path

from portal.views import (
    account,
    agreement,
    autoship,
    bank,
    buyback,
    customers,
    dashboard,
    demonstrations,
    notifications,
    orders,
    profile,
    shop_link,
    statements,
    tax,
    team,
)

app_name = "portal"

urlpatterns = [
    *account.urlpatterns,
    *dashboard.urlpatterns,
    path("team/", include(team.urlpatterns)),
    path("customers/", include(customers.urlpatterns)),
    path("orders/autoship/", include(autoship.urlpatterns)),
    path("orders/", include(orders.urlpatterns)),
    path("demonstrations/", include(demonstrations.urlpatterns)),
    path("buyback/", include(buyback.urlpatterns)),
    path("statements/", include(statements.urlpatterns)),
    path("me/bank-account/", include(bank.urlpatterns)),
    path("me/vat-status/", include(tax.urlpatterns)),
    path("me/notifications/", include(notifications.urlpatterns)),
    path("me/agreement/", include(agreement.urlpatterns)),
    path("me/shop/", include(shop_link.urlpatterns)),
    path("me/", include(profile.urlpatterns)),
]
