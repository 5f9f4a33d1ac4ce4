from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from commissions.admin_views import admin_urls as commissions_admin_urls
from core.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    # Staff pages of the close (compare runs, explain a distributor) beside the model admin.
    path("admin/commissions/", include(commissions_admin_urls())),
    path("admin/", admin.site.urls),
    path("api/v1/", include("backoffice.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
