"""The admin of catalogue, customers, orders, returns, demonstrations and host credit.

Thin: every write goes through orders.services (add pages are service forms, changes are admin
actions); orders, returns and vouchers are history and read-only once written.

Over 500 lines: one thin ModelAdmin per model of the app; none holds a rule.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_display import column
from core.errors import ApplicationError
from core.periods import period_label, period_of, previous_period
from core.templatetags.formatting import money, number, points, rate, timestamp
from core.templatetags.formatting import period as month
from distributors.forms import ReasonForm
from orders import services
from orders.forms import (
    CustomerRegisterForm,
    DemonstrationPlanForm,
    OrderRecordForm,
    OrderReturnForm,
    ProductForm,
)
from orders.models import (
    RETURNABLE_STATUSES,
    Customer,
    Demonstration,
    DemonstrationGuest,
    DemonstrationStatus,
    HostCredit,
    Order,
    OrderLine,
    Product,
    Return,
    ReturnLine,
)
from orders.personal_data import customer_erase
from orders.selectors.demonstrations import demonstration_summary
from orders.selectors.orders import with_totals
from orders.services.customers import contact_consent_valid_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

    from orders.selectors.demonstrations import DemonstrationSummary


def _link(obj: Any) -> str:
    if obj is None:
        return "–"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj)


class ServiceAdmin(admin.ModelAdmin):
    """An add page that is a service form (orders.forms) instead of a model form."""

    service_form: type | None = None

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if self.service_form is None:
            return super().add_view(request, form_url, extra_context)
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self.service_form_view(
            request,
            self.service_form(request.POST or None, initial=request.GET.dict(), admin_site=self.admin_site),
            title=_("Add %(name)s") % {"name": self.model._meta.verbose_name},
        )

    def service_form_view(self, request: HttpRequest, form: Any, *, title: str) -> HttpResponse:
        if request.method == "POST" and form.is_valid():
            try:
                obj = form.perform(actor=request.user)
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                self.message_user(request, _("Saved: %(object)s.") % {"object": obj}, messages.SUCCESS)
                target = obj if isinstance(obj, self.model) else getattr(obj, "order", obj)
                url = reverse(
                    f"admin:{target._meta.app_label}_{target._meta.model_name}_change", args=[target.pk]
                )
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "lines": getattr(form, "lines", None),
            "media": self.media + form.media,
        }
        return render(request, "admin/orders/service_form.html", context)

    def has_record_permission(self, request: HttpRequest) -> bool:
        """Actions that run a service (pay, cancel, close) need the model's change permission."""
        return request.user.has_perm(f"{self.model._meta.app_label}.change_{self.model._meta.model_name}")

    def run_action(self, request: HttpRequest, queryset: QuerySet, done_message: Any, call: Any) -> None:
        """Call a service per selected object; report each success and each refusal.

        `done_message` has the placeholders %(count)d and %(objects)s (the model's plural name).
        """
        done = 0
        for obj in queryset:
            try:
                call(obj)
            except ApplicationError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                done_message % {"count": done, "objects": self.model._meta.verbose_name_plural},
                messages.SUCCESS,
            )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = (
        "sku",
        "name",
        "retail_price_shown",
        "wholesale_price_shown",
        "vat_rate_shown",
        "qv_shown",
        "cv_shown",
        "commissionable",
        "buyback_eligible",
        "is_seasonal",
        "is_discontinued",
        "is_promotional",
        "is_active",
    )
    list_filter = (
        "is_active",
        "commissionable",
        "buyback_eligible",
        "is_seasonal",
        "is_discontinued",
        "is_promotional",
    )
    search_fields = ("sku", "name", "description")
    actions = ("withdraw", "bring_back")

    retail_price_shown = column(Product, "retail_price", money)
    wholesale_price_shown = column(Product, "wholesale_price", money)
    vat_rate_shown = column(Product, "vat_rate", rate)
    qv_shown = column(Product, "qv", points)
    cv_shown = column(Product, "cv", points)

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> tuple:
        return ("sku", "created_at", "updated_at") if obj else ()

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        try:
            if change:
                services.product_update(product=obj, actor=request.user, **fields)
            else:
                data = {
                    k: v for k, v in form.cleaned_data.items() if k in {f.name for f in Product._meta.fields}
                }
                created = services.product_create(actor=request.user, **data)
                obj.pk, obj.created_at, obj.updated_at = created.pk, created.created_at, created.updated_at
        except ApplicationError as exc:
            # The form validated; a rule of the service still refused (e.g. volume on a starter kit).
            self.message_user(request, exc.message, messages.ERROR)
            raise

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # noqa: ANN001
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError:
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Withdraw from sale"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet) -> None:
        for product in queryset:
            services.product_set_active(product=product, active=False, actor=request.user)

    @admin.action(description=_("Bring back on sale"))
    def bring_back(self, request: HttpRequest, queryset: QuerySet) -> None:
        for product in queryset:
            services.product_set_active(product=product, active=True, actor=request.user)


class ContactConsentFilter(admin.SimpleListFilter):
    """Confirmed, awaiting the customer's confirmation from their address, or none."""

    title = _("consent to contact")
    parameter_name = "contact_consent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("confirmed", _("Confirmed")),
            ("awaiting", _("Awaiting confirmation")),
            ("none", _("None")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        awaiting = {"contact_consent_at__isnull": True, "contact_consent_requested_at__isnull": False}
        if self.value() == "confirmed":
            return queryset.filter(contact_consent_at__isnull=False)
        if self.value() == "awaiting":
            return queryset.filter(**awaiting).exclude(contact_consent_requested_text="")
        if self.value() == "none":
            return queryset.filter(contact_consent_at__isnull=True, contact_consent_requested_text="")
        return queryset


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    service_form = CustomerRegisterForm
    list_display = ("__str__", "email", "kind", "distributor", "household_of", "created_at")
    list_filter = ("kind", ("household_of", admin.EmptyFieldListFilter), ContactConsentFilter)
    search_fields = ("first_name", "last_name", "email", "external_id", "distributor__external_id")
    list_select_related = ("distributor", "household_of")
    raw_id_fields = ("distributor", "household_of")
    readonly_fields = (
        "distributor", "external_id", "contact_consent_state", "contact_consent_at", "contact_consent_text",
        "contact_consent_requested_at", "contact_consent_requested_text", "created_at", "updated_at",
    )  # fmt: skip
    fields = (
        "distributor",
        "first_name",
        "last_name",
        "email",
        "phone",
        "kind",
        "household_of",
        "external_id",
        "contact_consent_state",
        "contact_consent_at",
        "contact_consent_text",
        "contact_consent_requested_at",
        "contact_consent_requested_text",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False
    # export_personal_data_action is the privacy app's (privacy/admin.py): it collects every app's part.
    actions = ("export_personal_data_action", "erase_personal_data_action")

    @admin.display(description=_("consent to contact"))
    def contact_consent_state(self, obj: Customer) -> str:
        """The double opt-in at a glance: a consent asked on the referral page counts once confirmed."""
        if obj.contact_consent_at is not None:
            return _("Confirmed on %(time)s") % {"time": timestamp(obj.contact_consent_at)}
        if obj.contact_consent_requested_at is None or not obj.contact_consent_requested_text:
            return str(_("None"))
        expires = obj.contact_consent_requested_at + contact_consent_valid_for()
        if expires < timezone.now():
            return _("Not confirmed: the link sent on %(asked)s expired on %(expires)s") % {
                "asked": timestamp(obj.contact_consent_requested_at),
                "expires": timestamp(expires),
            }
        return _("Awaiting confirmation: the link sent on %(asked)s works until %(expires)s") % {
            "asked": timestamp(obj.contact_consent_requested_at),
            "expires": timestamp(expires),
        }

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> tuple:
        return (*self.readonly_fields, "email")

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.customer_update(customer=obj, actor=request.user, **changes)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Erase personal data…"), permissions=["change"])
    def erase_personal_data_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for customer in queryset.order_by("pk"):
                try:
                    customer_erase(customer=customer, actor=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{customer}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "Erased the personal data of %(count)d customer(s).",
                        "Erased the personal data of %(count)d customer(s).",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Erase personal data"),
            "intro": _(
                "Pseudonymise these customers: name, e-mail and phone are erased; their orders and "
                "demonstrations are kept for the books (7 years). This cannot be undone. Give the "
                "reason (e.g. the date of the customer's request):"
            ),
            "form": form,
            # The distributors' confirmation page lists any objects under this name.
            "distributors": list(queryset.order_by("pk")[:20]),
            "more": max(queryset.count() - 20, 0),
            "selected_ids": list(queryset.order_by("pk").values_list("pk", flat=True)),
            "action": "erase_personal_data_action",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "submit_label": _("Erase"),
        }
        return render(request, "admin/distributors/action_form.html", context)


class PeriodFilter(admin.SimpleListFilter):
    """The last twelve periods, computed without scanning the orders."""

    title = _("commission period")
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        period = period_of(timezone.now())
        choices: list[tuple[str, StrOrPromise]] = [("none", _("Not counted yet"))]
        for _month in range(12):
            choices.append((period.isoformat(), period_label(period)))
            period = previous_period(period)
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "none":
            return queryset.filter(commission_period__isnull=True)
        if value:
            return queryset.filter(commission_period=value)
        return queryset


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "sku",
        "quantity_shown",
        "unit_list_price_shown",
        "unit_price_shown",
        "vat_rate_shown",
        "unit_qv_shown",
        "unit_cv_shown",
        "commissionable",
        "half_price",
        "excluded_from_buyback",
    )
    readonly_fields = fields

    quantity_shown = column(OrderLine, "quantity", number)
    unit_list_price_shown = column(OrderLine, "unit_list_price", money)
    unit_price_shown = column(OrderLine, "unit_price", money)
    vat_rate_shown = column(OrderLine, "vat_rate", rate)
    unit_qv_shown = column(OrderLine, "unit_qv", points)
    unit_cv_shown = column(OrderLine, "unit_cv", points)


class ReturnInline(ReadOnlyInline):
    model = Return
    fields = ("kind", "refunded_at", "refund_period_shown", "refund_amount_shown", "reason")
    readonly_fields = fields
    show_change_link = True

    refund_period_shown = column(Return, "refund_period", month)
    refund_amount_shown = column(Return, "refund_amount", money)


class OrderTotal(TypedDict):
    """What the order list's queryset annotates (orders.selectors.orders.with_totals)."""

    total: Decimal


@admin.register(Order)
class OrderAdmin(ServiceAdmin):
    service_form = OrderRecordForm
    list_display = (
        "number",
        "created_at",
        "distributor",
        "customer",
        "purpose",
        "channel",
        "status",
        "period",
        "total",
        "demonstration_link",
    )
    list_filter = (
        "status",
        "purpose",
        "channel",
        PeriodFilter,
        ("demonstration", admin.EmptyFieldListFilter),
    )
    search_fields = (
        "=number",
        "=external_id",
        "customer__last_name",
        "customer__email",
        "distributor__external_id",
        "distributor__last_name",
    )
    list_select_related = ("distributor", "customer", "demonstration", "demonstration__host")
    raw_id_fields = ("distributor", "customer", "demonstration")
    readonly_fields = (
        "number",
        "external_id",
        "distributor",
        "customer",
        "purpose",
        "channel",
        "status",
        "demonstration",
        "contact_email",
        "delivery_address",
        "currency",
        "paid_at",
        "cancelled_at",
        "commission_date",
        "commission_period_shown",
        "host_credit_redeemed_shown",
        "total",
        "created_by",
        "created_at",
        "tools",
    )
    fields = readonly_fields
    inlines = (OrderLineInline, ReturnInline)
    actions = ("pay", "cancel")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_totals(super().get_queryset(request))

    host_credit_redeemed_shown = column(Order, "host_credit_redeemed", money)
    commission_period_shown = column(Order, "commission_period", month)

    @admin.display(description=_("total ex VAT"), ordering="total")
    def total(self, obj: WithAnnotations[Order, OrderTotal]) -> str:
        return money(obj.total, obj.currency)

    @admin.display(description=_("period"), ordering="commission_period")
    def period(self, obj: Order) -> str:
        return period_label(obj.commission_period) if obj.commission_period else "–"

    @admin.display(description=_("demonstration"))
    def demonstration_link(self, obj: Order) -> str:
        return _link(obj.demonstration) if obj.demonstration_id else "–"

    @admin.display(description=_("return"))
    def tools(self, obj: Order) -> str:
        if obj.status not in RETURNABLE_STATUSES:
            return "–"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:orders_order_return", args=[obj.pk]),
            _("Record a return"),
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is a read-only view; writes are the actions and the return page.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        urls = [
            path(
                "<int:order_id>/return/",
                self.admin_site.admin_view(self.return_view),
                name="orders_order_return",
            ),
        ]
        return urls + super().get_urls()

    def return_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        if not (request.user.has_perm("orders.add_return") or request.user.has_perm("orders.change_order")):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        form = OrderReturnForm(request.POST or None, order=order, admin_site=self.admin_site)
        return self.service_form_view(
            request, form, title=_("Return of order %(number)s") % {"number": order.number}
        )

    @admin.action(description=_("Record payment now"), permissions=["record"])
    def pay(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.run_action(
            request,
            queryset,
            _("Paid %(count)d %(objects)s."),
            lambda o: services.order_pay(order=o, actor=request.user),
        )

    @admin.action(description=_("Cancel (pending, or paid within cooling-off)"), permissions=["record"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.run_action(
            request,
            queryset,
            _("Cancelled %(count)d %(objects)s."),
            lambda o: services.order_cancel(order=o, actor=request.user, reason="Cancelled in the admin"),
        )


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ("order_line", "quantity", "refund_amount_shown")
    readonly_fields = fields

    refund_amount_shown = column(ReturnLine, "refund_amount", money)


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "kind",
        "refunded_at",
        "refund_period_shown",
        "refund_amount_shown",
        "created_by",
    )
    list_filter = ("kind", "refund_period")
    search_fields = ("=order__number", "order__customer__last_name", "order__distributor__external_id")
    list_select_related = ("order", "created_by")
    readonly_fields = (
        "order",
        "kind",
        "refunded_at",
        "refund_period_shown",
        "refund_amount_shown",
        "reason",
        "external_key",
        "created_by",
        "created_at",
    )
    fields = readonly_fields
    inlines = (ReturnLineInline,)
    show_full_result_count = False

    refund_period_shown = column(Return, "refund_period", month)
    refund_amount_shown = column(Return, "refund_amount", money)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a return is recorded from its order (Record a return)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GuestInline(admin.TabularInline):
    model = DemonstrationGuest
    extra = 1
    raw_id_fields = ("customer",)
    fields = ("customer", "added_at")
    readonly_fields = ("added_at",)
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.status == DemonstrationStatus.PLANNED

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DemonstrationOrderInline(ReadOnlyInline):
    model = Order
    fields = ("number", "customer", "status", "paid_at", "commission_date")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("orders")


@admin.register(Demonstration)
class DemonstrationAdmin(ServiceAdmin):
    service_form = DemonstrationPlanForm
    list_display = ("__str__", "consultant", "host", "held_at", "status", "closed_at", "qps_shown")
    list_filter = ("status", ("held_at", admin.DateFieldListFilter))
    search_fields = (
        "host__last_name",
        "host__email",
        "consultant__external_id",
        "consultant__last_name",
        "place",
    )
    list_select_related = ("consultant", "host")
    raw_id_fields = ("consultant", "host", "booked_from")
    date_hierarchy = "held_at"
    readonly_fields = (
        "consultant",
        "host",
        "held_at",
        "place",
        "video_link",
        "status",
        "closed_at",
        "booked_from",
        "qps_so_far",
        "rewards",
        "close_deadline",
        "voucher",
        "tools",
    )
    fields = readonly_fields
    inlines = (GuestInline, DemonstrationOrderInline)
    actions = ("close", "cancel")
    show_full_result_count = False

    qps_shown = column(Demonstration, "qps", money)

    def _summary(self, obj: Demonstration) -> DemonstrationSummary:
        # Cached on the object of this request (the ModelAdmin itself is shared by all requests).
        cache = vars(obj)
        if "_summary" not in cache:
            cache["_summary"] = demonstration_summary(demonstration=obj)
        return cache["_summary"]

    @admin.display(description=_("QPS"))
    def qps_so_far(self, obj: Demonstration) -> str:
        return money(self._summary(obj).qps)

    @admin.display(description=_("Host rewards"))
    def rewards(self, obj: Demonstration) -> str:
        summary = self._summary(obj)
        return ngettext(
            "%(credit)s host credit, %(items)d half-price item(s)",
            "%(credit)s host credit, %(items)d half-price item(s)",
            summary.half_price_items,
        ) % {"credit": money(summary.host_credit), "items": summary.half_price_items}

    @admin.display(description=_("Close by"))
    def close_deadline(self, obj: Demonstration) -> str:
        return timestamp(self._summary(obj).close_deadline)

    @admin.display(description=_("Voucher"))
    def voucher(self, obj: Demonstration) -> str:
        return _link(self._summary(obj).voucher)

    @admin.display(description=_("new order"))
    def tools(self, obj: Demonstration) -> str:
        if obj.status != DemonstrationStatus.PLANNED:
            return "–"
        add = reverse("admin:orders_order_add")
        guests = self._summary(obj).guests
        links = format_html_join(
            " ",
            '<a class="button" href="{}?demonstration={}&amp;customer={}">{}</a>',
            ((add, obj.pk, g.customer_id, _("Order for %(guest)s") % {"guest": g.customer}) for g in guests),
        )
        return format_html(
            '<a class="button" href="{}?demonstration={}&amp;customer={}">{}</a> {}',
            add,
            obj.pk,
            obj.host_id,
            _("Order for the host"),
            links,
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Guests are added on the change page; the demonstration itself changes by actions only.
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == DemonstrationStatus.PLANNED
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Demonstration, form: Any, change: bool) -> None:
        pass  # nothing of the demonstration is edited here; see save_formset

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # The admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not DemonstrationGuest:
            return
        for guest_form in formset.forms:
            customer = guest_form.cleaned_data.get("customer") if guest_form.has_changed() else None
            if customer is None:
                continue
            try:
                guest = services.demonstration_add_guest(
                    demonstration=form.instance, customer=customer, actor=request.user
                )
            except ApplicationError as exc:
                self.message_user(request, f"{customer}: {exc.message}", messages.ERROR)
            else:
                formset.new_objects.append(guest)

    @admin.action(description=_("Close (orders count now, host credit issued)"), permissions=["record"])
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.run_action(
            request,
            queryset,
            _("Closed %(count)d %(objects)s."),
            lambda d: services.demonstration_close(demonstration=d, actor=request.user),
        )

    @admin.action(description=_("Cancel (its pending orders are cancelled)"), permissions=["record"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.run_action(
            request,
            queryset,
            _("Cancelled %(count)d %(objects)s."),
            lambda d: services.demonstration_cancel(
                demonstration=d, actor=request.user, reason="Cancelled in the admin"
            ),
        )


@admin.register(HostCredit)
class HostCreditAdmin(admin.ModelAdmin):
    list_display = (
        "pk", "host", "amount_shown", "half_price_items", "issued_at", "expires_at", "redeemed_order",
    )  # fmt: skip
    list_filter = (("redeemed_order", admin.EmptyFieldListFilter), ("expires_at", admin.DateFieldListFilter))
    search_fields = ("host__last_name", "host__email", "=redeemed_order__number")
    list_select_related = ("host", "redeemed_order")
    readonly_fields = (
        "demonstration",
        "host",
        "amount_shown",
        "half_price_items",
        "issued_at",
        "expires_at",
        "redeemed_order",
        "redeemed_at",
    )
    fields = readonly_fields

    amount_shown = column(HostCredit, "amount", money)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Buy-back requests have their own admin module (decisions go through orders.services.buyback).
# Autoship too (changes go through orders.services.autoship).
from orders import admin_autoship, admin_buyback  # noqa: E402, F401
