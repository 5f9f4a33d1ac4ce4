"""Admin: the notifications sent (read-only, with filters) and the preferences of each address."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import MailLanguage, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "email", "language", "status", "sent_at", "event_key"]
    list_filter = ["kind", "status", "language", "created_at"]
    search_fields = ["email", "event_key", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind", "event_key", "email", "language", "subject",
        "status", "attempts", "error", "created_at", "sent_at",
    ]  # fmt: skip
    fields = list(readonly_fields)
    # Large table: no full count on every page of the list.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["email", "kind", "enabled", "updated_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["email"]

    def save_model(self, request: HttpRequest, obj: NotificationPreference, form: Any, change: bool) -> None:
        obj.email = obj.email.strip().lower()  # the key every lookup uses
        super().save_model(request, obj, form, change)


@admin.register(MailLanguage)
class MailLanguageAdmin(admin.ModelAdmin):
    list_display = ["email", "language", "updated_at"]
    list_filter = ["language"]
    search_fields = ["email"]

    def save_model(self, request: HttpRequest, obj: MailLanguage, form: Any, change: bool) -> None:
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)
