"""The admin of inventory buy-back requests: read-only history, decisions through the service.

Approve in full from the list, reject with a reason, or open a request's decision page to approve
some units (a quantity per line) with a reason. Every decision goes through
orders.services.buyback, which records the refund as a buy-back return and an audit entry.
Imported by orders/admin.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_display import column
from core.errors import ApplicationError
from core.templatetags.formatting import money
from orders.models import BuybackLine, BuybackRequest, BuybackStatus
from orders.services.buyback import buyback_request_decide, buyback_request_reject

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class UnitsAsked(TypedDict):
    """What the request list's queryset annotates."""

    units_asked: int | None


class BuybackLineInline(admin.TabularInline):
    model = BuybackLine
    extra = 0
    can_delete = False
    fields = ("order_number", "sku", "quantity", "approved_quantity", "unit_refund_shown", "line_refund")
    readonly_fields = fields

    unit_refund_shown = column(BuybackLine, "unit_refund", money)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line__order")

    @admin.display(description=_("order"))
    def order_number(self, obj: BuybackLine) -> str:
        order = obj.order_line.order
        url = reverse("admin:orders_order_change", args=[order.pk])
        return format_html('<a href="{}">{}</a>', url, order.number)

    @admin.display(description=_("SKU"))
    def sku(self, obj: BuybackLine) -> str:
        return obj.order_line.sku

    @admin.display(description=_("refund approved"))
    def line_refund(self, obj: BuybackLine) -> str:
        return money(obj.approved_quantity * obj.unit_refund)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, label=_("Reason")
    )


@admin.register(BuybackRequest)
class BuybackRequestAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "distributor",
        "status_badge",
        "created_at",
        "units",
        "refund_total_shown",
        "with_termination",
        "decided_at",
        "decided_by",
    )
    list_filter = ("status", "with_termination", ("created_at", admin.DateFieldListFilter))
    search_fields = (
        "distributor__first_name",
        "distributor__last_name",
        "distributor__external_id",
        "reason",
    )
    list_select_related = ("distributor", "decided_by")
    readonly_fields = (
        "distributor",
        "status",
        "reason",
        "with_termination",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_reason",
        "refund_total_shown",
    )
    fields = readonly_fields
    inlines = [BuybackLineInline]
    actions = ["approve_in_full", "reject_with_reason"]
    change_form_template = "admin/orders/buyback_change_form.html"

    refund_total_shown = column(BuybackRequest, "refund_total", money)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(units_asked=Sum("lines__quantity"))

    @admin.display(description=_("units"), ordering="units_asked")
    def units(self, obj: WithAnnotations[BuybackRequest, UnitsAsked]) -> int:
        return obj.units_asked or 0

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: BuybackRequest) -> str:
        # Coloured by status (classes in core/static/backoffice/admin.css).
        return format_html(
            '<span class="bo-status bo-status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _may_decide(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    # --- decisions --------------------------------------------------------------------------------

    @admin.action(description=_("Approve selected requests in full"))
    def approve_in_full(self, request: HttpRequest, queryset: QuerySet[BuybackRequest]) -> None:
        if not self._may_decide(request):
            raise PermissionDenied
        for buyback in queryset.order_by("pk"):
            try:
                buyback_request_decide(request=buyback.pk, approvals="all", actor=request.user)
            except ApplicationError as error:
                self.message_user(
                    request,
                    _("Buy-back #%(id)s: %(error)s") % {"id": buyback.pk, "error": error.message},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request, _("Buy-back #%(id)s approved.") % {"id": buyback.pk}, messages.SUCCESS
                )

    @admin.action(description=_("Reject selected requests (with a reason)…"))
    def reject_with_reason(self, request: HttpRequest, queryset: QuerySet[BuybackRequest]):
        if not self._may_decide(request):
            raise PermissionDenied
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for buyback in queryset.order_by("pk"):
                try:
                    buyback_request_reject(
                        request=buyback.pk, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ApplicationError as error:
                    self.message_user(
                        request,
                        _("Buy-back #%(id)s: %(error)s") % {"id": buyback.pk, "error": error.message},
                        messages.ERROR,
                    )
                else:
                    self.message_user(
                        request, _("Buy-back #%(id)s rejected.") % {"id": buyback.pk}, messages.SUCCESS
                    )
            return None
        return render(
            request,
            "admin/orders/buyback_reject.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Reject buy-back requests"),
                "requests": queryset.select_related("distributor"),
                "form": form,
                "action": "reject_with_reason",
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def get_urls(self):
        urls = super().get_urls()
        decide = path(
            "<int:pk>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="orders_buybackrequest_decide",
        )
        return [decide, *urls]

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Approve some or all units (a quantity per line) or reject, with a reason."""
        if not self._may_decide(request):
            raise PermissionDenied
        buyback = get_object_or_404(BuybackRequest.objects.select_related("distributor"), pk=pk)
        lines = list(buyback.lines.select_related("order_line__order").order_by("pk"))
        error = None
        quantities = {line.pk: line.quantity for line in lines}
        reason = ""
        if request.method == "POST":
            reason = request.POST.get("reason", "")
            try:
                if "reject" in request.POST:
                    buyback_request_reject(request=buyback.pk, actor=request.user, reason=reason)
                else:
                    for line in lines:
                        raw = request.POST.get(f"line-{line.pk}", "0").strip() or "0"
                        if not raw.isdigit():
                            raise ApplicationError(
                                _("%(sku)s: enter a whole number of units.") % {"sku": line.order_line.sku}
                            )
                        quantities[line.pk] = int(raw)
                    buyback_request_decide(
                        request=buyback.pk, approvals=quantities, actor=request.user, reason=reason
                    )
            except ApplicationError as exc:
                error = exc.message
            else:
                buyback.refresh_from_db()
                self.message_user(
                    request,
                    _("Buy-back #%(id)s: %(status)s.")
                    % {"id": buyback.pk, "status": buyback.get_status_display().lower()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:orders_buybackrequest_change", args=[buyback.pk]))
        rows = [
            {
                "line": line,
                "value": quantities[line.pk],
                "asked_refund": line.quantity * line.unit_refund,
            }
            for line in lines
        ]
        return render(
            request,
            "admin/orders/buyback_decide.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": buyback,
                "title": _("Decide on buy-back #%(id)s") % {"id": buyback.pk},
                "buyback": buyback,
                "rows": rows,
                "reason": reason,
                "error": error,
                "open": buyback.status == BuybackStatus.REQUESTED,
            },
        )
