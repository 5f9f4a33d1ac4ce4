"""Admin of the distributor agreement: versions (drafted here, published by the action, then
read-only), acceptances (read-only evidence; staff record a signed paper copy through the same
service as the portal, audited), and who has not accepted the current version (CSV)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import csv
from core.errors import ApplicationError

from .agreement_selectors import agreement_acceptance_of, agreement_current, agreement_pending_distributors
from .agreements import AcceptanceChannel, AgreementAcceptance, AgreementClause, AgreementVersion
from .models import Distributor, DistributorStatus
from .services.agreements import (
    agreement_accept,
    agreement_version_check_terminated,
    agreement_version_publish,
    agreement_version_save_draft,
)

PENDING_CSV_COLUMNS = ("external_id", "first_name", "last_name", "email", "status", "enrolled_at")


class AgreementClauseInline(admin.StackedInline):
    model = AgreementClause
    extra = 0
    fields = ["position", "kind", "title_en", "title_nl", "text_en", "text_nl"]

    def _draft(self, obj: AgreementVersion | None) -> bool:
        return obj is None or obj.published_at is None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "title_en", "published_at", "accepted_count", "pending_link"]
    fields = ["number", "label", "title_en", "title_nl", "body_en", "body_nl", "published_at", "published_by"]
    readonly_fields = ["published_at", "published_by"]
    inlines = [AgreementClauseInline]
    actions = ["publish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgreementVersion]:
        return super().get_queryset(request).annotate(accepted=Count("acceptances"))

    @admin.display(description=_("accepted by"), ordering="accepted")
    def accepted_count(self, obj: AgreementVersion) -> int:
        return getattr(obj, "accepted", 0)

    @admin.display(description=_("not accepted yet"))
    def pending_link(self, obj: AgreementVersion) -> str:
        if obj.published_at is None:
            return "–"
        url = reverse("admin:distributors_agreementversion_pending", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the list (CSV)"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A published version is evidence: shown, never changed (a new version supersedes it).
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: AgreementVersion, form: Any, change: bool) -> None:
        agreement_version_save_draft(version=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AgreementVersion]) -> None:
        queryset.filter(published_at__isnull=True).delete()

    @admin.action(
        description=_("Publish the selected draft (everyone is asked to accept it)"), permissions=["change"]
    )
    def publish(self, request: HttpRequest, queryset: QuerySet[AgreementVersion]) -> None:
        for version in queryset.order_by("number"):
            try:
                agreement_version_publish(version=version, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{version}: {error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(version)s is published: every distributor is asked to accept it.")
                    % {"version": version},
                    messages.SUCCESS,
                )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/pending.csv",
                view(self.pending_csv_view),
                name="distributors_agreementversion_pending",
            ),
            *super().get_urls(),
        ]

    def pending_csv_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The distributors (not terminated) who have not accepted this version."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(AgreementVersion, pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="agreement-{version.number}-not-accepted.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(PENDING_CSV_COLUMNS)
        writer.writerows(
            agreement_pending_distributors(version)
            .values_list(*PENDING_CSV_COLUMNS)
            .iterator(chunk_size=5_000)
        )
        return response


class PaperAcceptanceForm(forms.ModelForm):
    """Staff record a distributor's signed paper copy of the current version."""

    class Meta:
        model = AgreementAcceptance
        fields = ["distributor", "version", "language", "note"]

    language = forms.ChoiceField(
        label=_("language of the signed copy"), choices=[("nl", "Nederlands"), ("en", "English")]
    )
    note = forms.CharField(
        label=_("note"), max_length=255, help_text=_("Where the signed copy is kept, and when it was signed.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        version_field = self.fields["version"]
        assert isinstance(version_field, forms.ModelChoiceField)
        version_field.queryset = AgreementVersion.objects.filter(published_at__isnull=False)
        current = agreement_current()
        if current is not None:
            self.fields["version"].initial = current.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        version, distributor = data.get("version"), data.get("distributor")
        if version is None or distributor is None:
            return data
        current = agreement_current()
        if distributor.status == DistributorStatus.TERMINATED:
            try:  # staff record their paper copy of a version that applied while they worked
                agreement_version_check_terminated(distributor=distributor, version=version)
            except ApplicationError as error:
                self.add_error("version", error.message)
        elif current is None or version.pk != current.pk:
            self.add_error("version", _("Only the current version can be accepted."))
        if "version" not in self.errors and agreement_acceptance_of(distributor, version):
            self.add_error("distributor", _("This distributor has already accepted this version."))
        return data

    def validate_unique(self) -> None:  # the service keeps one acceptance per version
        pass


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["distributor", "version", "accepted_at", "channel", "language", "accepted_by"]
    list_filter = ["version", "channel"]
    list_select_related = ["distributor", "version", "accepted_by"]
    search_fields = ["=distributor__external_id", "distributor__last_name"]
    raw_id_fields = ["distributor"]
    date_hierarchy = "accepted_at"
    readonly_fields = [
        "distributor", "version", "accepted_at", "accepted_by", "channel", "language", "text_hash",
        "ip_address", "user_agent", "note",
    ]  # fmt: skip

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = PaperAcceptanceForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["distributor", "version", "language", "note"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AgreementAcceptance, form: Any, change: bool) -> None:
        data = form.cleaned_data
        distributor: Distributor = data["distributor"]
        saved = agreement_accept(
            distributor=distributor,
            version=data["version"],
            actor=request.user,
            language=data["language"],
            channel=AcceptanceChannel.PAPER,
            note=data["note"],
        )
        obj.pk = saved.pk
        obj.accepted_at = saved.accepted_at

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass
