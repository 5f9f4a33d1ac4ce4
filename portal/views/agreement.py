"""Portal: My data › Distributor agreement. The current version in my language, each clause to
confirm, and my acceptances (distributors.services.agreements, as the API's POST
/me/agreement/accept/). Until I accept, every portal page says so (portal/templatetags/agreement.py)
and my payouts are held, not lost."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from distributors.agreement_selectors import (
    agreement_acceptance_of,
    agreement_acceptances_of,
    agreement_current,
)
from distributors.agreements import AcceptanceChannel, AgreementClause, AgreementVersion
from distributors.services.agreements import agreement_accept
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error

HISTORY = 20


class AgreementAcceptForm(forms.Form):
    """One checkbox per clause, each required; the version shown, so a version published while the
    page was open is not accepted unread."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, clauses: list[AgreementClause], language: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for clause in clauses:
            self.fields[f"clause_{clause.pk}"] = forms.BooleanField(
                required=True,
                label=_("I accept: %(title)s") % {"title": clause.title_in(language)},
                error_messages={"required": _("Confirm this clause to accept the agreement.")},
            )


def _language() -> str:
    return "nl" if (get_language() or "en").startswith("nl") else "en"


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    language = _language()
    current = agreement_current()
    clauses = list(current.clauses.all()) if current is not None else []
    acceptance = agreement_acceptance_of(me, current) if current is not None else None
    form = None
    if request.method == "POST" and current is not None and request.POST.get("version") != str(current.pk):
        # A newer version was published while the page was open: show it, accept nothing unread.
        messages.warning(
            request, _("This version of the agreement is not the current one: accept the current version.")
        )
        return redirect("portal:profile-agreement")
    if current is not None and acceptance is None:
        form = AgreementAcceptForm(
            request.POST if request.method == "POST" else None,
            clauses=clauses,
            language=language,
            initial={"version": current.pk},
        )
        if request.method == "POST" and form.is_valid():
            version = AgreementVersion.objects.filter(pk=form.cleaned_data["version"]).first()
            try:
                if version is None:
                    raise ApplicationError(
                        _("This version of the agreement does not exist."), field="version"
                    )
                agreement_accept(
                    distributor=me,
                    version=version,
                    actor=request.user,
                    language=language,
                    channel=AcceptanceChannel.PORTAL,
                    ip_address=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except ApplicationError as error:
                if error.field == "version":  # a newer version was published meanwhile: show it
                    messages.warning(request, error.message)
                    return redirect("portal:profile-agreement")
                add_service_error(form, error)
            else:
                messages.success(request, _("Thank you: you have accepted the distributor agreement."))
                return redirect("portal:profile-agreement")
    history = list(agreement_acceptances_of(me)[:HISTORY])
    return render(
        request,
        "portal/agreement.html",
        {
            "current": current,
            "title": current.title_in(language) if current is not None else "",
            "body": current.body_in(language) if current is not None else "",
            "clauses": [{"title": c.title_in(language), "text": c.text_in(language)} for c in clauses],
            "acceptance": acceptance,
            "form": form,
            "history": history,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


urlpatterns = [
    path("", index, name="profile-agreement"),
]
