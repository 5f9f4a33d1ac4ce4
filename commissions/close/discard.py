"""An operator's way out of a final close that cannot finish: discard it, and the period is open again.

A final close that failed for good (its inputs changed after a crash, a bug, a plan loaded by
mistake) leaves its period `closing`: nothing can be dated into it, the next month cannot close,
and the run's lines sit in append-only tables. `close_run_discard` undoes everything the run wrote,
in one transaction, with a reason in the audit log:

- the run is marked `discarded` first: the append-only triggers let a DELETE through only for the
  rows of a preview or of a discarded run (commissions/triggers.py), so no other path can delete a final
  close's rows;
- its ledger lines, statements, results and chunks are deleted;
- the ranks and titles it wrote onto the distributors (during its compute, ADR 0007) are put back
  as they were before it: from its frozen input (CloseInput) or, for a run from before the input
  was frozen, from the closes that succeeded;
- the period goes back from `closing` to `open`, so the close can be started again.

The run row stays, as the record of what happened (its status, error, reason and notice). A
succeeded run is never discarded: a closed period never changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import (
    CloseChunk,
    CloseInput,
    ClosePhase,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Statement,
)
from core.errors import ApplicationError, Conflict
from core.locks import advisory_xact_lock, try_advisory_xact_lock
from core.periods import period_label
from core.services import audit_record
from plans.models import Period, PeriodStatus

logger = logging.getLogger(__name__)

# Where the ranks and titles came back from (the audit entry and the run's notice say which).
RANKS_FROM_INPUT = "input"
RANKS_FROM_CLOSED_PERIODS = "closed periods"
RANKS_NOT_WRITTEN = "not written"


@transaction.atomic
def close_run_discard(
    *, period: dt.date, reason: str, actor: Any = None, run_id: int | None = None
) -> CloseRun:
    """Discard the final close of `period` that has not succeeded, and open the period again.

    Refused (nothing changes) without a reason, when the period has no such run, when its run
    succeeded (the period is closed), and while a worker is computing the run or writing one of its
    chunks (PostgreSQL: the run's compute lock and the chunks' row locks say so). `run_id`: the run
    the caller showed the operator (the admin's page); refused if it is no longer the period's.
    """
    reason = (reason or "").strip()
    label = period_label(period)
    if not reason:
        raise ApplicationError(
            _("Give the reason for discarding the close of %(period)s: it goes into the audit log.")
            % {"period": label},
            field="reason",
        )
    # The lock close_start takes first: a start or resume of this period waits for the discard.
    advisory_xact_lock(f"commission-close-start:{label}")
    # The run's row before the period's, as finalize locks them (it closes the period holding the run).
    period_id = Period.objects.filter(start=period).values_list("pk", flat=True).first()
    run = (
        CloseRun.objects.select_for_update(no_key=True)
        .filter(period_id=period_id, kind=CloseRunKind.FINAL)
        .exclude(status=CloseRunStatus.DISCARDED)
        .first()
    )
    if run is None:
        raise Conflict(
            _("Period %(period)s has no final close to discard.") % {"period": label}, field="period"
        )
    period_row = Period.objects.select_for_update(no_key=True).get(pk=period_id)
    if run_id is not None and run.pk != run_id:
        raise Conflict(
            _(
                "Run %(run)s is no longer the final close of %(period)s (run %(current)s is); "
                "nothing was discarded."
            )
            % {"run": run_id, "period": label, "current": run.pk},
            field="period",
        )
    if run.status == CloseRunStatus.SUCCEEDED or period_row.status == PeriodStatus.CLOSED:
        raise Conflict(
            _(
                "The final close of %(period)s (run %(run)s) has succeeded and the period is closed; "
                "a closed period never changes. Correct it with adjustments in the next open period."
            )
            % {"period": label, "run": run.pk},
            field="period",
        )
    if period_row.status != PeriodStatus.CLOSING:
        raise Conflict(
            _("Period %(period)s is %(status)s, not closing: there is no close under way to discard.")
            % {"period": label, "status": period_row.get_status_display().lower()},
            field="period",
        )
    _refuse_while_worked_on(run, label)

    # Discarded first, in this transaction: the triggers accept deleting its rows from now on, and
    # a worker or a task delivered late finds a run with nothing left to do (phase done, no chunks).
    wrote_ranks = run.ranks_written or CloseChunk.objects.filter(run=run, ranks_written=True).exists()
    CloseRun.objects.filter(pk=run.pk).update(
        status=CloseRunStatus.DISCARDED,
        phase=ClosePhase.DONE,
        chunks_total=0,
        chunks_done=0,
        discard_reason=reason,
        finished_at=timezone.now(),
    )
    deleted = {
        "lines": _delete_rows(LedgerLine, run.pk),
        "statements": _delete_rows(Statement, run.pk),
        "results": _delete_rows(DistributorPeriod, run.pk),
        "chunks": _delete_rows(CloseChunk, run.pk),
    }
    restored, ranks_from = _restore_ranks_and_titles(run, wrote_ranks=wrote_ranks)
    frozen = _delete_rows(CloseInput, run.pk)
    reopened = Period.objects.filter(pk=period_row.pk, status=PeriodStatus.CLOSING).update(
        status=PeriodStatus.OPEN
    )
    if reopened != 1:  # cannot happen: the row is locked here and was closing
        raise Conflict(_("Period %(period)s was not closing.") % {"period": label}, field="period")

    notice = _notice(run, actor, reason, deleted, restored, ranks_from)
    CloseRun.objects.filter(pk=run.pk).update(notice=notice)
    audit_record(
        actor=actor,
        action="commissions.close_discard",
        target=period_row,
        reason=reason,
        data={
            "run": run.pk,
            "reason": reason,
            "deleted": deleted,
            "ranks_restored": restored,
            "ranks_from": ranks_from,
            "inputs_deleted": frozen,
        },
    )
    logger.warning("Final close run %s of %s discarded: %s", run.pk, label, notice)
    run.refresh_from_db()
    return run


def _refuse_while_worked_on(run: CloseRun, label: str) -> None:
    """Refuse while a live worker works on the run (PostgreSQL; SQLite has one writer at a time).

    The compute holds the session lock `commission-close-run:<id>` from start to end: taking it here
    (for this transaction) proves nobody computes, and keeps a compute from starting until commit.
    A writer holds its chunk's row lock while it writes: a chunk row that cannot be locked now is
    being written; the others stay locked here, so no writer starts on them before the commit.
    """
    if not try_advisory_xact_lock(f"commission-close-run:{run.pk}"):
        raise Conflict(
            _(
                "Run %(run)s of %(period)s is being computed right now; stop the workers or wait "
                "until the compute ends, then discard it."
            )
            % {"run": run.pk, "period": label},
            field="period",
        )
    if connection.vendor != "postgresql":
        return
    chunks = CloseChunk.objects.filter(run=run).order_by()  # no ordering join: lock the chunks alone
    locked_here = set(chunks.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True))
    busy = chunks.exclude(pk__in=locked_here).order_by("number").values_list("number", "claimed_by").first()
    if busy is not None:
        raise Conflict(
            _(
                "Chunk %(number)s of run %(run)s is being written by %(worker)s right now; stop the "
                "workers or wait, then discard the close of %(period)s."
            )
            % {"number": busy[0], "run": run.pk, "worker": busy[1] or _("a worker"), "period": label},
            field="period",
        )


def _delete_rows(model: Any, run_id: int) -> int:
    """Every row of the run in one set-based DELETE (found through the run's BRIN index); how many."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE run_id = %s", [run_id])
        return cursor.rowcount


def _restore_ranks_and_titles(run: CloseRun, *, wrote_ranks: bool) -> tuple[int, str]:
    """Put back the paid-as ranks and titles the run wrote; (distributors changed, from where).

    From the run's frozen input when there is one: it holds everyone's rank and title as the run
    found them. A run from before the input was frozen has none: the ranks and titles come from the
    closes that succeeded instead, which are the only writers of both (see _restore_from_closes).
    """
    if CloseInput.objects.filter(run_id=run.pk).exists():
        return _restore_from_input(run.pk), RANKS_FROM_INPUT
    if not wrote_ranks:
        return 0, RANKS_NOT_WRITTEN
    return _restore_from_closes(run), RANKS_FROM_CLOSED_PERIODS


def _distributors_table() -> str:
    from distributors.models import Distributor

    return Distributor._meta.db_table


def _restore_from_input(run_id: int) -> int:
    """One statement; rows that would not change are not written."""
    table = _distributors_table()
    frozen = CloseInput._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS d SET rank = i.rank, title = i.title FROM {frozen} AS i "
                "WHERE i.run_id = %s AND i.distributor_id = d.id "
                "AND (d.rank <> i.rank OR d.title <> i.title)",
                [run_id],
            )
        else:
            of_row = f"FROM {frozen} i WHERE i.run_id = %s AND i.distributor_id = {table}.id"
            cursor.execute(
                f"UPDATE {table} SET rank = (SELECT i.rank {of_row}), title = (SELECT i.title {of_row}) "
                f"WHERE EXISTS (SELECT 1 {of_row} AND (i.rank <> {table}.rank OR i.title <> {table}.title))",
                [run_id, run_id, run_id],
            )
        return cursor.rowcount


def _restore_from_closes(run: CloseRun) -> int:
    """Ranks and titles as the closes that succeeded left them, for a run without a frozen input.

    Only a close writes a distributor's rank (the paid-as rank of the last period closed with them)
    and title (the highest ever). The run wrote them for everyone in its period's tree, and only the
    results of its written chunks remain to say who that was; so everyone is set back:
    - whoever has a result in the last period closed before: its paid-as rank and title;
    - whoever has no result in any closed period: rank and title 0 (no close has ranked them).
    Someone who has results in older closed periods only (left the tree before the last one) is left
    as is: the run did not rank them, unless they came back in its period.
    """
    table = _distributors_table()
    results = DistributorPeriod._meta.db_table
    runs = CloseRun._meta.db_table
    previous = (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED, period__start__lt=run.period.start
        )
        .order_by("-period__start")
        .values_list("pk", flat=True)
        .first()
    )
    restored = 0
    with connection.cursor() as cursor:
        if previous is not None:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} AS d SET rank = r.paid_as_rank, title = r.title FROM {results} AS r "
                    "WHERE r.run_id = %s AND r.distributor_id = d.id "
                    "AND (d.rank <> r.paid_as_rank OR d.title <> r.title)",
                    [previous],
                )
            else:
                of_row = f"FROM {results} r WHERE r.run_id = %s AND r.distributor_id = {table}.id"
                cursor.execute(
                    f"UPDATE {table} SET rank = (SELECT r.paid_as_rank {of_row}), "
                    f"title = (SELECT r.title {of_row}) WHERE EXISTS (SELECT 1 {of_row} "
                    f"AND (r.paid_as_rank <> {table}.rank OR r.title <> {table}.title))",
                    [previous, previous, previous],
                )
            restored += cursor.rowcount
        cursor.execute(
            f"UPDATE {table} SET rank = 0, title = 0 WHERE (rank <> 0 OR title <> 0) AND NOT EXISTS ("
            f"SELECT 1 FROM {results} r JOIN {runs} c ON c.id = r.run_id "
            f"WHERE r.distributor_id = {table}.id AND c.kind = %s AND c.status = %s)",
            [CloseRunKind.FINAL, CloseRunStatus.SUCCEEDED],
        )
        restored += cursor.rowcount
    return restored


def _notice(
    run: CloseRun, actor: Any, reason: str, deleted: dict[str, int], restored: int, ranks_from: str
) -> str:
    """What the discard did, in words, for the run's page and the command (stored in English, as
    the run's other notices)."""
    who = getattr(actor, "get_username", lambda: "")() if getattr(actor, "is_authenticated", False) else ""
    ranks = {
        RANKS_FROM_INPUT: f"ranks and titles of {restored} distributors restored from the run's frozen input",
        RANKS_FROM_CLOSED_PERIODS: (
            f"ranks and titles of {restored} distributors restored from the closed periods' results "
            "(the run has no frozen input)"
        ),
        RANKS_NOT_WRITTEN: "the run had written no ranks or titles",
    }[ranks_from]
    return (
        f"Discarded at {timezone.now():%Y-%m-%d %H:%M:%S %Z}{f' by {who}' if who else ''} "
        f"(reason: {reason}). Deleted {deleted['lines']} ledger lines, {deleted['statements']} statements, "
        f"{deleted['results']} results and {deleted['chunks']} chunks; {ranks}; "
        f"period {run.period} is open again."
    )
