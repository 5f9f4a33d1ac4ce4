"""The REST API for mobile clients, under /api/v1/ (docs/api.md): auth, schema, docs, then each app."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.api.auth import TokenBlacklistView, TokenObtainView, TokenRefreshView
from core.api.views import NoSuchEndpointApi

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/token/blacklist/", TokenBlacklistView.as_view(), name="api-token-blacklist"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("distributors.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("commissions.api.urls")),
    # Last: any other path under /api/v1/ (also an id that is not a number) is a JSON 404.
    re_path(r"^[\s\S]*$", NoSuchEndpointApi.as_view(), name="api-not-found"),
]
