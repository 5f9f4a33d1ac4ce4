"""The admin's *Export personal data (JSON)* of a distributor or a customer.

The export collects every app's part, so its action lives here, above the apps whose admins offer
it: it is registered on the site and disabled there, and `DistributorAdmin` and `CustomerAdmin`
name it in their `actions` (Django's way to enable a site-wide action for some models only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from distributors.models import Distributor
from orders.models import Customer

from .selectors import PersonalDataFile, customer_personal_data, distributor_personal_data, personal_data_file


def _distributor_file(distributor: Distributor) -> PersonalDataFile:
    return personal_data_file(distributor_personal_data(distributor), distributor.external_id)


def _customer_file(customer: Customer) -> PersonalDataFile:
    return personal_data_file(customer_personal_data(customer), f"customer-{customer.pk}")


# Per model: the file of the one selected row, and the answer to any other selection.
EXPORTS: dict[type, tuple[Callable[[Any], PersonalDataFile], Any]] = {
    Distributor: (_distributor_file, _("Select exactly one distributor to export.")),
    Customer: (_customer_file, _("Select exactly one customer to export.")),
}


@admin.action(description=_("Export personal data (JSON)"), permissions=["view"])
def export_personal_data_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    export, refusal = EXPORTS[queryset.model]
    if queryset.count() != 1:
        modeladmin.message_user(request, refusal, messages.ERROR)
        return None
    file = export(queryset.get())
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response


# django-stubs types an action's answer as a TemplateResponse; a download is an HttpResponse.
admin.site.add_action(export_personal_data_action)  # type: ignore[arg-type]
admin.site.disable_action("export_personal_data_action")
