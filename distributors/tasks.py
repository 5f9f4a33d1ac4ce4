"""Background work of the distributors app: e-mailing invitations and account notices."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from core.tasks import MAIL_TASK_OPTIONS

from .invitations import invitation_send


@shared_task(
    name="distributors.tasks.send_invitation",
    **MAIL_TASK_OPTIONS,
)
def send_invitation(distributor_id: int, invitation: str, language: str) -> bool:
    """Idempotent: a second delivery of the same invitation sends nothing."""
    return invitation_send(distributor_id=distributor_id, invitation=invitation, language=language)


@shared_task(
    name="distributors.tasks.send_email_changed_notice",
    **MAIL_TASK_OPTIONS,
)
def send_email_changed_notice(user_id: int, old_email: str, language: str) -> bool:
    """Tell the old address of a login that its address changed; False if the login is gone."""
    from core.accounts.mail import email_changed_notice_send

    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        return False
    email_changed_notice_send(user, old_email, language)
    return True
