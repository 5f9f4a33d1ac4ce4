"""Every write request is all or nothing: one transaction around the whole request.

A POST, PUT, PATCH or DELETE (API and admin alike) runs in one database transaction, rolled back
when the request raises or answers with a server error (5xx): a request that fails after a
service committed its part (rendering the answer, a second service call, a bug) leaves nothing
behind. Work scheduled with `transaction.on_commit` (Celery tasks, e-mails, the in-process close
without a broker) therefore runs only after the whole request committed, outside the transaction.
Safe methods run as before, in autocommit.

A refusal (4xx) commits: it comes before anything is written, and some refusals must be kept,
such as the failed logins django-axes counts (a 401 or 429, or a 200 login page). The
Idempotency-Key row is a savepoint kept only with a 2xx (core/api/idempotency.py). See
docs/adr/0009-atomic-write-requests.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class AtomicWriteRequestsMiddleware:
    """After the session, authentication and messages middleware (they save outside it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        with transaction.atomic():
            # The inner handler turns an exception of the view into a 500 answer: roll that back too.
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
