"""The demo's notifications: its bulk seeding (six months of closes of up to thousands of
distributors, buy-back decisions) sends none, then the last final close shows what a close sends,
for a few distributors only, on the console backend (`make demo`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from io import TextIOBase

from commissions.models import CloseRun, CloseRunKind, CloseRunStatus, DistributorPeriod

from . import events
from .tasks import _send

_muted: ContextVar[bool] = ContextVar("notifications_muted", default=False)
DEMO_DISTRIBUTORS = 3


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """No notification is scheduled inside (the demo's bulk seeding, as the importer sends none)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    return _muted.get()


def seed_notifications(*, stdout: TextIOBase | None = None) -> dict[str, int]:
    """The last final close's "close finished" and the statement and rank mails of its first
    distributors (the demo's logins), as a close sends them."""
    run = (
        CloseRun.objects.filter(kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED)
        .order_by("-period__start")
        .first()
    )
    if run is None:
        return {}
    counts = _send(events.close_finished(run))
    ids = list(
        DistributorPeriod.objects.filter(run=run)
        .order_by("distributor_id")
        .values_list("distributor_id", flat=True)[:DEMO_DISTRIBUTORS]
    )
    if ids:
        for outcome, count in _send(events.close_chunk(run, ids[0], ids[-1] + 1)).items():
            counts[outcome] = counts.get(outcome, 0) + count
    if stdout is not None:
        stdout.write(
            f"Notifications of the close of {run.period}: {counts.get('sent', 0)} e-mails (console)."
        )
    return counts
