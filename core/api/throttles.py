"""Throttles beyond the global per-user and anonymous rates."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class EmailCheckThrottle(SimpleRateThrottle):
    """Per user, on the writes that can refuse an e-mail address as taken (enrolment, customer
    registration, changing my own address): whatever the refusal says, nobody can try addresses
    in bulk. Rate: DEFAULT_THROTTLE_RATES["email_check"] (API_EMAIL_CHECK_THROTTLE, 30/hour).
    Reads are not counted."""

    scope = "email_check"
    counted_methods = frozenset({"POST", "PUT", "PATCH"})

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method not in self.counted_methods:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # anonymous requests are refused before any address is looked at
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
