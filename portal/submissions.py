"""One submission per form: a double tap, a reload of the answer to a POST or a retry on a slow
phone does the thing once, not twice, with or without JavaScript.

A form that creates something carries a one-time token (`{% submission_field %}`, a hidden
`submission` field). `@once` records the token in the request's transaction (core's
IdempotencyKey table, the API's Idempotency-Key mechanism): a second POST with the same token
waits for the first to commit, then goes where the first went (its redirect), with a note that it
was already sent. A POST whose form had errors keeps nothing, so the corrected form may be sent
again. A POST without a token (an older page) is handled as before.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.models import IdempotencyKey

FIELD = "submission"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_REDIRECTS = (301, 302, 303)


def new_token() -> str:
    return uuid.uuid4().hex


def once(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a view whose POST creates something (see the module)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not _TOKEN.fullmatch(token) or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = f"form:{token}"
        identity = {"user": request.user, "key": key, "method": "POST", "path": request.path[:255]}
        with transaction.atomic():
            # ON CONFLICT DO NOTHING waits for a request holding the same token to commit.
            IdempotencyKey.objects.bulk_create(
                [IdempotencyKey(request_hash="form", **identity)], ignore_conflicts=True
            )
            record = IdempotencyKey.objects.select_for_update().get(**identity)
            if record.status_code is not None:
                assert record.response_body is not None  # saved with the status code, below
                messages.info(request, _("This form was already sent; this is what it did."))
                return redirect(record.response_body["location"])
            response = view(request, *args, **kwargs)
            # A redirect, or htmx's (HX-Redirect on a 200, HttpResponseClientRedirect).
            location = response.get("HX-Redirect") or (
                response.get("Location") if response.status_code in _REDIRECTS else None
            )
            if location:
                record.status_code = response.status_code
                record.response_body = {"location": location}
                record.save(update_fields=["status_code", "response_body"])
            else:
                record.delete()  # not done (the form had errors): it may be sent again, corrected
            return response

    return wrapper
