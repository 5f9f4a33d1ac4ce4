"""The preview schedule and pruning (commissions.previews): a preview of the open month every few
minutes unless a run of it is under way, and only the newest few previews kept, with their rows."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import TestCase

from commissions import previews
from commissions.models import (
    CloseChunk,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    PayoutBatch,
    Statement,
)

from .closing import EXAMPLES, close, default_plan

pytestmark = pytest.mark.django_db

DURING_OCTOBER = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def network():
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    default_plan()


def rows_of(run_id: int) -> dict[str, int]:
    return {
        "results": DistributorPeriod.objects.filter(run_id=run_id).count(),
        "lines": LedgerLine.objects.filter(run_id=run_id).count(),
        "statements": Statement.objects.filter(run_id=run_id).count(),
        "chunks": CloseChunk.objects.filter(run_id=run_id).count(),
    }


def schedule(**kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return previews.preview_schedule(now=DURING_OCTOBER, **kwargs)


def test_the_schedule_starts_a_preview_of_the_open_month(network):
    run = schedule()
    run.refresh_from_db()
    assert (run.kind, run.status, str(run.period)) == ("preview", "succeeded", "2026-10")
    assert previews.newest_preview(dt.date(2026, 10, 1)) == run
    assert rows_of(run.pk)["results"] > 0 and rows_of(run.pk)["lines"] > 0


@pytest.mark.parametrize("kind", [CloseRunKind.PREVIEW, CloseRunKind.FINAL])
@pytest.mark.parametrize("status", [CloseRunStatus.PENDING, CloseRunStatus.RUNNING])
def test_the_schedule_skips_while_a_run_of_the_month_is_under_way(network, kind, status):
    first = close("2026-10", preview=True)
    busy = CloseRun.objects.create(period=first.period, plan=first.plan, kind=kind, status=status)
    assert schedule() is None
    assert set(CloseRun.objects.values_list("pk", flat=True)) == {first.pk, busy.pk}


def test_the_schedule_starts_nothing_while_the_month_closes(network):
    run = close("2026-10", preview=True)
    type(run.period).objects.filter(pk=run.period_id).update(status="closing")
    assert schedule() is None
    assert CloseRun.objects.count() == 1


def test_prune_keeps_the_newest_previews_and_deletes_the_others_with_their_rows(network):
    runs = [close("2026-10", preview=True) for _ in range(5)]
    before = {run.pk: rows_of(run.pk) for run in runs}
    assert all(counts["results"] and counts["lines"] and counts["statements"] for counts in before.values())

    assert previews.previews_prune(keep=3) == 2

    kept = set(CloseRun.objects.values_list("pk", flat=True))
    assert kept == {run.pk for run in runs[2:]}
    for run in runs[:2]:
        assert rows_of(run.pk) == {"results": 0, "lines": 0, "statements": 0, "chunks": 0}
    for run in runs[2:]:
        assert rows_of(run.pk) == before[run.pk]
    assert previews.newest_preview(dt.date(2026, 10, 1)) == runs[-1]
    assert previews.previews_prune(keep=3) == 0


def test_prune_deletes_failed_previews_older_than_the_newest_success_only(network):
    old_failure = close("2026-10", preview=True)
    CloseRun.objects.filter(pk=old_failure.pk).update(status=CloseRunStatus.FAILED, error="boom")
    success = close("2026-10", preview=True)
    new_failure = CloseRun.objects.create(
        period=success.period, plan=success.plan, kind=CloseRunKind.PREVIEW, status=CloseRunStatus.FAILED
    )
    running = CloseRun.objects.create(
        period=success.period, plan=success.plan, kind=CloseRunKind.PREVIEW, status=CloseRunStatus.RUNNING
    )

    assert previews.previews_prune(keep=1) == 1

    assert set(CloseRun.objects.values_list("pk", flat=True)) == {success.pk, new_failure.pk, running.pk}
    assert rows_of(old_failure.pk)["lines"] == 0


def test_prune_never_touches_a_final_close_and_keeps_a_closed_periods_last_projection(network):
    earlier = [close("2026-10", preview=True) for _ in range(3)]
    failed = close("2026-10", preview=True)
    CloseRun.objects.filter(pk=failed.pk).update(status=CloseRunStatus.FAILED, error="boom")
    final = close("2026-10")
    assert final.status == "succeeded"
    final_rows = rows_of(final.pk)

    # October is closed: its newest succeeded preview stays (PREVIEW_RUNS_KEPT_CLOSED, 1), as the
    # last projection distributors saw; the rest goes, the failed one too, whatever `keep` says.
    assert previews.previews_to_prune(keep=3) == sorted([earlier[0].pk, earlier[1].pk, failed.pk])
    assert previews.previews_prune(keep=3) == 3
    assert previews._preview_delete(final.pk) == 0
    assert rows_of(final.pk) == final_rows
    assert set(CloseRun.objects.values_list("pk", flat=True)) == {final.pk, earlier[2].pk}
    assert rows_of(earlier[0].pk) == {"results": 0, "lines": 0, "statements": 0, "chunks": 0}

    assert previews.previews_prune(keep_closed=0) == 1
    assert set(CloseRun.objects.values_list("pk", flat=True)) == {final.pk}


def test_a_final_closes_ledger_lines_cannot_be_deleted_by_a_statement_either(network):
    preview = close("2026-10", preview=True)
    final = close("2026-10")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM commissions_ledgerline WHERE run_id IN (%s, %s)", [preview.pk, final.pk]
            )
    assert LedgerLine.objects.filter(run=preview).exists()


def test_the_beat_task_runs_the_schedule(network, monkeypatch, settings):
    from commissions import tasks

    settings.PREVIEW_RUNS_KEPT = 1
    calls = []
    monkeypatch.setattr(previews, "preview_schedule", lambda: calls.append(1))
    assert tasks.scheduled_preview() is None
    assert calls == [1]
    entry = settings.CELERY_BEAT_SCHEDULE["open-month-preview"]
    assert entry["task"] == "commissions.tasks.scheduled_preview"


def insert_line(run, distributor_id, key, reversed_line_id=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO commissions_ledgerline (run_id, period_id, distributor_id, kind, key, level, "
            "rate, base, amount, reversed_line_id) VALUES (%s, %s, %s, 'clawback', %s, 0, 1, 1, -1, %s) "
            "RETURNING id",
            [run.pk, run.period_id, distributor_id, key, reversed_line_id],
        )
        return cursor.fetchone()[0]


def test_references_to_ledger_lines_and_statements_are_still_checked_per_statement(network):
    """Commissions 0021: no FOREIGN KEY on reversed_line and payout.statement, the same rules."""
    preview = close("2026-10", preview=True)
    distributor_id = LedgerLine.objects.filter(run=preview).values_list("distributor_id", flat=True)[0]
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        insert_line(preview, distributor_id, "test:dangling", reversed_line_id=10**12)
    reversed_id = insert_line(preview, distributor_id, "test:original")
    insert_line(preview, distributor_id, "test:reversal", reversed_line_id=reversed_id)
    with pytest.raises(IntegrityError, match="is reversed by another line"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM commissions_ledgerline WHERE id = %s", [reversed_id])

    batch = PayoutBatch.objects.create(period=preview.period, reference="TEST-BATCH", total=1, count=1)
    with pytest.raises(IntegrityError, match="refers to statement"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO commissions_payout (batch_id, statement_id, distributor_id, amount, reference) "
                "VALUES (%s, %s, %s, 1, 'TEST-DANGLING')",
                [batch.pk, 10**12, distributor_id],
            )
    batch.delete()

    # The prune deletes the preview whole, the reversal included.
    close("2026-10", preview=True)
    assert previews.previews_prune(keep=1) == 1
    assert not LedgerLine.objects.filter(run=preview).exists()


def test_a_paid_statement_cannot_be_deleted(network):
    from commissions.models import Payout
    from commissions.services.payouts import payout_batch_create
    from distributors.demo import seed_bank_accounts

    final = close("2026-10")
    seed_bank_accounts()  # payouts go to a valid bank account (distributors.bank)
    batch = payout_batch_create(period=final.period.start)
    payout = Payout.objects.filter(batch=batch).first()
    assert payout is not None
    with pytest.raises(IntegrityError, match="cannot be"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM commissions_statement WHERE id = %s", [payout.statement_id])
    assert Statement.objects.filter(pk=payout.statement_id).exists()
