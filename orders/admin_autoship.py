"""The admin of autoship: subscriptions (read-only, changed through actions that call the
services) and their payment attempts, where staff record a payment's result for a pending
autoship order (as a PSP's webhook would). Imported by orders/admin.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from orders.models import (
    AutoshipPaymentAttempt,
    AutoshipRun,
    PaymentAttemptStatus,
    Subscription,
    SubscriptionLine,
)
from orders.services.autoship import (
    autoship_payment_record,
    subscription_cancel,
    subscription_pause,
    subscription_resume,
    subscription_skip,
)


def _run_each(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, call: Any) -> None:
    """Call a service per selected object; report each refusal and the number done."""
    done = 0
    for obj in queryset:
        try:
            call(obj)
        except ApplicationError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(
            request, _("Done for %(count)d of the selected.") % {"count": done}, messages.SUCCESS
        )


class SubscriptionLineInline(admin.TabularInline):
    model = SubscriptionLine
    extra = 0
    can_delete = False
    fields = ("product", "quantity")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AutoshipRunInline(admin.TabularInline):
    model = AutoshipRun
    extra = 0
    can_delete = False
    fields = ("scheduled_for", "status", "order_link")
    readonly_fields = fields
    ordering = ("-scheduled_for",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("order"))
    def order_link(self, obj: AutoshipRun) -> str:
        if obj.order_id is None:
            return "–"
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order)


class OwnFilter(admin.SimpleListFilter):
    title = _("subscriber")
    parameter_name = "subscriber"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("own", _("The distributor's own")), ("customer", _("A customer"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "own":
            return queryset.filter(customer__isnull=True)
        if self.value() == "customer":
            return queryset.filter(customer__isnull=False)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "distributor", "interval", "next_date", "status", "pause_reason")
    list_filter = ("status", "interval_unit", OwnFilter)
    search_fields = (
        "distributor__last_name",
        "distributor__external_id",
        "customer__last_name",
        "customer__email",
    )
    list_select_related = ("distributor", "customer")
    date_hierarchy = "next_date"
    inlines = [SubscriptionLineInline, AutoshipRunInline]
    actions = ["skip_next", "pause", "resume", "cancel"]
    readonly_fields = (
        "distributor",
        "customer",
        "interval_unit",
        "interval_count",
        "weekday",
        "day_of_month",
        "status",
        "next_date",
        "paused_at",
        "pause_reason",
        "cancelled_at",
        "created_by",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Subscribed in the portal or through the API (orders.services.autoship).

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("interval"))
    def interval(self, obj: Subscription) -> str:
        return f"{obj.interval_count} × {obj.get_interval_unit_display()}"

    @admin.action(description=_("Skip the next order"), permissions=["change"])
    def skip_next(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_each(self, request, queryset, lambda s: subscription_skip(subscription=s, actor=request.user))

    @admin.action(description=_("Pause"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_each(self, request, queryset, lambda s: subscription_pause(subscription=s, actor=request.user))

    @admin.action(description=_("Resume"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_each(self, request, queryset, lambda s: subscription_resume(subscription=s, actor=request.user))

    @admin.action(description=_("Cancel"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_each(self, request, queryset, lambda s: subscription_cancel(subscription=s, actor=request.user))


class OpenFilter(admin.SimpleListFilter):
    title = _("result")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Awaiting a result"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(status__in=[PaymentAttemptStatus.DUE, PaymentAttemptStatus.PENDING])
        return queryset


@admin.register(AutoshipPaymentAttempt)
class AutoshipPaymentAttemptAdmin(admin.ModelAdmin):
    list_display = ("__str__", "order_link", "number", "status", "due_at", "failure_reason", "reference")
    list_filter = (OpenFilter, "status")
    search_fields = ("run__order__number", "reference")
    list_select_related = ("run__order", "run__subscription__customer", "run__subscription__distributor")
    actions = ["record_paid", "record_failed"]
    readonly_fields = (
        "run",
        "number",
        "status",
        "due_at",
        "attempted_at",
        "finished_at",
        "failure_reason",
        "reference",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("order"))
    def order_link(self, obj: AutoshipPaymentAttempt) -> str:
        order = obj.run.order
        if order is None:
            return "–"
        url = reverse("admin:orders_order_change", args=[order.pk])
        return format_html('<a href="{}">{}</a> ({})', url, order.number, order.get_status_display())

    @admin.action(description=_("Record the payment as received"), permissions=["change"])
    def record_paid(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda a: autoship_payment_record(order=a.run.order, paid=True, actor=request.user),
        )

    @admin.action(description=_("Record the payment as failed"), permissions=["change"])
    def record_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda a: autoship_payment_record(
                order=a.run.order,
                paid=False,
                reason=str(_("Recorded as failed by staff.")),
                actor=request.user,
            ),
        )
