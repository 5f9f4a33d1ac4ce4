from django.contrib import admin
from django.urls import include, path

from commissions.admin_views import admin_urls as commissions_admin_urls
from core.accounts.forms import AdminLoginForm
from core.views import healthz
from portal.views.account import home

# A username longer than a username can be is a form error on the admin's login page.
admin.site.login_form = AdminLoginForm
# Requests under /api/ that fail outside DRF get the API's JSON error, not Django's HTML page.
handler400 = "core.api.views.api_bad_request"
handler500 = "core.api.views.api_server_error"

urlpatterns = [
    # A distributor to the portal, staff to the admin, anyone else to the portal's sign-in page.
    path("", home, name="home"),
    path("portal/", include("portal.urls")),
    # Public pages of the portal, no sign-in: a demonstration's host link (signed, expiring) and a
    # distributor's referral link, where a visitor becomes their customer.
    path("", include("portal.views.host")),
    path("join/", include("portal.views.join")),
    # The unsubscribe link of every notification mail (signed, no sign-in).
    path("notifications/", include("notifications.urls")),
    # A distributor's shop and a demonstration's shopping link, where a customer orders online.
    path("shop/", include("portal.views.shop")),
    path("healthz", healthz, name="healthz"),
    # Staff pages of the close (compare runs, explain a distributor) beside the model admin.
    path("admin/commissions/", include(commissions_admin_urls())),
    path("admin/", admin.site.urls),
    path("api/v1/", include("backoffice.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Support sessions: staff open the portal as a distributor (POST only; portal/support.py).
    path("support/", include("hijack.urls")),
    # Set a password from an invitation, reset a forgotten one (server-rendered pages).
    path("account/", include("core.accounts.urls")),
]
