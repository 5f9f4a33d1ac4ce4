"""Collecting the payment of an autoship order: the seam for a payment provider (PSP).

settings.AUTOSHIP_PAYMENT_COLLECTOR names a collector by dotted path, or one of the short names
below. A collector tries one payment attempt and answers paid, failed or pending:

- "manual" (the default): always pending. The order stays pending until staff record the result
  in the admin (Autoship payment attempts), or a PSP integration does.
- "demo" (for `make demo`): pays every order except a deterministic few (every sixth
  subscription), so that the demo shows retries and a final failure.

A real PSP's collector charges the stored mandate (e.g. a SEPA direct debit or a card token) and
answers pending when the result comes later by webhook. There is no webhook endpoint in this
project (the public API is for distributors only): the PSP integration adds its own webhook view,
which checks the provider's signature, finds the order (orders.selectors.autoship.autoship_order_get)
and calls orders.services.autoship.autoship_payment_record with the result.

Idempotency: `attempt.pk` (unique, never reused) is the idempotency key a collector must pass to
its provider, so that a charge repeated for the same attempt is not taken twice. A collector that
raises (a timeout, an outage) leaves its attempt pending, outcome unknown, since the provider may
have charged: it is never retried automatically; staff or the PSP's webhook record its result. A
collector should therefore answer "pending" rather than raise when it cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from orders.models import AutoshipPaymentAttempt


@dataclass(frozen=True)
class PaymentResult:
    outcome: Literal["paid", "failed", "pending"]
    reason: str = ""
    reference: str = ""


class Collector(Protocol):
    def __call__(self, attempt: AutoshipPaymentAttempt) -> PaymentResult: ...


def manual_collector(attempt: AutoshipPaymentAttempt) -> PaymentResult:
    """Nothing to charge: someone records the result later."""
    return PaymentResult("pending")


def demo_collector(attempt: AutoshipPaymentAttempt) -> PaymentResult:
    """Pays all but every sixth subscription's orders, which fail every attempt."""
    if attempt.run.subscription_id % 6 == 0:
        return PaymentResult("failed", reason=_("Insufficient funds (demo)."))
    return PaymentResult("paid", reference=f"DEMO-{attempt.run_id}-{attempt.number}")


SHORT_NAMES = {"manual": manual_collector, "demo": demo_collector}


def collector() -> Collector:
    name = getattr(settings, "AUTOSHIP_PAYMENT_COLLECTOR", "manual") or "manual"
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    found: Collector = import_string(name)
    return found
