"""The plan versions in the admin: read-only, since a plan is never edited (`manage.py load_plan`
stores a new version). The periods' admin starts the close, so it is with the close, in
commissions/admin.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "plan_type", "loaded_at", "loaded_by"]
    search_fields = ["name", "version"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
