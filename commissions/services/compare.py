"""Compare two plan versions on the same period: two previews, then their comparison.

A preview writes nothing a final close or a payout reads (compensation-plan §1), so this is safe at
any time while the period is open. It is not one transaction: each preview commits on its own so
that its work can run (on Celery when a broker is configured) and be read back.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.utils.translation import gettext as _

from commissions.models import CloseRun, CloseRunStatus
from commissions.selectors.comparison import Comparison, run_comparison
from core.errors import ApplicationError
from plans.models import Plan

POLL_SECONDS = 0.5


def compare_plans(
    *,
    period: dt.date,
    plan_a: Plan | str,
    plan_b: Plan | str,
    actor: Any = None,
    limit: int | None = None,
    timeout: float = 3600,
) -> Comparison:
    """Preview `period` with plan A and with plan B (plan objects or versions) and compare them."""
    from commissions.close import close_start

    run_a = close_start(period=period, plan=plan_a, preview=True, actor=actor)
    run_b = close_start(period=period, plan=plan_b, preview=True, actor=actor)
    deadline = time.monotonic() + timeout
    run_a = preview_wait(run=run_a, deadline=deadline)
    run_b = preview_wait(run=run_b, deadline=deadline)
    return run_comparison(run_a, run_b, limit=limit)


def preview_wait(*, run: CloseRun, deadline: float) -> CloseRun:
    """Drive the run to its end here (safe beside workers doing the same), or wait for the worker
    that holds it; raise if it fails or the deadline passes."""
    from commissions.close import close_run_advance

    while True:
        run.refresh_from_db()
        if run.status == CloseRunStatus.SUCCEEDED:
            return run
        if run.status == CloseRunStatus.FAILED:
            raise ApplicationError(_("The %(run)s failed: %(error)s") % {"run": run, "error": run.error})
        close_run_advance(run_id=run.pk, inline=True)
        run.refresh_from_db()
        if run.status == CloseRunStatus.SUCCEEDED:
            return run
        if time.monotonic() > deadline:
            raise ApplicationError(
                _("The %(run)s has not finished in time; compare it later with compare_runs.") % {"run": run}
            )
        # Another worker holds the run's compute lock: give it time.
        time.sleep(POLL_SECONDS)
