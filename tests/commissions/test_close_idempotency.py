"""A close started twice, a task delivered twice, a chunk that crashes or a worker that dies mid-run
all end in the same ledger as one clean run."""

import datetime as dt
import io
import zlib
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone

from commissions import tasks
from commissions.close import (
    CHUNK_ALREADY_DONE,
    CHUNK_BUSY,
    CHUNK_WRITTEN,
    close_chunk_write,
    close_run_advance,
    close_run_finalize,
    close_start,
)
from commissions.close.chunks import write_chunk_rows
from commissions.close.compute import compute_phase
from commissions.close.payload import decode_payload, encode_payload
from commissions.models import CloseChunk, CloseRun, DistributorPeriod, LedgerLine, Statement
from core.errors import ApplicationError, Conflict
from distributors.models import Distributor
from plans.models import Period
from plans.periods import period_get_or_create

from .closing import (
    EXAMPLES,
    SimulatedCrash,
    close,
    crash_in_chunk,
    crash_in_compute_after,
    default_plan,
    ledger_tuples,
    period,
)

pytestmark = pytest.mark.django_db


def test_a_crash_in_a_chunk_then_a_resume_gives_the_ledger_of_a_clean_run(s1, monkeypatch):
    clean = ledger_tuples(close("2026-10", preview=True))
    assert len(clean) == 20  # ten personal lines, seven overrides of A, three of B

    crash_in_chunk(monkeypatch, 2)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    run = CloseRun.objects.get(kind="final")
    assert (run.status, run.period.status) == ("failed", "closing")
    assert "worker died in chunk 2" in run.error
    assert list(run.chunks.values_list("number", "status")) == [
        (0, "done"),
        (1, "done"),
        (2, "failed"),
        (3, "pending"),
    ]
    assert run.chunks_done == 2 and run.chunks_total == 4

    monkeypatch.undo()
    resumed = close("2026-10")
    assert resumed.pk == run.pk and resumed.status == "succeeded"
    assert resumed.period.status == "closed"
    assert ledger_tuples(resumed) == clean
    assert CloseChunk.objects.get(run=run, number=2).attempts == 2
    assert Statement.objects.filter(run=run).count() == 11


def test_a_compute_that_dies_after_storing_chunks_resumes_with_the_ledger_of_a_clean_run(s1, monkeypatch):
    clean = ledger_tuples(close("2026-10", preview=True))
    crash_in_compute_after(monkeypatch, 2)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="final")
    assert (run.status, run.phase, run.chunks_total) == ("failed", "compute", 4)
    assert list(run.chunks.values_list("number", "status")) == [(0, "pending"), (1, "pending")]
    # A writer took the first stored chunk before the compute died: its rows are in the ledger.
    first = run.chunks.get(number=0)
    assert close_chunk_write(chunk_id=first.pk) == CHUNK_WRITTEN
    assert not close_run_finalize(run_id=run.pk)  # not before the compute is done
    run.refresh_from_db()
    assert run.status == "failed"  # a written chunk does not hide the failed compute

    resumed = close("2026-10")
    assert resumed.pk == run.pk and (resumed.status, resumed.period.status) == ("succeeded", "closed")
    assert ledger_tuples(resumed) == clean
    assert list(resumed.chunks.values_list("number", "attempts")) == [(0, 1), (1, 1), (2, 1), (3, 1)]
    # The first compute wrote the ranks (and marked the run) before it died; finalize found them
    # written. Everyone has the paid-as rank of the close.
    assert resumed.ranks_written and not resumed.chunks.filter(ranks_written=True).exists()
    paid_as = dict(
        DistributorPeriod.objects.filter(run=resumed).values_list("distributor_id", "paid_as_rank")
    )
    assert dict(Distributor.objects.filter(pk__in=paid_as).values_list("pk", "rank")) == paid_as


def _computed_final_run(plan) -> CloseRun:
    """A final close of October whose compute phase ran: chunks stored, nothing written yet."""
    october = Period.objects.get(start=period("2026-10"))
    Period.objects.filter(pk=october.pk).update(status="closing")
    run = CloseRun.objects.create(period=october, plan=plan, kind="final")
    assert compute_phase(run.pk)
    return run


def test_a_final_compute_writes_the_ranks_and_finalize_leaves_them(s1, monkeypatch):
    preview = close("2026-10", preview=True)
    assert not Distributor.objects.filter(rank__gt=0).exists()  # a preview writes no rank
    run = _computed_final_run(s1)
    assert not LedgerLine.objects.filter(run=run).exists()  # nothing written yet, ranks already
    run.refresh_from_db()
    assert run.ranks_written
    ranked = Distributor.objects.filter(rank__gt=0)
    assert ranked.exists() and not ranked.filter(title__lt=1).exists()

    def refuse(*args, **kwargs):
        raise AssertionError("the ranks were written again")

    monkeypatch.setattr("commissions.close.finalize.ranks_write", refuse)
    close_run_advance(run_id=run.pk, inline=True)
    run.refresh_from_db()
    assert run.status == "succeeded" and ledger_tuples(run) == ledger_tuples(preview)
    paid_as = dict(DistributorPeriod.objects.filter(run=run).values_list("distributor_id", "paid_as_rank"))
    assert dict(Distributor.objects.filter(pk__in=paid_as).values_list("pk", "rank")) == paid_as


def test_a_resumed_compute_that_computes_other_rows_than_it_stored_fails_and_writes_nothing_more(
    s1, monkeypatch
):
    crash_in_compute_after(monkeypatch, 2)
    with pytest.raises(SimulatedCrash):
        close("2026-10", preview=True)
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="preview")
    # As if the inputs had changed in between: the stored chunk no longer matches a new compute.
    CloseChunk.objects.filter(run=run, number=1).update(digest="0" * 64)

    with pytest.raises(ApplicationError, match="result differs from the chunks stored"):
        close_run_advance(run_id=run.pk, inline=True)
    run.refresh_from_db()
    assert run.status == "failed" and "Start a new preview" in run.error
    assert run.chunks.count() == 2 and not LedgerLine.objects.filter(run=run).exists()


def test_a_worker_killed_mid_chunk_leaves_a_claim_that_is_taken_over_once_stale(s1, monkeypatch):
    clean = ledger_tuples(close("2026-10", preview=True))
    crash_in_chunk(monkeypatch, 1)
    with pytest.raises(SimulatedCrash):
        close("2026-10")
    monkeypatch.undo()
    run = CloseRun.objects.get(kind="final")
    # A killed worker never marks its chunk failed: it stays running under the dead worker's claim.
    CloseChunk.objects.filter(run=run, number=1).update(
        status="running", claimed_by="dead-host:1", claimed_at=timezone.now(), error=""
    )
    assert close_chunk_write(chunk_id=run.chunks.get(number=1).pk) == CHUNK_BUSY

    CloseChunk.objects.filter(run=run, number=1).update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    resumed = close("2026-10")
    assert resumed.status == "succeeded"
    assert ledger_tuples(resumed) == clean


def test_a_task_delivered_twice_and_a_chunk_written_twice_add_no_rows(s1):
    run = close("2026-10")
    lines = LedgerLine.objects.filter(run=run).count()
    for chunk in run.chunks.all():
        assert tasks.close_chunk.apply(args=[chunk.pk]).get() == CHUNK_ALREADY_DONE
    tasks.close_run.apply(args=[run.pk]).get()
    assert LedgerLine.objects.filter(run=run).count() == lines

    # The rows of a chunk inserted twice (a takeover racing a slow worker) are written once.
    november = period_get_or_create(start=period("2026-11"))
    preview = CloseRun.objects.create(period=november, plan=s1, kind="preview")
    assert compute_phase(preview.pk)
    chunk = preview.chunks.get(number=0)
    payload = decode_payload(chunk.payload)
    write_chunk_rows(preview, 0, payload)
    write_chunk_rows(preview, 0, payload)
    assert Statement.objects.filter(run=preview).count() == payload.rows("statements") == 3


def test_closing_a_closed_period_again_is_refused_and_changes_nothing(s1):
    run = close("2026-10")
    before = ledger_tuples(run)
    with pytest.raises(Conflict, match="2026-10 is already closed"):
        close("2026-10")
    with pytest.raises(CommandError, match="already closed"):
        call_command("close_period", "2026-10", stdout=io.StringIO())
    assert ledger_tuples(run) == before
    assert CloseRun.objects.filter(kind="final").count() == 1


def test_a_second_final_close_while_one_runs_joins_it_and_only_one_final_run_can_exist(s1):
    with TestCase.captureOnCommitCallbacks(execute=False):
        first = close_start(period=period("2026-10"))
    assert first.status == "pending" and Period.objects.get(start=period("2026-10")).status == "closing"
    with TestCase.captureOnCommitCallbacks(execute=False):
        second = close_start(period=period("2026-10"))
    assert second.pk == first.pk
    with pytest.raises(Conflict, match="a preview runs only while a period is open"):
        close("2026-10", preview=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CloseRun.objects.create(period=first.period, plan=s1, kind="final")
    joined = close("2026-10")
    assert joined.pk == first.pk and joined.status == "succeeded"


def test_periods_close_in_order(tmp_path):
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    default_plan()
    with pytest.raises(Conflict, match="Close 2026-10 first: periods close in order, every month"):
        close("2026-11")
    with pytest.raises(CommandError, match="Close 2026-10 first"):
        call_command("close_period", "2026-11", stdout=io.StringIO())
    close("2026-10")
    assert close("2026-11").status == "succeeded"
    with pytest.raises(Conflict, match="periods close in order"):
        close("2026-09")


def test_an_unknown_plan_version_is_refused_with_the_versions_loaded(s1):
    with pytest.raises(ApplicationError, match="There is no plan version '1999.9'; loaded versions: "):
        close("2026-10", plan="1999.9")
    with pytest.raises(CommandError, match="no plan version '1999.9'"):
        call_command("close_period", "2026-10", "--plan", "1999.9", stdout=io.StringIO())
    # Nothing was written: the period (opened by the import of its orders) is still open, no run.
    assert Period.objects.get(start=period("2026-10")).status == "open"
    assert not CloseRun.objects.exists()


def test_close_period_prints_progress_and_the_period_report(s1):
    out = io.StringIO()
    call_command("close_period", "2026-10", stdout=out)
    text = out.getvalue()
    assert "100%  Done  chunks 4/4" in text
    assert "distributors:        11 (rank 0: 1, rank 1: 8, rank 2: 1, rank 3: 1)" in text
    assert "overrides:           122.50" in text
    assert "personal commission: 975.00" in text
    assert "total paid:          1097.50 to 10 distributors" in text
    run = CloseRun.objects.get(kind="final")
    assert run.summary["total_rewardable_cv"] == "3200.00"
    assert run.period.plan == s1 and run.period.closed_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_final_closes_started_at_the_same_moment_make_one_run_and_one_ledger(settings):
    import threading

    from django.db import connection as main_connection

    settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = 3
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    barrier = threading.Barrier(2)
    outcomes: list = []

    def start() -> None:
        from django.db import connection

        try:
            barrier.wait()
            outcomes.append(close_start(period=period("2026-10")).pk)
        except Conflict as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run = CloseRun.objects.get(kind="final")
    # The second start joined the run, or found it already closed: never a second run.
    assert all(outcome == run.pk or "already closed" in str(outcome) for outcome in outcomes), outcomes
    assert run.status == "succeeded" and run.period.status == "closed"
    assert LedgerLine.objects.filter(run=run).count() == 20
    assert Statement.objects.filter(run=run).count() == 11
    main_connection.close()


def test_a_final_run_whose_compute_wrote_no_ranks_finishes_with_the_same_ledger_ranks_and_totals(s1):
    clean = close("2026-10", preview=True)
    run = _computed_final_run(s1)
    # As if its compute had died before the ranks were written: finalize writes them.
    CloseRun.objects.filter(pk=run.pk).update(ranks_written=False)
    Distributor.objects.update(rank=0, title=0)
    run.refresh_from_db()
    expected_totals = run.summary["totals"]

    close_run_advance(run_id=run.pk, inline=True)

    run.refresh_from_db()
    assert run.status == "succeeded" and run.period.status == "closed"
    assert ledger_tuples(run) == ledger_tuples(clean)
    assert run.summary["totals"] == expected_totals == clean.summary["totals"]
    assert not run.chunks.filter(ranks_written=True).exists()
    # Finalize updated the ranks the compute did not: everyone has the rank of the close.
    ranks = dict(DistributorPeriod.objects.filter(run=run).values_list("distributor_id", "paid_as_rank"))
    assert ranks and any(ranks.values())
    assert dict(Distributor.objects.filter(pk__in=ranks).values_list("pk", "rank")) == ranks


def test_a_payload_decodes_to_the_rows_encoded_and_no_other_format_is_read(s1):
    run = close("2026-10", preview=True)
    line = (1, "personal", "personal", None, 0, Decimal("0.1000"), Decimal("10.00"), Decimal("1.00"))
    part = {"results": [], "lines": [(*line, None, None, None)], "statements": []}
    body, _ = encode_payload(run, part, distributors=(1, 1))
    decoded = decode_payload(body)  # stored as it is (PostgreSQL compresses it)
    assert decoded.distributors == (1, 1) and decoded.rows("lines") == 1
    assert decoded.texts["lines"].startswith(f"{run.pk}\t{run.period_id}\t1\tpersonal\t")
    with pytest.raises(ApplicationError, match="not in the format this version writes"):
        decode_payload(zlib.compress(body, 1))
