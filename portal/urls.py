"""/portal/...: the distributor's pages. Each section's module lists its own URLs."""

from django.urls import include, path

from portal.views import (
    account,
    bank,
    buyback,
    customers,
    dashboard,
    demonstrations,
    orders,
    profile,
    statements,
    team,
)

app_name = "portal"

urlpatterns = [
    *account.urlpatterns,
    *dashboard.urlpatterns,
    path("team/", include(team.urlpatterns)),
    path("customers/", include(customers.urlpatterns)),
    path("orders/", include(orders.urlpatterns)),
    path("demonstrations/", include(demonstrations.urlpatterns)),
    path("buyback/", include(buyback.urlpatterns)),
    path("statements/", include(statements.urlpatterns)),
    path("me/bank-account/", include(bank.urlpatterns)),
    path("me/", include(profile.urlpatterns)),
]
