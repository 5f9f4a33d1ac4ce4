"""Portal: My data › Notifications. Which e-mails I get and in which language (the same service as
the API's PUT /me/notifications/); every mail's unsubscribe link switches one kind off here too."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from notifications.models import DISTRIBUTOR_KINDS
from notifications.selectors import preferences_of
from notifications.services import notification_preferences_set
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error


class NotificationSettingsForm(forms.Form):
    """A checkbox per kind (on until switched off) and the language of the mails."""

    language = forms.ChoiceField(
        label=gettext_lazy("Language of the e-mails"),
        required=False,
        choices=[
            ("", gettext_lazy("As my country")),
            *settings.LANGUAGES,
        ],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in DISTRIBUTOR_KINDS:
            self.fields[str(kind)] = forms.BooleanField(label=kind.label, required=False)
        # The language last: the kinds first, as the page reads.
        self.order_fields([*map(str, DISTRIBUTOR_KINDS), "language"])


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    preferences = preferences_of(me.email)
    initial = {**preferences.kinds, "language": preferences.language or ""}
    form = NotificationSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notification_preferences_set(
                email=me.email,
                kinds={str(kind): data[str(kind)] for kind in DISTRIBUTOR_KINDS},
                language=data["language"],
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your notification settings have been saved."))
            return redirect("portal:profile-notifications")
    return render(
        request,
        "portal/notifications.html",
        {"form": form, "email": preferences.email},
        status=400 if form.is_bound else 200,
    )


urlpatterns = [
    path("", index, name="profile-notifications"),
]
