"""Portal: My data. My contact data (distributor_update_profile, the fields of the API's PATCH /me/;
a new e-mail address needs the current password, as in the API), the GDPR export as a download (the
API's GET /me/personal-data/), and an erasure request that staff handle in the admin.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.api.auth import LockedOut, current_password_check
from core.errors import ApplicationError
from distributors.models import ErasureRequestStatus
from distributors.personal_data import erasure_request_create, erasure_requests_of
from distributors.services import profile
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.forms_account import ErasureRequestForm, ProfileForm
from privacy.selectors import distributor_personal_data, personal_data_file


def _initial(me) -> dict:
    return {"first_name": me.first_name, "last_name": me.last_name, "email": me.email, "phone": me.phone}


def _render(request: PortalRequest, form: ProfileForm, erasure_form: ErasureRequestForm, status: int = 200):
    me = request.distributor
    erasures = list(erasure_requests_of(me)[:5])
    pending = next((e for e in erasures if e.status == ErasureRequestStatus.PENDING), None)
    return render(
        request,
        "portal/profile.html",
        {
            "me": me,
            "form": form,
            "erasure_form": erasure_form,
            "pending_erasure": pending,
            "erasures": erasures,
        },
        status=status,
    )


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=_initial(me))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            # A new address is a new login and reset address: the service refuses it without the
            # current password checked (its refusal is the field's error). A password given is
            # checked here (axes counts a wrong one as a failed login), as the API does.
            password = form.cleaned_data["current_password"]
            password_checked = False
            if password:
                current_password_check(request, password)
                password_checked = True
            profile.distributor_update_profile(
                distributor=me, actor=request.user, password_checked=password_checked, **changes
            )
        except LockedOut:
            form.add_error(
                "current_password", _("Too many wrong passwords: wait a while before you try again.")
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your details have been saved."))
            return redirect("portal:profile")
    return _render(request, form, ErasureRequestForm(), status=400 if form.is_bound else 200)


@distributor_required
def export(request: PortalRequest) -> HttpResponse:
    """Everything the back office holds about me, as the API's JSON download."""
    me = request.distributor
    file = personal_data_file(distributor_personal_data(me), me.external_id)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@distributor_required
@require_POST
def erasure(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    form = ErasureRequestForm(request.POST)
    if form.is_valid():
        try:
            erasure_request_create(distributor=me, actor=request.user)
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your erasure request has been sent. The company will contact you."))
            return redirect("portal:profile")
    return _render(request, ProfileForm(initial=_initial(me)), form, status=400)


urlpatterns = [
    path("", index, name="profile"),
    path("personal-data/", export, name="profile-export"),
    path("erasure/", erasure, name="profile-erasure"),
]
