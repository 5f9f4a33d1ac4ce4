"""The REST API for mobile clients, under /api/v1/ (docs/api.md): auth, schema, docs, then each app."""

from csp.decorators import csp_replace
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.api.auth import TokenBlacklistView, TokenObtainView, TokenRefreshView
from core.api.views import NoSuchEndpointApi

# Redoc (styled-components) adds style elements from its bundle as it loads and renders style
# attributes: its page alone allows inline styles ('unsafe-inline' counts only when style-src names
# no nonce, so it replaces the directive) and the blob: worker its search runs in. Scripts stay
# 'self' only; Redocly's logo (a CDN image) is blocked by img-src and Redoc drops it on the error.
REDOC_CSP = {"style-src": ["'self'", "'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/token/blacklist/", TokenBlacklistView.as_view(), name="api-token-blacklist"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI and Redoc from drf-spectacular-sidecar, served here: no CDN, no inline script (the
    # split view serves Swagger UI's init script as /api/v1/docs/?script=), under the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "redoc/",
        csp_replace(REDOC_CSP)(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api_docs/redoc.html")
        ),
        name="api-redoc",
    ),
    path("", include("distributors.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("commissions.api.urls")),
    path("", include("privacy.api.urls")),
    path("", include("notifications.api.urls")),
    # Last: any other path under /api/v1/ (also an id that is not a number) is a JSON 404.
    re_path(r"^[\s\S]*$", NoSuchEndpointApi.as_view(), name="api-not-found"),
]
