"""Background work of the orders app: e-mailing the link that confirms a visitor's consent."""

from __future__ import annotations

from celery import shared_task
from django.utils.dateparse import parse_datetime

from core.tasks import MAIL_TASK_OPTIONS


@shared_task(
    name="orders.tasks.send_contact_consent_link",
    **MAIL_TASK_OPTIONS,
)
def send_contact_consent_link(customer_id: int, requested_at: str, language: str) -> bool:
    """The join page's double opt-in mail (orders.services.customers.contact_consent_link_send):
    on a worker, so the page answers as fast for a new address as for a known one, and a mail
    server that is down is retried; False when the link is moot by now."""
    from orders.services.customers import contact_consent_link_send

    requested = parse_datetime(requested_at)
    assert requested is not None  # the service sent isoformat()
    return contact_consent_link_send(customer_id=customer_id, requested_at=requested, language=language)


@shared_task(name="orders.tasks.autoship_orders_create")
def autoship_orders_create(day: str | None = None) -> int:
    """Beat, daily: create the orders of the autoships due today (or on `day`, ISO), then try
    their payments. Idempotent: a second run on the same day creates nothing."""
    import datetime as dt

    from django.utils import timezone

    from orders.services.autoship import autoship_orders_create as create
    from orders.services.autoship import autoship_payments_collect as collect

    created = create(day=dt.date.fromisoformat(day) if day else timezone.localdate())
    collect()
    return created


@shared_task(name="orders.tasks.autoship_payments_collect")
def autoship_payments_collect() -> int:
    """Beat, hourly: try the autoship payment attempts that are due (first tries and retries)."""
    from orders.services.autoship import autoship_payments_collect as collect

    return collect()


@shared_task(
    name="orders.tasks.send_shop_order_confirmation",
    **MAIL_TASK_OPTIONS,
)
def send_shop_order_confirmation(order_id: int, language: str) -> bool:
    """A shop order's confirmation with its withdrawal link (orders.services.shop), on a worker:
    the checkout answers at once, and a mail server that is down is retried."""
    from orders.services.shop import shop_order_confirmation_send

    return shop_order_confirmation_send(order_id=order_id, language=language)
