"""The unsubscribe link of a mail: a page that asks, a button that unsubscribes.

A GET only shows the confirmation (mail scanners and link previews open links: they must change
nothing). The POST, from the page's button or from a mail client's one-click unsubscribe
(RFC 8058: `List-Unsubscribe-Post: List-Unsubscribe=One-Click` to the same URL), switches the
kind off. It needs no CSRF token: a mail client has none, and the signed token in the URL is the
only thing that authorises it (it can do nothing but switch off that kind for that address).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .selectors import kind_label
from .services import notification_unsubscribe
from .tokens import unsubscribe_read


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: no caching, no referrer leaking it to another site.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_read(token)
    if found is None:
        return _private(render(request, "notifications/unsubscribe_invalid.html", status=404))
    email, kind = found
    context = {"email": email, "kind_label": kind_label(kind), "token": token}
    if request.method == "POST":
        notification_unsubscribe(email=email, kind=kind)
        return _private(render(request, "notifications/unsubscribe_done.html", context))
    return _private(render(request, "notifications/unsubscribe.html", context))
