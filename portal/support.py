"""Support sessions: staff open the portal as a distributor sees it (django-hijack), read-only
unless they hold the higher role, with a banner on every page, and every session audited.

Who may open whose portal, and who may act there, is the distributors app's rule
(distributors.support). This module is the edge around django-hijack:

- `SupportSessionMiddleware` refuses any write (an unsafe method) of a read-only session, except
  ending the session, signing out and choosing the language, and remembers the pages opened;
- the receivers of hijack's signals and of sign-out write the audit entries: started (who, whom,
  read-only or not), every refused write, and ended (how, how long, the pages opened).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from hijack.signals import hijack_ended, hijack_started

from core.services import audit_record
from distributors.models import Distributor
from distributors.support import may_act_as

SESSION_KEY = "support_session"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The pages a session remembers for its audit entry (the first ones, when there are more).
PAGES_KEPT = 200


def support_session(request: HttpRequest) -> dict[str, Any] | None:
    """The running support session of this browser session, or None."""
    # Without a session cookie there is no session to read (the API's token clients, health
    # checks): reading it would still mark every such answer "Vary: Cookie".
    session = getattr(request, "session", None)
    if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    if not session.get("hijack_history"):
        return None
    return session.get(SESSION_KEY)


class SupportSessionMiddleware:
    """After AuthenticationMiddleware (settings.MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        support = support_session(request)
        # Kept on the request too: signing in and out (ending the session) flushes the session.
        request.support_session = support  # type: ignore[attr-defined]
        if support is None:
            return self.get_response(request)
        if request.method not in SAFE_METHODS:
            if support["read_only"] and request.path not in _always_allowed():
                return _refused(request, support)
        elif len(support["pages"]) < PAGES_KEPT:
            support["pages"].append(request.get_full_path()[:500])
            request.session.modified = True
        return self.get_response(request)


def _always_allowed() -> set[str]:
    return {reverse("hijack:release"), reverse("portal:logout"), reverse("set_language")}


def _refused(request: HttpRequest, support: dict[str, Any]) -> HttpResponse:
    distributor = Distributor.objects.filter(pk=support["distributor_id"]).first()
    if distributor is not None:
        audit_record(
            actor=_staff(support["staff_id"]),
            action="support.write_refused",
            target=distributor,
            data={"method": request.method, "path": request.path[:500]},
        )
    message = _("This is a read-only support session: nothing can be changed for the distributor.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "portal/support_read_only.html", {"message": message}, status=403)


def _staff(pk: int) -> Any:
    return get_user_model().objects.filter(pk=pk).first()


@receiver(hijack_started, dispatch_uid="portal.support.started")
def support_session_started(
    sender: Any, request: HttpRequest, hijacker: Any, hijacked: Any, **kwargs: Any
) -> None:
    distributor = Distributor.objects.get(user=hijacked)
    read_only = not may_act_as(hijacker)
    request.session[SESSION_KEY] = {
        "staff_id": hijacker.pk,
        "distributor_id": distributor.pk,
        "name": distributor.name,
        "read_only": read_only,
        "started_at": timezone.now().isoformat(),
        "pages": [],
    }
    audit_record(
        actor=hijacker, action="support.session_started", target=distributor, data={"read_only": read_only}
    )


@receiver(hijack_ended, dispatch_uid="portal.support.ended")
def support_session_ended(
    sender: Any, request: HttpRequest, hijacker: Any, hijacked: Any, **kwargs: Any
) -> None:
    _audit_end(getattr(request, "support_session", None), hijacker, how="released")


@receiver(user_logged_out, dispatch_uid="portal.support.signed_out")
def support_session_signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    support = getattr(request, "support_session", None)
    if support is not None:
        _audit_end(support, _staff(support["staff_id"]), how="signed out")


def _audit_end(support: dict[str, Any] | None, staff: Any, *, how: str) -> None:
    if support is None:
        return
    distributor = Distributor.objects.filter(pk=support["distributor_id"]).first()
    if distributor is None:
        return
    started = dt.datetime.fromisoformat(support["started_at"])
    audit_record(
        actor=staff,
        action="support.session_ended",
        target=distributor,
        data={
            "how": how,
            "read_only": support["read_only"],
            "seconds": int((timezone.now() - started).total_seconds()),
            "pages": support["pages"],
        },
    )
