"""What compliance does when the commissions app tells it something (commissions.signals)."""

from __future__ import annotations

from typing import Any


def report_of_a_succeeded_run(sender: Any, run: Any, **kwargs: Any) -> None:
    """Every close gets its compliance report (rules/compliance §5), written in the transaction
    that marks the run succeeded: a run never counts as done without it."""
    from .services import compliance_report_compute

    compliance_report_compute(period_start=run.period.start, run=run)
