"""What a fault test compares: the reference close of the data, and the final close that was disturbed."""

from __future__ import annotations

import time
from dataclasses import dataclass

from commissions.models import CloseRun, DistributorPeriod, Statement
from tests.commissions.closing import close, default_plan, ledger_tuples, period

from .harness import Supervisor
from .network import PERIOD

# From a kill (or the Redis restart) to the period closed with its report, with the recovery
# settings of conftest.RECOVERY_ENV (watchdog every 2 s, stalled after 5 s, claim grace 2 s): what a
# supervisor's restart, the watchdog's detection and the rest of the close may take on this machine.
RECOVERY_BOUND_SECONDS = 60
# From the start of the close to the end of the test's wait, whatever happens.
CLOSE_TIMEOUT_SECONDS = 150

STATEMENT_FIELDS = (
    "distributor__external_id", "carried_in", "personal", "override", "clawbacks", "adjustments", "net",
    "payout", "carried_out",
)  # fmt: skip
REPORT_SKIPPED = {"id", "run", "run_kind", "computed_at"}


def statement_tuples(run: CloseRun) -> list[tuple]:
    return sorted(Statement.objects.filter(run=run).values_list(*STATEMENT_FIELDS))


def result_tuples(run: CloseRun) -> list[tuple]:
    skipped = {"id", "run", "period", "distributor"}
    names = [f.name for f in DistributorPeriod._meta.concrete_fields if f.name not in skipped]
    return sorted(
        DistributorPeriod.objects.filter(run=run).values_list("distributor__external_id", *names),
        key=lambda row: row[0],
    )


def report_values(run: CloseRun) -> dict:
    from compliance.models import ComplianceReport

    report = ComplianceReport.objects.get(run=run)
    return {
        f.attname: getattr(report, f.attname)
        for f in ComplianceReport._meta.concrete_fields
        if f.name not in REPORT_SKIPPED
    }


@dataclass
class Reference:
    """An undisturbed close of the data, in this process: a preview, which computes what the final
    close computes (tests/commissions/test_close_celery.py relies on the same)."""

    ledger: list[tuple]
    statements: list[tuple]
    results: list[tuple]
    report: dict


def reference_close() -> Reference:
    from backoffice.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        run = close(PERIOD, preview=True)
    finally:
        app.conf.task_always_eager = eager
    assert run.status == "succeeded", run.error
    return Reference(ledger_tuples(run), statement_tuples(run), result_tuples(run), report_values(run))


def start_final_close() -> CloseRun:
    """The final close, started as `close_period` or the admin starts it: the run is queued on the
    test's Redis when this transaction commits."""
    from commissions.close import close_start

    return close_start(period=period(PERIOD), plan=default_plan())


def closed_with_report(run: CloseRun) -> bool:
    from compliance.models import ComplianceReport

    run.refresh_from_db()
    return (
        run.status == "succeeded"
        and run.period.status == "closed"
        and ComplianceReport.objects.filter(run=run).exists()
    )


def wait_until_closed(chief: Supervisor, run: CloseRun, *, timeout: float = CLOSE_TIMEOUT_SECONDS) -> float:
    """Supervise until the run has succeeded, its period is closed and its report written; the time
    of that (time.time())."""

    def done() -> bool:
        return closed_with_report(run)

    try:
        chief.wait_for(f"close run {run.pk}", done, timeout=timeout, every=0.1)
    except AssertionError as failure:
        run.refresh_from_db()
        chunks = list(run.chunks.order_by("number").values_list("number", "status", "claimed_by", "attempts"))
        raise AssertionError(
            f"{failure}\nrun: status={run.status} phase={run.phase} chunks={run.chunks_done}/"
            f"{run.chunks_total} error={run.error!r}\nchunks: {chunks}"
        ) from None
    return time.time()


def assert_like_reference(run: CloseRun, reference: Reference) -> None:
    """The disturbed close wrote what the undisturbed one did, line for line, and finished whole."""
    from compliance.models import ComplianceReport
    from distributors.models import Distributor

    run.refresh_from_db()
    assert (run.status, run.phase, run.period.status) == ("succeeded", "done", "closed")
    assert run.chunks_done == run.chunks_total == run.chunks.count() > 1
    assert set(run.chunks.values_list("status", flat=True)) == {"done"}
    assert ledger_tuples(run) == reference.ledger
    assert statement_tuples(run) == reference.statements
    assert result_tuples(run) == reference.results
    assert ComplianceReport.objects.filter(run=run).count() == 1
    assert report_values(run) == reference.report
    # Ranks and titles come from this run's results (no earlier close: no prior titles to keep).
    written = {
        external_id: (rank, title)
        for external_id, rank, title in Distributor.objects.values_list("external_id", "rank", "title")
    }
    from_results = {
        external_id: (rank, title)
        for external_id, rank, title in DistributorPeriod.objects.filter(run=run).values_list(
            "distributor__external_id", "paid_as_rank", "title"
        )
    }
    assert {external_id: written[external_id] for external_id in from_results} == from_results
