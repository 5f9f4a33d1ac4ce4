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
