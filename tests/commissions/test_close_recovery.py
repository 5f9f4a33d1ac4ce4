"""The close recovers by itself and no staff action can change what it computes (issue 16).

In-process and on the test database: a dead claim taken over without the stale wait, the watchdog
finishing runs whose worker died, a resume after moves and terminations computing exactly what
the first computation did, and a run that counts as succeeded only with its compliance report.
The same recoveries with real workers killed by SIGKILL are in tests/faults (make test-faults).
"""

import datetime as dt
import logging
import os
import socket

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from commissions.close import chunks as close_chunks
from commissions.close import close_chunk_claim, close_run_finalize, close_watchdog
from commissions.models import CloseChunk, CloseInput, CloseRun, DistributorPeriod
from commissions.selectors.runs import close_run_progress
from compliance.models import ComplianceReport
from distributors.models import Distributor
from distributors.services.moves import distributor_move
from distributors.services.status import distributor_terminate

from .closing import SimulatedCrash, close, crash_in_compute_after, finalize_never, ledger_tuples

pytestmark = pytest.mark.django_db


def results(run: CloseRun) -> list[tuple]:
    return sorted(
        DistributorPeriod.objects.filter(run=run).values_list(
            "distributor__external_id", "sponsor_id_in_period", "gv", "paid_as_rank", "title", "active"
        )
    )


def staff():
    return get_user_model().objects.create_user("ops", "ops@example.com", "x", is_staff=True)


def by_external(external_id: str) -> Distributor:
    return Distributor.objects.get(external_id=external_id)


def test_a_resume_after_moves_and_a_termination_computes_what_the_first_computation_did(s1, monkeypatch):
    clean = close("2026-10", preview=True)
    clean_ledger, clean_results = ledger_tuples(clean), results(clean)

    crash_in_compute_after(monkeypatch, 2)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="final")
    assert CloseInput.objects.filter(run=run).count() == Distributor.objects.count()
    # The crashed compute wrote its ranks and titles already (ADR 0007): a resume must not read
    # them back as prior titles.
    assert run.ranks_written

    # Staff carry on while the period is closing: a move and a termination (with its roll-up).
    ops = staff()
    distributor_move(distributor=by_external("K"), new_sponsor=by_external("B"), actor=ops, reason="asked")
    distributor_terminate(distributor=by_external("C"), actor=ops, reason="left")

    resumed = close("2026-10")
    assert (resumed.pk, resumed.status, resumed.period.status) == (run.pk, "succeeded", "closed")
    assert ledger_tuples(resumed) == clean_ledger
    assert results(resumed) == clean_results


def test_a_chunk_of_a_dead_writer_is_taken_over_once_its_lock_is_gone_not_after_the_stale_wait(s1):
    run = close("2026-10", preview=True)
    chunk = CloseChunk.objects.filter(run=run).first()
    recent = timezone.now() - dt.timedelta(seconds=30)  # well inside the 120 s stale limit
    CloseChunk.objects.filter(pk=chunk.pk).update(status="running", claimed_by="gone:1", claimed_at=recent)
    if connection.vendor == "postgresql":
        # Nobody holds its row lock: the writer is dead, the claim is taken over at once.
        assert close_chunk_claim(chunk_id=chunk.pk, worker="me:2")
        run.refresh_from_db()
        assert run.recoveries == 1 and "taken over" in run.notice and "gone:1" in run.notice
    else:
        assert not close_chunk_claim(chunk_id=chunk.pk, worker="me:2")


def test_a_claim_by_a_process_of_this_host_that_is_gone_is_taken_over_at_once(s1):
    run = close("2026-10", preview=True)
    chunk = CloseChunk.objects.filter(run=run).first()
    dead = os.fork()
    if dead == 0:  # pragma: no cover - the child only exits
        os._exit(0)
    os.waitpid(dead, 0)
    CloseChunk.objects.filter(pk=chunk.pk).update(
        status="running", claimed_by=f"{socket.gethostname()}:{dead}", claimed_at=timezone.now()
    )
    assert close_chunk_claim(chunk_id=chunk.pk, worker="me:2")


def test_the_watchdog_finalizes_a_run_whose_worker_died_after_the_last_chunk(s1, monkeypatch, caplog):
    # As if the worker died between its last chunk's commit and finalize: every chunk written,
    # the run not finished, the period still closing, no report.
    finalize_never(monkeypatch)
    run = close("2026-10")
    monkeypatch.undo()
    assert (run.status, run.phase, run.chunks_done, run.period.status) == ("running", "write", 4, "closing")
    assert not ComplianceReport.objects.filter(run=run).exists()
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    CloseRun.objects.filter(pk=run.pk).update(progress_at=long_ago)
    run.refresh_from_db()
    progress = close_run_progress(run)
    assert progress.stalled_since == long_ago and progress.eta_seconds is None
    assert "waiting for a worker since" in progress.describe()

    with caplog.at_level(logging.ERROR, logger="commissions.close.recovery"):
        assert close_watchdog() == [run.pk]
    assert f"close run {run.pk} of 2026-10 stalled" in caplog.text
    run.refresh_from_db()
    assert (run.status, run.period.status, run.recoveries) == ("succeeded", "closed", 1)
    assert "finalized" in run.notice
    assert ComplianceReport.objects.filter(run=run).count() == 1
    assert close_watchdog() == []  # nothing stalled any more


def test_the_watchdog_queues_again_a_compute_nobody_runs_and_leaves_a_live_one_alone(s1, monkeypatch):
    clean = ledger_tuples(close("2026-10", preview=True))
    crash_in_compute_after(monkeypatch, 1)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="final")
    # A killed worker leaves its run running (only an exception marks it failed).
    CloseRun.objects.filter(pk=run.pk).update(status="running", error="")
    assert close_watchdog() == []  # it moved just now: not stalled yet
    CloseRun.objects.filter(pk=run.pk).update(progress_at=timezone.now() - dt.timedelta(minutes=10))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert close_watchdog() == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.period.status) == ("succeeded", "closed")
    assert ledger_tuples(run) == clean
    assert run.recoveries == 1 and "compute queued again" in run.notice


def test_a_long_compute_whose_worker_holds_its_lock_is_not_stalled(s1, monkeypatch):
    from core.locks import try_advisory_session_lock

    crash_in_compute_after(monkeypatch, 1)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="final")
    CloseRun.objects.filter(pk=run.pk).update(
        status="running", error="", progress_at=timezone.now() - dt.timedelta(minutes=10)
    )
    run.refresh_from_db()
    with try_advisory_session_lock(f"commission-close-run:{run.pk}") as computing:
        assert computing
        if connection.vendor == "postgresql":  # the lock tells a live compute from a dead one
            assert close_run_progress(run).stalled_since is None
            assert close_watchdog() == []
    assert close_run_progress(run).stalled_since is not None


def test_the_watchdog_queues_again_a_chunk_whose_writer_died(s1, monkeypatch):
    clean = ledger_tuples(close("2026-10", preview=True))
    real = close_chunks.write_chunk_rows

    def crash_in_chunk_two(run, number, payload):
        real(run, number, payload)
        if number == 2:
            raise SimulatedCrash("worker died in chunk 2")

    monkeypatch.setattr(close_chunks, "write_chunk_rows", crash_in_chunk_two)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="final")
    # A SIGKILL leaves the chunk running under the dead worker's claim and the run running.
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    CloseChunk.objects.filter(run=run, number=2).update(
        status="running", claimed_by="dead-host:1", claimed_at=long_ago, error=""
    )
    CloseRun.objects.filter(pk=run.pk).update(status="running", error="", progress_at=long_ago)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert close_watchdog() == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.period.status) == ("succeeded", "closed")
    assert ledger_tuples(run) == clean


def test_a_run_succeeds_only_with_its_report_written_in_the_same_transaction(s1, monkeypatch):
    import compliance.services

    def report_fails(**kwargs):
        raise RuntimeError("report failed")

    monkeypatch.setattr(compliance.services, "compliance_report_compute", report_fails)
    with pytest.raises(RuntimeError, match="report failed"):
        close("2026-10")
    run = CloseRun.objects.get(kind="final")
    assert run.status != "succeeded" and run.period.status == "closing"
    assert not ComplianceReport.objects.filter(run=run).exists()
    monkeypatch.undo()
    assert close_run_finalize(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.period.status) == ("succeeded", "closed")
    assert ComplianceReport.objects.filter(run=run).count() == 1


def test_a_discarded_final_run_does_not_keep_the_period_from_closing_again(s1, monkeypatch):
    crash_in_compute_after(monkeypatch, 1)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="final")
    CloseRun.objects.filter(pk=run.pk).update(status="discarded")
    run.period.__class__.objects.filter(pk=run.period_id).update(status="open")
    again = close("2026-10")
    assert again.pk != run.pk and again.status == "succeeded"
