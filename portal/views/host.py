"""The host link's page: a demonstration's sales so far and the host's rewards, without an account.

Mounted at the project's root (backoffice/urls.py: `path("", include("portal.views.host"))`), so
the address is /host/<token>/. The token (portal/host_links.py) names the demonstration: a changed
one is 404, an expired one a page that says so (410). The page shows counts and totals, never a
guest's name or the place; it sets no cookie (no session, no CSRF token) and asks search engines
not to index it.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from orders.selectors.demonstrations import demonstration_for_host_link
from portal.host_links import HostLinkExpired, HostLinkInvalid, read_host_link


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def host_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        demonstration_id, expires = read_host_link(token)
    except HostLinkInvalid:
        raise Http404 from None
    except HostLinkExpired:
        return _private(render(request, "portal/host_expired.html", status=410))
    live = demonstration_for_host_link(demonstration_id=demonstration_id)
    if live is None:
        raise Http404
    demonstration = live.summary.demonstration
    return _private(
        render(
            request,
            "portal/host.html",
            {
                "demonstration": demonstration,
                "consultant": demonstration.consultant,
                "live": live,
                "expires": expires,
            },
        )
    )


urlpatterns = [path("host/<str:token>/", host_page, name="host-demonstration")]
