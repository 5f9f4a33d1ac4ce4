"""What the notifications do when the domain tells them something (the domain's signals.py).

Receivers only schedule a task, after the commit: the mails go out in Celery, never inside the
domain's transaction (a close can have a million distributors).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from commissions.models import CloseRunKind

from .demo import is_muted


def close_run_succeeded(sender: Any, run: Any, **kwargs: Any) -> None:
    """Sent inside the finalize transaction: one task on commit, for final closes only."""
    if run.kind != CloseRunKind.FINAL or is_muted():
        return
    from .tasks import close_notifications

    run_id = run.pk
    # robust: a broker down never fails the close (the close has committed by then anyway).
    transaction.on_commit(lambda: close_notifications.delay(run_id), robust=True)


def distributor_enrolled(sender: Any, distributor: Any, actor: Any = None, **kwargs: Any) -> None:
    if distributor.sponsor_id is None or is_muted():
        return
    if (
        actor is not None
        and getattr(actor, "pk", None) is not None
        and actor.pk == distributor.sponsor.user_id
    ):
        return  # the sponsor enrolled them: nothing to tell them
    from .tasks import new_frontline_member

    distributor_id = distributor.pk
    transaction.on_commit(lambda: new_frontline_member.delay(distributor_id), robust=True)


def buyback_decided(sender: Any, request: Any, **kwargs: Any) -> None:
    if is_muted():
        return
    from .tasks import buyback_decided as task

    request_id = request.pk
    transaction.on_commit(lambda: task.delay(request_id), robust=True)


def autoship_payment_failed(
    sender: Any, subscription: Any, order: Any, attempt: int, next_attempt_at: Any = None, **kwargs: Any
) -> None:
    if is_muted():
        return
    from .tasks import autoship_payment_failed as task

    args = (subscription.pk, order.pk, int(attempt), next_attempt_at.isoformat() if next_attempt_at else None)
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def personal_data_erased(sender: Any, instance: Any, emails: list[str], **kwargs: Any) -> None:
    """Inside the erasure's transaction: what is kept under the erased person's addresses."""
    from .services import address_data_erase

    for email in emails:
        address_data_erase(email=email, erased=instance)
