"""The REST API for mobile clients, under /api/v1/ (owned by the API layer; see docs/api.md)."""

urlpatterns: list = []
