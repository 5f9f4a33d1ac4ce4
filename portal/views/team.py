"""Portal: my team. An overview (legs with their GV, my referral link with a QR code), the tree
of my downline loaded a frontline at a time, the searchable list, a member's page, and enrolling
a recruit.

Everything is read through request.distributor: distributors.selectors for the tree (nested-set
arithmetic and keyset pages, never the whole downline) and commissions.selectors.team for the
month's figures, which come from the newest preview of the open month (commissions.previews), as
on the dashboard. A member shows what the API's downline shows (names, external id, referral
code, rank, title, depth) plus their volumes, activity and enrolment date: no contact data.
"""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe

from commissions.previews import newest_preview
from commissions.selectors.ranks import live_rank_names
from commissions.selectors.team import team_frontline, team_legs, team_member, team_members
from core.api.pagination import BAD_CURSOR, CURSOR_SALT, encode_cursor
from core.api.throttles import EmailCheckThrottle
from core.errors import ApplicationError
from core.templatetags.formatting import rank as rank_label
from distributors.models import Distributor
from distributors.services.enrollment import distributor_enroll
from orders.selectors.autoship import team_next_autoships
from portal.access import PortalRequest, distributor_required
from portal.forms import add_service_error
from portal.links import public_url
from portal.qr import qr_svg
from portal.submissions import once

PAGE_SIZE = 50  # members per page of the list, children per page of the tree
LEGS_SHOWN = 100  # as the API's rank decision: a leader's frontline can be thousands long


# --- Helpers: cursors, the referral link, service refusals on a form


def _after(text: str) -> int:
    """The lft a signed cursor (core.api.pagination's, as the API's `next`) continues after."""
    try:
        key = signing.loads(text, salt=CURSOR_SALT)
    except signing.BadSignature:
        key = None
    if not (isinstance(key, list) and len(key) == 1 and type(key[0]) is int):
        raise forms.ValidationError(BAD_CURSOR)
    return key[0]


class CursorField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=200, widget=forms.HiddenInput, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        return _after(text) if text else None


def _cursor(after: int | None) -> str | None:
    return encode_cursor([after]) if after is not None else None


def referral_url(code: str) -> str:
    """The public page where my referral code registers a customer (portal/views/join.py), on the
    address people reach this site at (portal.links.public_url: PUBLIC_URL), never the request's Host."""
    return public_url(reverse("join", kwargs={"code": code}))


# --- Overview: legs, my referral link


@distributor_required
@require_safe
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    run = newest_preview()
    legs, leg_count = team_legs(me, run=run, limit=LEGS_SHOWN)
    link = referral_url(me.referral_code)
    share_text = _("Shop with me: %(link)s (referral code %(code)s)") % {
        "link": link,
        "code": me.referral_code,
    }
    autoship_customers, autoship_frontline = team_next_autoships(me)
    context = {
        "me": me,
        "run": run,
        "autoship_customers": autoship_customers,
        "autoship_frontline": autoship_frontline,
        "legs": legs,
        "leg_count": leg_count,
        "downline_count": me.downline_size,
        "rank_names": live_rank_names(),
        "referral_link": link,
        "qr": qr_svg(link, title=_("QR code of my referral link")),
        "whatsapp_url": "https://wa.me/?text=" + quote(share_text),
        "mailto_url": "mailto:?subject={}&body={}".format(
            quote(_("An invitation from %(name)s") % {"name": me.name}), quote(share_text)
        ),
    }
    return render(request, "portal/team.html", context)


# --- The tree, a frontline at a time


def _frontline_context(request: PortalRequest, member_id: int, after: int | None) -> dict:
    run = newest_preview()
    page = team_frontline(request.distributor, member_id, run=run, after_lft=after, limit=PAGE_SIZE)
    if page is None:
        raise Http404(_("No such distributor in your downline."))
    return {
        "page": page,
        "member_id": member_id,
        "next_cursor": _cursor(page.next_after),
        "rank_names": live_rank_names(),
        "run": run,
    }


@distributor_required
@require_safe
def tree(request: PortalRequest) -> HttpResponse:
    context = _frontline_context(request, request.distributor.pk, None)
    context["me"] = request.distributor
    context["downline_count"] = request.distributor.downline_size
    return render(request, "portal/team_tree.html", context)


class ChildrenForm(forms.Form):
    cursor = CursorField()


@distributor_required
@require_safe
def children(request: PortalRequest, member_id: int) -> HttpResponse:
    """A member's frontline as list items (the htmx partial a tree node loads when opened)."""
    form = ChildrenForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors["cursor"][0], status=400)
    context = _frontline_context(request, member_id, form.cleaned_data["cursor"])
    return render(request, "portal/_team_children.html", context)


# --- The list: search and filters


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Name, external id or referral code."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    rank = forms.TypedChoiceField(label=gettext_lazy("Rank"), required=False, coerce=int, empty_value=None)
    active = forms.TypedChoiceField(
        label=pgettext_lazy("team filter", "Active this month"),
        required=False,
        choices=[
            ("", pgettext_lazy("team filter", "Everyone")),
            ("yes", pgettext_lazy("team filter", "Active")),
            ("no", pgettext_lazy("team filter", "Not active")),
        ],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )
    new = forms.BooleanField(label=gettext_lazy("New this month"), required=False)
    cursor = CursorField()

    def __init__(self, *args, rank_names: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        numbers = sorted({0, *rank_names})
        rank = self.fields["rank"]
        assert isinstance(rank, forms.ChoiceField)
        rank.choices = [("", pgettext_lazy("team filter", "Any rank"))] + [
            (number, rank_label(number, rank_names)) for number in numbers
        ]


@distributor_required
@require_safe
def members(request: PortalRequest) -> HttpResponse:
    names = live_rank_names()
    form = MemberFilterForm(request.GET, rank_names=names)
    run = newest_preview()
    page = None
    if form.is_valid():
        filters = form.cleaned_data
        page = team_members(
            request.distributor,
            run=run,
            search=filters["q"],
            rank=filters["rank"],
            active=filters["active"],
            new_this_month=filters["new"],
            after_lft=filters["cursor"],
            limit=PAGE_SIZE,
        )
    next_query = None
    if page is not None and page.next_after is not None:
        query = request.GET.copy()
        query["cursor"] = encode_cursor([page.next_after])
        next_query = query.urlencode()
    first_query = request.GET.copy()
    first_query.pop("cursor", None)
    context = {
        "form": form,
        "page": page,
        "run": run,
        "rank_names": names,
        "next_query": next_query,
        "first_query": first_query.urlencode() if "cursor" in request.GET else None,
        "filtered": any(request.GET.get(key) for key in ("q", "rank", "active", "new")),
    }
    partial = bool(request.htmx) and not request.htmx.boosted
    template = "portal/team_members.html#results" if partial else "portal/team_members.html"
    response = render(request, template, context)
    # The same URL answers a whole page or only the results: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- One member


@distributor_required
@require_safe
def member(request: PortalRequest, member_id: int) -> HttpResponse:
    run = newest_preview()
    found = team_member(request.distributor, member_id, run=run)
    if found is None:
        raise Http404(_("No such distributor in your downline."))
    member = found.member
    assert isinstance(member, Distributor)
    # Their frontline, as the tree shows it (also the way through the tree without JavaScript).
    frontline = None
    if member.downline_size:
        frontline = team_frontline(request.distributor, member_id, run=run, limit=PAGE_SIZE)
    context = {
        "item": found,
        "run": run,
        "rank_names": live_rank_names(),
        "sponsor_is_me": member.sponsor_id == request.distributor.pk,
        "frontline": frontline,
        "frontline_next": _cursor(frontline.next_after) if frontline else None,
    }
    return render(request, "portal/team_member.html", context)


# --- Enrolling a recruit


class EnrollForm(forms.Form):
    """What POST /api/v1/enrollments/ accepts; the recruit chooses a password from the invitation."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    country = forms.CharField(
        label=gettext_lazy("Country"),
        min_length=2,
        max_length=2,
        initial="NL",
        help_text=gettext_lazy("Two-letter code, e.g. NL or BE."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        autocomplete = {"first_name": "off", "last_name": "off", "email": "off", "phone": "off"}
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["email"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})
        self.fields["phone"].widget.input_type = "tel"
        self.fields["country"].widget.attrs.update({"autocapitalize": "characters", "size": "2"})


@distributor_required
@once
def enroll(request: PortalRequest) -> HttpResponse:
    form = EnrollForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # The API's limit on the writes that can refuse an address (API_EMAIL_CHECK_THROTTLE):
        # the same class, so the same rate, cache and per-user key: the portal and the API draw
        # on one allowance.
        throttle = EmailCheckThrottle()
        # DRF's throttles read only the method, the user and META, which a Django request has too.
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            form.is_valid()
            form.add_error(None, _("Too many enrolments in a short time. Try again later."))
        elif form.is_valid():
            try:
                recruit = distributor_enroll(
                    sponsor=request.distributor,
                    actor=request.user,
                    invite=True,
                    language=translation.get_language(),
                    **form.cleaned_data,
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s is in your team. We sent an invitation to %(email)s to choose a password.")
                    % {"name": recruit.name, "email": recruit.email},
                )
                return redirect("portal:team-member", member_id=recruit.pk)
    context = {"form": form, "invitation_days": settings.INVITATION_DAYS}
    return render(request, "portal/team_enroll.html", context)


urlpatterns = [
    path("", index, name="team"),
    path("tree/", tree, name="team-tree"),
    path("tree/<int:member_id>/", children, name="team-children"),
    path("members/", members, name="team-members"),
    path("members/<int:member_id>/", member, name="team-member"),
    path("enroll/", enroll, name="team-enroll"),
]
