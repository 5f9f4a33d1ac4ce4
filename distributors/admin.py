"""Admin for distributors: a thin edge over the services.

Enrollment goes through `distributor_enroll`; the sponsor and status are read-only on the
change form and change only through the actions, which call the move, terminate and status
services and report their errors.

The rank and title are numbers here: the plan names them, so the commissions app registers this
admin again with the names (`2 · Senior Consultant`) in the columns, the filters and the change
page (commissions/admin_distributors.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import ApplicationError

from .admin_agreements import AgreementVersionAdmin  # noqa: F401  (registers the agreement's admin)
from .admin_bank import BankAccountAdmin  # noqa: F401  (registers the bank accounts' admin)
from .admin_tax import VatRegistrationAdmin  # noqa: F401  (registers the VAT statuses' admin)
from .forms import DistributorAddForm, DistributorChangeForm, MoveForm, ReasonForm
from .invitations import distributor_invitation_resend
from .models import Distributor, DistributorStatus, ErasureRequest, ErasureRequestStatus, SponsorChange
from .personal_data import distributor_erase, erasure_request_handle
from .selectors import downline
from .services.enrollment import distributor_enroll
from .services.moves import distributor_move
from .services.profile import distributor_update_profile
from .services.status import distributor_set_status, distributor_terminate
from .support import may_view_as

# An action renders every selected id into its confirmation form; keep that page small.
MAX_ACTION_ROWS = 500


class SponsorChangeInline(admin.TabularInline):
    model = SponsorChange
    fk_name = "distributor"
    fields = ("changed_at", "kind", "old_sponsor", "new_sponsor", "changed_by", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("sponsor history")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("old_sponsor", "new_sponsor", "changed_by")


class DownlineFilter(admin.SimpleListFilter):
    """`?downline_of=<id>`: everyone below one distributor (the link on their page)."""

    title = _("downline of")
    parameter_name = "downline_of"

    def _distributor(self) -> Distributor | None:
        value = self.value() or ""
        return Distributor.objects.filter(pk=int(value)).first() if value.isdigit() else None

    def lookups(self, request, model_admin):
        if self.value() is None:
            return []
        distributor = self._distributor()
        label = str(distributor) if distributor is not None else _("no such distributor")
        return [(self.value(), label)]

    def has_output(self) -> bool:
        # Offered only from a distributor's page; once chosen, it shows (and applies) like any filter.
        return self.value() is not None

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        distributor = self._distributor()
        return queryset.none() if distributor is None else queryset.filter(pk__in=downline(distributor))


@admin.register(Distributor)
class DistributorAdmin(admin.ModelAdmin):
    change_form_template = "admin/distributors/distributor/change_form.html"
    # No e-mail column: the list must fit a laptop screen; the search finds by e-mail.
    list_display = [
        "external_id",
        "name",
        "sponsor",
        "status",
        "rank",
        "title",
        "country",
        "enrolled_at",
    ]
    list_select_related = ["sponsor"]
    list_filter = [
        "status",
        "country",
        "rank",
        "title",
        DownlineFilter,
    ]
    search_fields = ["first_name", "last_name", "email", "=external_id", "=referral_code"]
    raw_id_fields = ["sponsor", "user"]
    date_hierarchy = "enrolled_at"
    # Counting a million rows on every page view costs more than it tells.
    show_full_result_count = False
    actions = [
        "move_action",
        "terminate_action",
        "hold_action",
        "reactivate_action",
        # The privacy app's (privacy/admin.py): the export collects every app's part.
        "export_personal_data_action",
        "erase_personal_data_action",
        "send_invitation_action",
    ]
    readonly_fields = [
        "sponsor",
        "status",
        "terminated_at",
        "referral_code",
        "enrolled_at",
        "rank",
        "title",
        "related_records",
        "tree_id",
        "lft",
        "rght",
        "level",
        "downline_size",
        "created_at",
        "updated_at",
    ]
    inlines = [SponsorChangeInline]

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, obj: Distributor) -> str:
        return obj.name

    @admin.display(description=_("open"))
    def related_records(self, obj: Distributor) -> str:
        """Links to what is theirs: each a changelist filtered to this distributor."""
        if obj.pk is None:
            return "–"
        own = f"?distributor__id__exact={obj.pk}"
        links = [
            (reverse("admin:orders_order_changelist") + own, _("Orders")),
            (reverse("admin:orders_customer_changelist") + own, _("Customers")),
            (reverse("admin:distributors_distributor_changelist") + f"?downline_of={obj.pk}", _("Downline")),
            (reverse("admin:commissions_statement_changelist") + own, _("Statements")),
            (reverse("admin:commissions_payout_changelist") + own, _("Payouts")),
            (reverse("admin:distributors_bankaccount_changelist") + own, _("Bank account")),
            (reverse("admin:distributors_vatregistration_changelist") + own, _("VAT status")),
            (reverse("admin:commissions_selfbillinginvoice_changelist") + own, _("Invoices")),
            (reverse("admin:orders_buybackrequest_changelist") + own, _("Buy-back requests")),
            (reverse("admin:commissions_ledgerline_changelist") + own, _("Ledger lines")),
            (reverse("admin:distributors_sponsorchange_changelist") + own, _("Sponsor history")),
            (
                reverse("admin:core_auditentry_changelist")
                + "?"
                + urlencode({"target_type": obj._meta.label_lower, "target_id": obj.pk}),
                _("Audit entries"),
            ),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    # --- add through the enrollment service, change profile fields only -------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = DistributorChangeForm if obj is not None else DistributorAddForm
        if obj is None or self.has_change_permission(request, obj):
            # The form's own fields; staff who may only view get Django's all-read-only form.
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = list(DistributorAddForm.base_fields)
            return [(None, {"fields": fields})]
        return [
            (_("Their records"), {"fields": ["related_records"]}),
            (None, {"fields": list(DistributorChangeForm.base_fields)}),
            (_("Sponsor tree"), {"fields": ["sponsor", "status", "terminated_at", "referral_code"]}),
            (_("Ranks"), {"fields": ["rank", "title"]}),
            (
                _("Nested sets (derived from the sponsor links)"),
                {"classes": ["collapse"], "fields": ["tree_id", "lft", "rght", "level", "downline_size"]},
            ),
            (_("Record"), {"fields": ["enrolled_at", "created_at", "updated_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # "Open the portal as this distributor" (support sessions, distributors.support).
        if obj is not None and obj.user is not None and may_view_as(hijacker=request.user, hijacked=obj.user):
            context["support_view_as"] = obj.user_id
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            # Profile edits go through the service: the same checks as enrollment, and an audit entry.
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            if changes:
                try:
                    distributor_update_profile(distributor=obj, actor=request.user, **changes)
                except ApplicationError as exc:
                    self.message_user(request, _("Not saved: %(error)s") % {"error": exc}, messages.ERROR)
            return
        data = form.cleaned_data
        try:
            enrolled = distributor_enroll(
                sponsor=data.get("sponsor"),
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data.get("phone") or "",
                country=data.get("country") or "NL",
                external_id=data.get("external_id") or None,
                enrolled_at=data.get("enrolled_at"),
                user=data.get("user"),
                # Without an existing login, the recruit is e-mailed a link to choose their password.
                invite=data.get("user") is None,
                language=translation.get_language(),
                actor=request.user,
            )
        except ApplicationError as exc:
            obj._enroll_error = exc
            return
        obj.__dict__.update(enrolled.__dict__)

    def log_addition(self, request, obj, message):
        if obj.pk is None:
            return None
        return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        exc = getattr(obj, "_enroll_error", None)
        if exc is None:
            return super().response_add(request, obj, post_url_continue)
        label = f"{exc.field.replace('_', ' ')}: " if exc.field else ""
        self.message_user(
            request, _("Not enrolled. %(field)s%(error)s") % {"field": label, "error": exc}, messages.ERROR
        )
        keep = {k: v for k, v in request.POST.items() if k in DistributorAddForm.base_fields and v}
        return HttpResponseRedirect(reverse("admin:distributors_distributor_add") + "?" + urlencode(keep))

    def get_search_results(self, request, queryset, search_term):
        unsearched = queryset
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip().isdigit():
            # The internal id too, within the same filters ("=id" would fail on non-digits).
            queryset |= unsearched.filter(pk=int(search_term.strip()))
        return queryset, may_have_duplicates

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would take the downline with it (mptt) or break history: terminate instead.
        return False

    # --- actions: an intermediate form, then one service call per distributor -------------

    def _action_form(
        self,
        request: HttpRequest,
        queryset: QuerySet[Distributor],
        *,
        form_class: type[ReasonForm],
        action: str,
        title: str,
        intro: str,
        submit_label: str,
        apply: Any,
    ) -> HttpResponse | None:
        count = queryset.count()
        if count > MAX_ACTION_ROWS:
            self.message_user(
                request,
                _("Select at most %(max)d distributors for this action.") % {"max": MAX_ACTION_ROWS},
                messages.ERROR,
            )
            return None
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for distributor in queryset.order_by("pk"):
                try:
                    apply(distributor, form.cleaned_data)
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{distributor}: {exc}", messages.ERROR)
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "%(title)s: %(count)d distributor(s) done.",
                        "%(title)s: %(count)d distributor(s) done.",
                        done,
                    )
                    % {"title": title, "count": done},
                    messages.SUCCESS,
                )
            return None
        selected = list(queryset.select_related("sponsor").order_by("pk")[:20])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "intro": intro,
            "form": form,
            "distributors": selected,
            "more": count - len(selected),
            "selected_ids": list(queryset.order_by("pk").values_list("pk", flat=True)),
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "submit_label": submit_label,
        }
        return render(request, "admin/distributors/action_form.html", context)

    @admin.action(description=_("Send a new invitation to set a password"), permissions=["change"])
    def send_invitation_action(self, request, queryset):
        """For a recruit whose link expired, or a distributor without a login yet (an import)."""
        sent = 0
        for distributor in queryset.order_by("pk")[:MAX_ACTION_ROWS]:
            try:
                distributor_invitation_resend(distributor=distributor, actor=request.user)
                sent += 1
            except ApplicationError as exc:
                self.message_user(request, f"{distributor}: {exc}", messages.ERROR)
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent) % {"count": sent},
                messages.SUCCESS,
            )

    @admin.action(description=_("Move to another sponsor…"), permissions=["change"])
    def move_action(self, request, queryset):
        return self._action_form(
            request,
            queryset,
            form_class=MoveForm,
            action="move_action",
            title=_("Move to another sponsor"),
            intro=_("Move these distributors, each with their whole downline, under a new sponsor:"),
            submit_label=_("Move"),
            apply=lambda d, data: distributor_move(
                distributor=d, new_sponsor=data["new_sponsor"], actor=request.user, reason=data["reason"]
            ),
        )

    @admin.action(description=_("Terminate…"), permissions=["change"])
    def terminate_action(self, request, queryset):
        return self._action_form(
            request,
            queryset,
            form_class=ReasonForm,
            action="terminate_action",
            title=_("Terminate"),
            intro=_("Terminate these distributors; each one's frontline moves up to their sponsor:"),
            submit_label=_("Terminate"),
            apply=lambda d, data: distributor_terminate(
                distributor=d, actor=request.user, reason=data["reason"]
            ),
        )

    @admin.action(description=_("Put on hold…"), permissions=["change"])
    def hold_action(self, request, queryset):
        return self._status_action(request, queryset, DistributorStatus.HOLD, "hold_action", _("Put on hold"))

    @admin.action(description=_("Reactivate…"), permissions=["change"])
    def reactivate_action(self, request, queryset):
        return self._status_action(
            request, queryset, DistributorStatus.ACTIVE, "reactivate_action", _("Reactivate")
        )

    def _status_action(self, request, queryset, status: str, action: str, title: str):
        return self._action_form(
            request,
            queryset,
            form_class=ReasonForm,
            action=action,
            title=title,
            intro=f"{title}:",
            submit_label=title,
            apply=lambda d, data: distributor_set_status(
                distributor=d, status=status, actor=request.user, reason=data["reason"]
            ),
        )

    @admin.action(description=_("Erase personal data…"), permissions=["change"])
    def erase_personal_data_action(self, request, queryset):
        return self._action_form(
            request,
            queryset,
            form_class=ReasonForm,
            action="erase_personal_data_action",
            title=_("Erase personal data"),
            intro=_(
                "Pseudonymise these terminated distributors: name, e-mail, phone and login are "
                "erased; the tree, orders, ledger and statements are kept (7 years). This cannot "
                "be undone. Give the reason (e.g. the request's reference):"
            ),
            submit_label=_("Erase"),
            apply=lambda d, data: distributor_erase(distributor=d, actor=request.user, reason=data["reason"]),
        )


@admin.register(SponsorChange)
class SponsorChangeAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "distributor", "kind", "old_sponsor", "new_sponsor", "changed_by"]
    list_select_related = ["distributor", "old_sponsor", "new_sponsor", "changed_by"]
    list_filter = ["kind"]
    search_fields = ["=distributor__external_id", "distributor__last_name", "reason"]
    raw_id_fields = ["distributor", "old_sponsor", "new_sponsor"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    """Erasure requests from the portal: staff terminate and erase the distributor (their admin's
    actions), then mark the request done here, or decline it with a reason the distributor sees."""

    list_display = ["__str__", "requested_at", "distributor", "distributor_status", "status", "handled_at"]
    list_select_related = ["distributor", "handled_by"]
    list_filter = ["status"]
    search_fields = ["=distributor__external_id", "distributor__last_name"]
    raw_id_fields = ["distributor"]
    date_hierarchy = "requested_at"
    readonly_fields = ["distributor", "status", "requested_at", "handled_at", "handled_by", "note"]
    actions = ["mark_done_action", "decline_action"]

    @admin.display(description=_("distributor's status"))
    def distributor_status(self, obj: ErasureRequest) -> str:
        return obj.distributor.get_status_display()

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _handle(self, request, queryset, status: str, note: str) -> None:
        done = 0
        for erasure in queryset.order_by("pk")[:MAX_ACTION_ROWS]:
            try:
                erasure_request_handle(request=erasure, actor=request.user, status=status, note=note)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{erasure}: {exc}", messages.ERROR)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d request handled.", "%(count)d requests handled.", done) % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Mark as done (personal data erased)"), permissions=["change"])
    def mark_done_action(self, request, queryset):
        self._handle(request, queryset, ErasureRequestStatus.DONE, "")

    @admin.action(description=_("Decline…"), permissions=["change"])
    def decline_action(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._handle(request, queryset, ErasureRequestStatus.DECLINED, form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Decline erasure requests"),
            "intro": _("Decline these requests; the distributor sees your reason:"),
            "form": form,
            "distributors": list(queryset.select_related("distributor").order_by("pk")[:20]),
            "more": max(queryset.count() - 20, 0),
            "selected_ids": list(queryset.order_by("pk").values_list("pk", flat=True)[:MAX_ACTION_ROWS]),
            "action": "decline_action",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "submit_label": _("Decline"),
        }
        return render(request, "admin/distributors/action_form.html", context)
