"""The monthly close: start, compute once, write in idempotent chunks, finalize.

    close_start()          checks, creates (or resumes/joins) the run, schedules close_run_advance
    close_run_advance()    phase compute: check the tree, aggregate orders in SQL, run the engine once
                           in memory, add clawbacks, adjustments and statements, and store the rows
                           of each chunk (a range of distributors) as a compressed payload, each
                           chunk committed and handed to a writer (Celery task or thread) at once,
                           so chunks are written while the next ones are encoded
    close_chunk_write()    claim the chunk (conditional UPDATE), write its rows in one transaction
                           (COPY; through a scratch table and ON CONFLICT DO NOTHING if a row is
                           there already), mark it done
    close_run_finalize()   once the compute has stored every chunk and every chunk is done: the period
                           report, ranks and titles, period closed

A killed worker, a task delivered twice or a close started twice all end in the same ledger: a
chunk's rows are fixed once stored (a compute resumed after a crash must compute the same rows for
the chunks stored before, checked by digest, or the run fails), every output row has a unique key,
chunks are claimed, and a period has at most one final run. See docs/adr/0003-close-orchestration.md
and docs/adr/0006-close-pipeline.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import hashlib
import itertools
import json
import logging
import math
import operator
import os
import queue
import re
import socket
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from psycopg import errors as psycopg_errors

from commissions.models import (
    CloseChunk,
    CloseChunkStatus,
    ClosePhase,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Period,
    PeriodStatus,
    Plan,
    Statement,
)
from commissions.signals import close_run_succeeded
from core.errors import ApplicationError, Conflict
from core.faults import fault_point
from core.locks import advisory_xact_lock, try_advisory_session_lock
from core.money import ZERO, money_str, round_cents
from core.periods import next_period, period_bounds, period_label, previous_period
from core.services import audit_record

from . import aggregation
from .adjustments import adjustment_lines
from .aggregation import period_inputs
from .clawbacks import clawback_lines
from .legs import leg_summaries
from .periods import period_get_or_create, period_table_lock
from .rows import LINE_COLUMNS, RESULT_COLUMNS, STATEMENT_COLUMNS, LineRow, StatementRow

if TYPE_CHECKING:
    from commissions.engine import RanksCallback

logger = logging.getLogger(__name__)

CHUNK_DISTRIBUTORS = 25_000  # default rows of distributors per chunk (settings can override)
STALE_CLAIM_SECONDS = 120  # a running chunk whose claim is older may be taken over
# A running chunk whose row nobody locks lost its writer (PostgreSQL; see close_chunk_claim): taken
# over once its claim is this old, the moment between a claim's commit and its writer's lock.
CLAIM_GRACE_SECONDS = 10
IN_PROCESS_WRITERS = 2  # chunks written at once without a broker (settings can override)
# A run in one of these states is over: no task, retry or late delivery moves it again.
FINISHED = (CloseRunStatus.SUCCEEDED, CloseRunStatus.DISCARDED)


# Rows per chunk from which the first and last chunks are cut smaller (see chunk_ranges).
_RAMPED_CHUNK_ROWS = 10_000


def _chunk_size() -> int:
    # Settings first; the environment lets a worker process be tuned (and tested) without code.
    configured = getattr(settings, "COMMISSION_CLOSE_CHUNK_DISTRIBUTORS", None) or os.environ.get(
        "COMMISSION_CLOSE_CHUNK_DISTRIBUTORS"
    )
    return max(1, int(configured or CHUNK_DISTRIBUTORS))


def stale_claim_seconds() -> int:
    return int(getattr(settings, "COMMISSION_CLOSE_STALE_CLAIM_SECONDS", STALE_CLAIM_SECONDS))


def claim_grace_seconds() -> int:
    return int(getattr(settings, "COMMISSION_CLOSE_CLAIM_GRACE_SECONDS", CLAIM_GRACE_SECONDS))


def claim_takeover_seconds() -> int:
    """How old a dead claim must be before it is taken over (see close_chunk_claim)."""
    return claim_grace_seconds() if connection.vendor == "postgresql" else stale_claim_seconds()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- start ------------------------------------------------------------------------------------


def _resolve_plan(plan: Plan | str | None) -> Plan:
    if isinstance(plan, Plan):
        return plan
    if plan:
        found = Plan.objects.filter(version=plan).first()
        if found is None:
            versions = (
                ", ".join(Plan.objects.order_by("loaded_at").values_list("version", flat=True)) or "none"
            )
            raise ApplicationError(
                f"There is no plan version '{plan}'; loaded versions: {versions}. "
                "Load one with `manage.py load_plan FILE`.",
                field="plan",
            )
        return found
    from commissions.services.plans import plan_ensure_default, plan_newest

    return plan_newest() or plan_ensure_default()


def _month_to_close_first(start: dt.date) -> dt.date | None:
    """The month that must close before `start` can: periods close in order, every month, one
    without orders too (everybody is inactive in it, and it must not stay open to take back-dated
    orders). After the newest closed month, the next; before any close, the first month anything
    was written into (a Period row or an order)."""
    from orders.models import Order

    last_closed = (
        Period.objects.filter(start__lt=start, status=PeriodStatus.CLOSED).order_by("-start").first()
    )
    if last_closed is not None:
        following = next_period(last_closed.start)
        return following if following < start else None
    firsts = [
        Period.objects.filter(start__lt=start).order_by("start").values_list("start", flat=True).first(),
        Order.objects.filter(commission_period__isnull=False, commission_period__lt=start)
        .order_by("commission_period")
        .values_list("commission_period", flat=True)
        .first(),
    ]
    return min((month for month in firsts if month is not None), default=None)


@transaction.atomic
def close_start(
    *, period: dt.date, plan: Plan | str | None = None, preview: bool = False, actor: Any = None
) -> CloseRun:
    """Start the close of `period` (or a preview); resume or join a final close already under way.

    Refuses a closed period, a final close while an earlier month is not closed (every month
    closes, in order: `_month_to_close_first`) or a later one is closed, and an unknown plan
    version. The work runs on Celery when a broker is configured, in-process otherwise, after
    this transaction commits.
    """
    label = period_label(period)
    advisory_xact_lock(f"commission-close-start:{label}")
    if not preview:
        # Writes into a month no Period row exists for yet create its row (period_status_locked):
        # wait for those in flight and hold new ones back until this commits, so that none lands
        # in a month before this one unseen by the checks below (period_ensure_open refuses a
        # month before a closing one). Taken before any row lock: a writer may lock this period's
        # row too.
        period_table_lock()
    period_row = period_get_or_create(start=period)
    period_row = Period.objects.select_for_update(no_key=True).get(pk=period_row.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None

    if period_row.status == PeriodStatus.CLOSED:
        raise Conflict(f"Period {label} is already closed; a closed period never changes.", field="period")

    if preview:
        if period_row.status != PeriodStatus.OPEN:
            raise Conflict(
                f"Period {label} is {period_row.status}: a preview runs only while a period is open.",
                field="period",
            )
        run = CloseRun.objects.create(
            period=period_row, plan=_resolve_plan(plan), kind=CloseRunKind.PREVIEW, started_by=user
        )
        _schedule_advance(run)
        return run

    existing = (
        CloseRun.objects.filter(period=period_row, kind=CloseRunKind.FINAL)
        .exclude(status=CloseRunStatus.DISCARDED)
        .first()
    )
    if existing is not None:
        if plan is not None and _resolve_plan(plan).pk != existing.plan_id:
            raise Conflict(
                f"The close of {label} is already under way with plan {existing.plan.version}; "
                "it finishes with that plan.",
                field="plan",
            )
        # Resume a failed run, or join one under way: both only dispatch what is not done yet.
        CloseRun.objects.filter(pk=existing.pk, status=CloseRunStatus.FAILED).update(
            status=CloseRunStatus.RUNNING, error="", progress_at=timezone.now(),
            notice=f"Resumed after a failure at {timezone.now():%Y-%m-%d %H:%M:%S %Z}.",
        )  # fmt: skip
        CloseChunk.objects.filter(run=existing, status=CloseChunkStatus.FAILED).update(
            status=CloseChunkStatus.PENDING, error=""
        )
        audit_record(
            actor=actor, action="commissions.close_resume", target=period_row, data={"run": existing.pk}
        )
        existing.refresh_from_db()
        _schedule_advance(existing)
        return existing

    later = (
        Period.objects.filter(start__gt=period, status__in=[PeriodStatus.CLOSED, PeriodStatus.CLOSING])
        .order_by("start")
        .first()
    )
    if later is not None:
        raise Conflict(
            f"Period {later} is already {later.status}; periods close in order, "
            f"so {label} can no longer close.",
            field="period",
        )
    earlier = _month_to_close_first(period)
    if earlier is not None:
        raise Conflict(
            f"Close {period_label(earlier)} first: periods close in order, every month, "
            "one without orders too.",
            field="period",
        )
    plan_row = _resolve_plan(plan)
    updated = Period.objects.filter(pk=period_row.pk, status=PeriodStatus.OPEN).update(
        status=PeriodStatus.CLOSING
    )
    if updated != 1:
        raise Conflict(f"Period {label} is not open.", field="period")
    try:
        with transaction.atomic():
            run = CloseRun.objects.create(
                period=period_row, plan=plan_row, kind=CloseRunKind.FINAL, started_by=user
            )
    except IntegrityError:
        raise Conflict(
            f"A final close of {label} was started at the same moment; run it again to follow it."
        ) from None
    audit_record(
        actor=actor, action="commissions.close_start", target=period_row,
        data={"run": run.pk, "plan": plan_row.version},
    )  # fmt: skip
    _schedule_advance(run)
    return run


def _schedule_advance(run: CloseRun) -> None:
    run_id = run.pk
    transaction.on_commit(lambda: _send_advance(run_id))


def _send_advance(run_id: int) -> None:
    """Queue the run's next step. The run is committed already: with the broker unreachable it is
    not lost (the watchdog queues it once the broker is back), so say that instead of failing."""
    from kombu.exceptions import OperationalError as BrokerUnreachable

    from commissions import tasks

    try:
        tasks.close_run.delay(run_id)
    except BrokerUnreachable as exc:
        logger.error(
            "close run %s saved but not queued (the broker is unreachable: %s); the watchdog queues "
            "it once the broker is back",
            run_id, exc,
        )  # fmt: skip
        CloseRun.objects.filter(pk=run_id).update(
            notice="Saved but not queued: the broker was unreachable. The watchdog queues it once the "
            "broker is back."
        )


# --- advance: compute once, then dispatch chunks ------------------------------------------------


def close_run_advance(*, run_id: int, inline: bool = False) -> None:
    """Move the run forward from wherever it is. Safe to call any number of times, concurrently.

    Each chunk is written as soon as it is stored, while the compute stores the next ones: by
    Celery workers, or without a broker (or with `inline`) by this process, on threads with their
    own connections when it may (else one by one, after the compute).
    """
    from commissions import tasks

    run = CloseRun.objects.get(pk=run_id)
    if run.status in FINISHED:
        return
    here = inline or _tasks_run_eagerly()
    dispatched: set[int] = set()
    if run.phase in (ClosePhase.QUEUED, ClosePhase.COMPUTE):

        def dispatch(chunk_id: int) -> None:
            dispatched.add(chunk_id)
            transaction.on_commit(lambda: tasks.close_chunk.delay(chunk_id))

        writers = _writers_here() if here else 0
        if writers > 1:
            with ChunkWriters(writers) as pool:
                computed = _compute_or_fail(run_id, stored=pool.write)
        else:
            computed = _compute_or_fail(run_id, stored=None if here else dispatch)
        if not computed:
            return  # another worker holds the compute lock; it writes or dispatches the chunks
    pending = list(
        CloseChunk.objects.filter(run_id=run_id)
        .exclude(status=CloseChunkStatus.DONE)
        .order_by("number")
        .values_list("id", flat=True)
    )
    if not pending:
        close_run_finalize(run_id=run_id)
        return
    if here:
        _write_here(run_id, pending)
        close_run_finalize(run_id=run_id)
        return
    for chunk_id in pending:
        if chunk_id not in dispatched:  # a second task for a chunk being written would only wait
            tasks.close_chunk.delay(chunk_id)


def _unwritten(run_id: int) -> list[int]:
    return list(
        CloseChunk.objects.filter(run_id=run_id)
        .exclude(status=CloseChunkStatus.DONE)
        .order_by("number")
        .values_list("id", flat=True)
    )


def _write_here(run_id: int, pending: list[int]) -> None:
    """Write the run's chunks in this process (no broker, or `inline`) until every one is done.

    A chunk claimed by another process is left to it while it writes; once its claim is dead
    (its writer's row lock gone, or the claim stale) it is taken over here. So a rerun right after
    a crash finishes instead of waiting for ever on the dead process's claim; a chunk that makes no
    progress for longer than the stale limit is an error that says which chunk and who holds it.
    """
    patience = stale_claim_seconds() + claim_grace_seconds() + 5
    deadline = time.monotonic() + patience
    while pending:
        writers = _writers_here(len(pending))
        if writers > 1:
            _write_chunks_on_threads(pending, writers)
        else:
            for chunk_id in pending:
                close_chunk_write(chunk_id=chunk_id)
        left = _unwritten(run_id)
        if len(left) < len(pending):
            deadline = time.monotonic() + patience  # progress: another writer may be finishing
        elif time.monotonic() > deadline:
            chunk = CloseChunk.objects.get(pk=left[0])
            raise ApplicationError(
                f"Chunk {chunk.number} of {chunk.run} is claimed by {chunk.claimed_by or 'nobody'} since "
                f"{chunk.claimed_at:%H:%M:%S} and has not been written; if that process is gone, run the "
                "close again (its claim is taken over), else wait for it."
            )
        pending = left
        if pending:
            time.sleep(1)


def _compute_or_fail(run_id: int, *, stored: Callable[[int], None] | None) -> bool:
    try:
        return _compute_phase(run_id, stored=stored)
    except Exception as exc:
        _fail_run(run_id, exc)
        raise


def _tasks_run_eagerly() -> bool:
    # The project's Celery app is the current one (backoffice/celery.py); the domain names no
    # project module (the layers in pyproject.toml).
    from celery import current_app

    return bool(current_app.conf.task_always_eager)


def _writers_here(chunks: int | None = None) -> int:
    """How many chunks this process writes at once when it writes them itself (no broker, or
    `inline`): COMMISSION_CLOSE_INPROCESS_WRITERS threads, each on its own connection, as Celery
    workers would. One inside a transaction (a test, a caller's atomic block): other connections
    would not see its uncommitted rows."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        return 1
    configured = max(1, int(getattr(settings, "COMMISSION_CLOSE_INPROCESS_WRITERS", IN_PROCESS_WRITERS)))
    return configured if chunks is None else max(1, min(chunks, configured))


class ChunkWriters:
    """Threads that write the chunks handed to them (`write`) until the block ends, each on its own
    connection, as Celery workers would: PostgreSQL does the work of a write (COPY, indexes,
    triggers), so threads use the cores as worker processes would, and the compute's Python
    runs meanwhile. A failed chunk is recorded as failed by close_chunk_write; the first failure is
    raised when the block ends, after the other chunks are written."""

    def __init__(self, threads: int):
        self.threads = threads
        self._queue: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="close-chunk")
        self._futures: list[Any] = []

    def __enter__(self) -> ChunkWriters:
        self._futures = [
            self._pool.submit(_on_own_connection, self._write_until_closed) for _ in range(self.threads)
        ]
        return self

    def write(self, chunk_id: int) -> None:
        self._queue.put(chunk_id)

    def _write_until_closed(self) -> list[BaseException]:
        # One connection per thread for all its chunks: a new backend per chunk would build its
        # catalog caches and compile the triggers' functions again every time.
        failures: list[BaseException] = []
        while (chunk_id := self._queue.get()) is not None:
            try:
                close_chunk_write(chunk_id=chunk_id)
            except Exception as exc:  # recorded on the chunk; the other chunks are still written
                failures.append(exc)
        return failures

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if exc_type is not None:
            # The block failed: leave the chunks not yet taken pending (a resume writes them).
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        for _ in range(self.threads):
            self._queue.put(None)
        self._pool.shutdown(wait=True)
        if exc_type is None:
            for future in self._futures:
                for failure in future.result():
                    raise failure


def _write_chunks_on_threads(chunk_ids: list[int], writers: int) -> None:
    """Write the chunks (stored already) on `writers` threads; see ChunkWriters."""
    with ChunkWriters(writers) as pool:
        for chunk_id in chunk_ids:
            pool.write(chunk_id)


def _on_own_connection(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `function` on this thread's own connection, closed afterwards (a pool thread)."""
    try:
        return function(*args, **kwargs)
    finally:
        connection.close()


def _fail_run(run_id: int, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}"[:4000]
    CloseRun.objects.filter(pk=run_id).exclude(status__in=FINISHED).update(
        status=CloseRunStatus.FAILED, error=message
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of acyclic tuples: the cyclic collector would rescan the growing heap again and
    again (a third of the Python time of the compute phase); reference counting frees them."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _compute_phase(run_id: int, *, stored: Callable[[int], None] | None = None) -> bool:
    """Compute the run and store its chunks, each committed on its own and then handed to `stored`
    (to be written while the next ones are encoded); False when another process is computing it.

    A stored chunk's rows are fixed: it may be written at once. A compute resumed after a crash
    stores only the chunks still missing and checks that the chunks stored before hold the rows it
    computed again (their digest). If they do not (the inputs changed in between, as they can in
    a preview's open period), the run fails instead of mixing two computations in one ledger.
    """
    # Inside an outer transaction (a test, a caller's atomic block) another connection would not
    # see its rows: read on this connection only.
    concurrent_reads = not connection.in_atomic_block and connection.vendor == "postgresql"
    with _gc_paused(), try_advisory_session_lock(f"commission-close-run:{run_id}") as locked:
        if not locked:
            return False
        computing = (ClosePhase.QUEUED, ClosePhase.COMPUTE)
        run = CloseRun.objects.select_related("period", "plan").get(pk=run_id)
        if run.phase not in computing or run.status in FINISHED:
            return True
        now = timezone.now()
        CloseRun.objects.filter(pk=run_id).update(
            status=CloseRunStatus.RUNNING, phase=ClosePhase.COMPUTE, started_at=now, error="", progress_at=now
        )
        started = time.monotonic()
        stored_before = dict(CloseChunk.objects.filter(run_id=run_id).values_list("number", "digest"))
        # A resumed compute leaves the ranks to finalize: it may yet find that it differs. So does
        # the SQLite demo, where finalize's one statement is the cheaper way.
        early_ranks = (
            run.kind == CloseRunKind.FINAL and not stored_before and connection.vendor == "postgresql"
        )
        with _RankWriter(run.pk, concurrent=concurrent_reads) as ranks:
            computed = compute_close(
                run, concurrent_reads=concurrent_reads, ranked=ranks.start if early_ranks else None
            )
            ranges = computed.chunk_ranges(_chunk_size())
            count = len(ranges)
            if stored_before and run.chunks_total != count:
                raise _inputs_changed(run, None, None)
            CloseRun.objects.filter(pk=run_id).update(chunks_total=count)  # chunks are counted from now on
            # Build, encode and store one chunk at a time: the first is written while the next are built.
            for number, (distributors, part) in enumerate(zip(ranges, computed.parts(ranges), strict=True)):
                payload, digest = encode_payload(run, part, distributors=distributors)
                if number in stored_before:
                    if stored_before[number] != digest:
                        raise _inputs_changed(run, number, payload)
                    continue
                with transaction.atomic():
                    chunk = _store_chunk(run, number, part, payload, digest)
                fault_point("close.compute.stored")
                del part, payload
                if stored is not None:
                    stored(chunk.pk)
            ranks.done()  # before the phase leaves compute: finalize relies on it
        summary = computed.summary()
        del computed
        CloseRun.objects.filter(pk=run_id).update(
            phase=ClosePhase.WRITE, compute_seconds=time.monotonic() - started, summary=summary,
            progress_at=timezone.now(),
        )  # fmt: skip
    return True


class _RankWriter:
    """A final run's paid-as ranks and titles, written to the distributors straight from the engine.

    The writes are the database's work and the engine's ranks are all they need, so they run on a
    connection of their own while the engine computes the overrides, instead of in the chunks'
    transactions on the writers' critical path. The same transaction marks the run
    (`CloseRun.ranks_written`); the compute waits for it before its phase leaves `compute`, and
    finalize writes the ranks itself when the mark is missing (a compute that died, or resumed).
    Writing them again changes nothing: rank and title follow from the results.
    """

    def __init__(self, run_id: int, *, concurrent: bool):
        self.run_id = run_id
        self.concurrent = concurrent
        self._pool: ThreadPoolExecutor | None = None
        self._future: Any = None

    def start(self, ids: Sequence[int], ranks: Sequence[int], titles: Sequence[int]) -> None:
        """The engine's ranks are known (its `ranked` callback): write them."""
        if self.concurrent:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="close-ranks")
            self._future = self._pool.submit(
                _on_own_connection, write_ranks_and_titles, self.run_id, ids, ranks, titles
            )
        else:
            write_ranks_and_titles(self.run_id, ids, ranks, titles)

    def __enter__(self) -> _RankWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self._pool is not None:  # the compute failed: let the write end, keep the first error
            self._pool.shutdown()

    def done(self) -> None:
        """Wait for the ranks' commit (if they are written here); raise what the write raised."""
        if self._pool is not None:
            try:
                self._future.result()
            finally:
                self._pool.shutdown()
                self._pool = None


def write_ranks_and_titles(
    run_id: int, ids: Sequence[int], ranks: Sequence[int], titles: Sequence[int]
) -> None:
    """The distributors' paid-as rank and title (highest ever) of the run, in one statement, and the
    run marked as having written them (PostgreSQL). Rows that would not change are not written."""
    from distributors.models import Distributor

    table = Distributor._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        CloseRun.objects.filter(pk=run_id).update(ranks_written=True)
        cursor.execute(
            "CREATE TEMP TABLE close_ranks (id bigint, rank smallint, title smallint) ON COMMIT DROP"
        )
        with cursor.copy("COPY close_ranks FROM STDIN") as copy:
            rows = zip(ids, ranks, titles, strict=True)
            copy.write("".join([f"{pk}\t{rank}\t{title}\n" for pk, rank, title in rows]))
        cursor.execute(
            f"UPDATE {table} AS d SET rank = r.rank, title = GREATEST(d.title, r.title) "
            "FROM close_ranks AS r WHERE d.id = r.id AND (d.rank <> r.rank OR d.title < r.title)"
        )
        cursor.execute("DROP TABLE close_ranks")  # inside an outer transaction, the commit is later


def _inputs_changed(run: CloseRun, number: int | None, payload: bytes | None) -> ApplicationError:
    where = (
        f"chunk {number}{_first_difference(run, number, payload)}"
        if number is not None and payload is not None
        else "the number of chunks"
    )
    return ApplicationError(
        f"The close of {run.period} was computed again after an interruption and the result differs "
        f"from the chunks stored the first time ({where}): orders, returns or distributors changed in "
        "between. "
        + ("Start a new preview." if run.kind == CloseRunKind.PREVIEW else "A final close computes from "
           "inputs fixed at its start, so this should not happen: discard the run "
           f"(manage.py discard_close {period_label(run.period.start)} --reason ...) and close again.")
    )  # fmt: skip


def _first_difference(run: CloseRun, number: int, payload: bytes) -> str:
    """', first at distributor N (table)': where a chunk computed again differs from the one stored,
    when the stored one is still there to compare (a written chunk's payload is cleared)."""
    chunk = CloseChunk.objects.filter(run=run, number=number).defer("payload").first()
    try:
        stored = decode_payload(_stored_payload(chunk), run) if chunk is not None else None
    except ApplicationError:
        stored = None
    if stored is None:
        return ""
    computed = decode_payload(payload, run)
    for table in PAYLOAD_TABLES:
        pairs = itertools.zip_longest(stored.texts[table].splitlines(), computed.texts[table].splitlines())
        for before, now in pairs:
            if before != now:
                line = before or now or ""
                distributor = line.split("\t")[2] if line.count("\t") >= 2 else "?"
                return f", first at distributor {distributor} ({table})"
    return ""


class ComputedClose:
    """A run computed up to its rows: the engine's results and lines, clawbacks, adjustments and the
    balances carried in. `parts(ranges)` builds the rows chunk by chunk, in id order (results,
    ledger lines, statements of each range of distributors), so the first chunk can be stored and
    written while the next ones are built; `summary()` is the run's report once every part is built.
    """

    def __init__(self, run: CloseRun, plan: Any, inputs: Any, result: Any, extra_lines: list[LineRow],
                 carried_in: dict[int, Decimal]):  # fmt: skip
        self.run, self.plan, self.inputs, self.result = run, plan, inputs, result
        self.extra_lines, self.carried_in = extra_lines, carried_in
        # A statement for everyone in the period, and for anyone else with a line or a balance.
        others = ({line.distributor_id for line in extra_lines} | set(carried_in)) - set(inputs.ids)
        self.distributor_ids = sorted([*inputs.ids, *others]) if others else inputs.ids
        self._built: list[dict[str, list]] = []

    def chunk_ranges(self, size: int) -> list[tuple[int, int]]:
        """Ranges of distributor ids (first, last), one per chunk: as many chunks as it takes for
        `size` distributors each, cut so that they hold about as many rows each. Distributor ids
        are not all alike: a top leader earns an override line from every source in reach, so the
        first 25,000 ids of a million can hold half of the ledger lines, and one chunk would keep
        one writer busy for a third of the close."""
        ids = self.distributor_ids
        if not ids:
            return [(0, 0)]
        count = max(1, math.ceil(len(ids) / size))
        # Rows per distributor: a result and a statement (about), and the lines they earn.
        lines_of = Counter(map(operator.itemgetter(1), self.result.lines))
        lines_of.update(line.distributor_id for line in self.extra_lines)
        weight = lines_of.get
        reach = list(itertools.accumulate(2 + weight(distributor_id, 0) for distributor_id in ids))
        total = reach[-1]
        # Chunk k ends after the first distributor whose rows reach k+1 shares of the total.
        shares: list[float] = list(range(1, count))
        if count >= 3 and total / count >= _RAMPED_CHUNK_ROWS:
            # Nothing is written until the first chunk is built, and at the end one writer may
            # wait for the other's last chunk: the first and the last share are cut in two, a
            # quarter and three quarters, so writing starts sooner and ends together.
            shares = [0.25, *shares, count - 0.25]
        ends = sorted({bisect.bisect_left(reach, total * share / count) for share in shares})
        ends.append(len(ids) - 1)
        ranges, start = [], 0
        for end in ends:
            if end >= start:  # a distributor with more than a share of the rows makes a chunk fewer
                ranges.append((ids[start], ids[end]))
                start = end + 1
        return ranges

    def parts(self, ranges: list[tuple[int, int]]) -> Iterator[dict[str, list]]:
        """The rows of each range of distributor ids (`ranges` cover them all, in order).

        The ledger lines are sorted by earner once (in C, stably: engine order within an earner),
        so each chunk's lines are one slice, and the first chunk is ready without a pass over
        every line first. Each slice's lines are summed per earner and kind for its statements
        (and per source for the compliance figures) as they are built: a few million lines in
        all, so every attribute lookup counts.
        """
        from commissions.report_figures import LineSums

        earner = operator.itemgetter(1)
        engine_lines = self.result.lines
        engine_lines.sort(key=earner)
        extra_lines = sorted(self.extra_lines, key=operator.attrgetter("distributor_id"))
        extra_earners = [line.distributor_id for line in extra_lines]
        new = tuple.__new__  # LineRow's own __new__ is Python code
        by_source: dict[int, Decimal] = {}
        source_of = by_source.get
        personal_total = override_total = ZERO
        slot = {"personal": 0, "override": 1, "clawback": 2, "adjustment": 3}
        inputs, input_ids, everyone = self.inputs.inputs, self.inputs.ids, self.distributor_ids
        computed = self.result.distributors
        # Each result keeps its frontline's size in the period (rank progress reads the legs
        # through it, commissions.selectors.period_frontline): one count in C over the sponsors.
        frontline_sizes = Counter(map(operator.itemgetter(1), inputs))
        frontline_of = frontline_sizes.get
        # A frontline longer than a request reads: the sums its rank checks need (services.legs).
        summary_of = leg_summaries(self.plan, inputs, computed, frontline_sizes).get
        left, right = bisect.bisect_left, bisect.bisect_right
        placed = 0
        for start, end in ranges:
            first, last = left(engine_lines, start, key=earner), right(engine_lines, end, key=earner)
            lines: list[LineRow] = []
            add_line = lines.append
            # Per earner and slot (personal, override, clawback, adjustment): the statements' sums.
            sums: list[dict[int, Decimal]] = [{}, {}, {}, {}]
            personal, override = sums[0], sums[1]
            personal_of, override_of = personal.get, override.get
            # The engine's lines are personal and override lines only: their keys as line_key makes them.
            for kind, earner_id, source, level, rate, base, amount in engine_lines[first:last]:
                personally = kind == "personal"
                key = "personal" if personally else f"override:{source}:{level}"
                values = (earner_id, kind, key, source, level, rate, base, amount, None, None, None)
                add_line(new(LineRow, values))
                if personally:
                    personal[earner_id] = personal_of(earner_id, ZERO) + amount
                    personal_total += amount
                else:
                    override[earner_id] = override_of(earner_id, ZERO) + amount
                    by_source[source] = source_of(source, ZERO) + amount
                    override_total += amount
            for line in extra_lines[left(extra_earners, start) : right(extra_earners, end)]:
                add_line(line)  # clawbacks and adjustments
                into = sums[slot[line.kind]]
                into[line.distributor_id] = into.get(line.distributor_id, ZERO) + line.amount
            placed += len(lines)
            results: list[tuple] = []
            add = results.append
            # Unpacked by position (DistributorInput, DistributorResult): a million rows.
            for row in inputs[left(input_ids, start) : right(input_ids, end)]:
                # fmt: off
                id_, sponsor_id, _, _, customer_cv, paid, _, own_cv, customers, _ = row
                (_, pcv, ppc, pv, gv, share, rewardable, active, met, eligible, rank, title, frontline,
                 best_rank, group_qv, group_cv) = computed[id_]
                add((id_, sponsor_id, pcv, ppc, pv, gv, customer_cv, own_cv, paid, customers, share,
                     rewardable, active, met, eligible, rank, title, frontline, group_qv, group_cv,
                     best_rank, frontline_of(id_, 0), summary_of(id_)))
                # fmt: on
            statements = build_statements(
                distributors=everyone[left(everyone, start) : right(everyone, end)],
                sums=sums,
                carried_in=self.carried_in,
                minimum=self.plan.payout_minimum,
            )
            unsettled = [earner_id for into in sums for earner_id in into]  # statements took out their own
            if unsettled:  # distributor_ids has every earner, so this never happens: no line is lost
                raise ValueError(f"ledger lines of distributors without a statement: {unsettled[:10]}")
            part = {"results": results, "lines": lines, "statements": statements}
            self._built.append(part)
            yield part
            del lines, results, statements
        if placed != len(engine_lines) + len(extra_lines):  # an earner outside every range
            raise ValueError(f"{len(engine_lines) + len(extra_lines) - placed} ledger lines are in no chunk")
        self._line_sums = LineSums(personal_total, override_total, by_source)
        self._line_count = placed

    def summary(self) -> dict[str, Any]:
        """The period report of the run, from the rows built (after every part)."""
        from commissions.report_figures import order_figures, run_figures

        chain = itertools.chain.from_iterable
        statements = [part["statements"] for part in self._built]
        ranks = Counter(r.paid_as_rank for r in self.result.distributors.values())
        period = self.run.period.start
        return {
            **statement_totals(chain(statements)),
            "period": period_label(period),
            "plan": self.run.plan.version,
            "distributors": len(self.inputs.ids),
            "statements": sum(len(rows) for rows in statements),
            "ranks": {str(rank): ranks[rank] for rank in sorted(ranks)},
            "total_rewardable_cv": money_str(self.result.total_rewardable_cv),
            "breakage": str(self.result.breakage),
            "host_credit_issued": str(host_credit_issued(period)),
            "lines": self._line_count,
            # The compliance report's order figures, from the same aggregation (it reads no order line).
            "order_figures": order_figures(
                self.inputs.volumes.values(), self.plan.personal_consumption_cap_qv
            ).as_json(),
            # Its rewards and payouts, from the rows written (it reads none back).
            "run_figures": run_figures(
                self._line_sums,
                chain(statements),
                # id, customer CV, rewardable CV
                ((row[0], row[6], row[11]) for row in chain(part["results"] for part in self._built)),
            ).as_json(),
        }


def _tree_problems() -> list[str]:
    try:
        from distributors.selectors import tree_check
    except ImportError:  # pragma: no cover - the distributors app always ships it
        return []
    report = tree_check()
    return [] if report.ok else report.problems


def _period_tree(run: CloseRun) -> aggregation.PeriodTree:
    """The period's tree; a final run's as fixed at its first compute (see CloseInput)."""
    period = run.period.start
    if run.kind == CloseRunKind.FINAL:
        return aggregation.period_tree(aggregation.frozen_period_distributors(run.pk, period))
    return aggregation.period_tree(aggregation.period_distributors(period))


def compute_close(
    run: CloseRun, *, concurrent_reads: bool = False, ranked: RanksCallback | None = None
) -> ComputedClose:
    """The run computed in memory from a few SQL reads (no per-node queries), up to its rows.

    `concurrent_reads`: read on a second connection too; only when the caller's transaction holds no
    uncommitted rows the reads need (the compute phase outside any outer transaction). `ranked`:
    see compute_period."""
    from commissions.engine import compute_period
    from commissions.plan_document import parse_plan_document

    period = run.period.start
    plan = parse_plan_document(run.plan.document)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="close-read") as pool:
        checked = None
        volumes = tree = None
        if concurrent_reads:
            # The volume sums keep PostgreSQL busy while this process waits: read the distributors
            # meanwhile, on a connection of its own, and build the period's tree from them. The
            # tree check is all SQL: it runs in the database while this process computes the
            # engine, which needs neither.
            read = pool.submit(_on_own_connection, _period_tree, run)
            volumes = aggregation.order_volumes(period)
            tree = read.result()
            checked = pool.submit(_on_own_connection, _tree_problems)

        def tree_checked() -> None:
            problems = checked.result() if checked is not None else _tree_problems()
            if problems:
                raise ApplicationError(
                    "The sponsor tree index is inconsistent; repair it (manage.py check_tree) before "
                    "closing: " + "; ".join(problems[:5])
                )

        def ranks_checked(*ranks: Any) -> None:
            tree_checked()  # nothing leaves the close before the tree is known to be sound
            ranked(*ranks)  # type: ignore[misc]

        try:
            inputs = period_inputs(period, volumes=volumes, tree=tree or _period_tree(run))
            del volumes, tree
            fault_point("close.compute.started")
            result = compute_period(
                plan, inputs.inputs, ranked=ranks_checked if ranked else None, shape=inputs.shape
            )
        finally:
            tree_checked()  # a broken tree is the first thing to report, even if the engine failed on it
    extra_lines = [*clawback_lines(period), *adjustment_lines(period)]
    return ComputedClose(run, plan, inputs, result, extra_lines, carried_in_by_distributor(period))


def statement_totals(statements: Iterable[StatementRow]) -> dict[str, Any]:
    """The run's totals for its summary, from the statements the compute built (the chunks store
    them unchanged, so finalize need not read them back)."""
    carried_in = personal = override = clawbacks = adjustments = payout = carried_out = ZERO
    paid = 0
    for _, c_in, p, o, c, a, _, out, c_out in statements:  # StatementRow, by position
        carried_in += c_in
        personal += p
        override += o
        clawbacks += c
        adjustments += a
        payout += out
        carried_out += c_out
        if out > 0:
            paid += 1
    sums = (personal, override, clawbacks, adjustments, payout, carried_out, carried_in)
    names = ("personal", "override", "clawbacks", "adjustments", "payout", "carried_out", "carried_in")
    totals = {name: str(round_cents(value)) for name, value in zip(names, sums, strict=True)}
    return {"totals": totals, "total_paid": totals["payout"], "paid_distributors": paid}


def carried_in_by_distributor(period: dt.date) -> dict[int, Decimal]:
    """What each distributor carries into `period`: carried_out of the latest final close before it.

    Every statement carries its balance forward (a distributor with a balance always gets the
    next statement), so the latest final run before the period holds every open balance.
    """
    previous = (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED, period__start__lt=period
        )
        .order_by("-period__start")
        .first()
    )
    if previous is None:
        return {}
    return dict(
        Statement.objects.filter(run=previous)
        .exclude(carried_out=0)
        .values_list("distributor_id", "carried_out")
    )


def build_statements(
    *,
    distributors: Iterable[int],
    sums: Sequence[dict[int, Decimal]],
    carried_in: dict[int, Decimal],
    minimum: Decimal,
) -> list[StatementRow]:
    """carried in + the period's lines = net; paid out when net >= minimum, else carried (spec §9).

    One statement for each of `distributors` (in id order), from their lines' sums per slot
    (`sums`: personal, override, clawbacks, adjustments, each earner -> amount); each statement
    takes its sums out of `sums`, so what is left belongs to no one listed."""
    personal, override, clawback, adjustment = (into.pop for into in sums)
    carried_of = carried_in.get
    statements: list[StatementRow] = []
    add, new = statements.append, tuple.__new__
    # Lines are rounded to cents and balances are cents: every sum below is exact, no rounding.
    for distributor_id in distributors:
        carried = carried_of(distributor_id, ZERO)
        p, o = personal(distributor_id, ZERO), override(distributor_id, ZERO)
        c, a = clawback(distributor_id, ZERO), adjustment(distributor_id, ZERO)
        net = carried + p + o + c + a
        payout = net if net >= minimum else ZERO
        add(new(StatementRow, (distributor_id, carried, p, o, c, a, net, payout, net - payout)))
    return statements


def host_credit_issued(period: dt.date) -> Decimal:
    from orders.models import HostCredit

    start, end = period_bounds(period)
    total = HostCredit.objects.filter(issued_at__gte=start, issued_at__lt=end).aggregate(total=Sum("amount"))[
        "total"
    ]
    return round_cents(total or ZERO)


# --- payloads ---------------------------------------------------------------------------------
# A chunk's rows are stored ready to stream into COPY: per table, one text in PostgreSQL's COPY text
# format, run and period included, NULL written as `None`. Encoding is one `%` format
# per row (str() of every value: PostgreSQL reads True/False and Decimal's exponent notation), and
# the chunk write is one COPY per table with no per-row work in the worker. Decimals keep full
# precision; the column's scale rounds them as it would any other input. The only text values are
# generated ones (ledger kinds, keys, ISO dates), which never hold a tab, newline or backslash:
# encode_payload refuses a backslash, the one such character a check of the joined text can see.
# PostgreSQL compresses the stored payload itself, with lz4 (commissions 0013): several times
# faster than zlib in this process, which competes for the cores with the chunks being written.
# Payloads stored by earlier versions are zlib streams (they never start with the magic line).

PAYLOAD_TABLES = ("results", "lines", "statements")
_PAYLOAD_MAGIC = b"copy-text-2\n"
_COPY_NULL = "None"


class ChunkPayload:
    """A decoded chunk: COPY text per table, its NULL marker and its distributors' id range."""

    def __init__(self, texts: dict[str, str], null: str, distributors: tuple[int, int] | None):
        self.texts = texts
        self.null = null
        # (first, last) id of its distributors, for inspection (the rank update of earlier versions
        # used it); None in payloads of older versions.
        self.distributors = distributors

    def rows(self, table: str) -> int:
        return self.texts[table].count("\n")


def copy_text(head: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """Rows (all of one width) as COPY text, each line starting with the values of `head`."""
    if not rows:
        return ""
    prefix = "".join(f"{value}\t" for value in head).replace("%", "%%")
    line = prefix + "\t".join(["%s"] * len(rows[0])) + "\n"
    return "".join([line % row for row in rows])


def encode_payload(
    run: CloseRun, payload: dict[str, list[Sequence[Any]]], *, distributors: tuple[int, int]
) -> tuple[bytes, str]:
    """The chunk's payload and the SHA-256 of its rows (see CloseChunk.digest)."""
    head = (run.pk, run.period_id)
    texts = [copy_text(head, payload[table]) for table in PAYLOAD_TABLES]
    if any("\\" in text for text in texts):
        raise ApplicationError("A close row holds a backslash: it cannot be written as COPY text.")
    header = f"{distributors[0]}\t{distributors[1]}\n"
    body = _PAYLOAD_MAGIC + "\x00".join([header, *texts]).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()


def decode_payload(blob: bytes | memoryview, run: CloseRun | None = None) -> ChunkPayload:
    """The chunk's rows as COPY text per table (see encode_payload)."""
    data = bytes(blob)
    if not data.startswith(_PAYLOAD_MAGIC):
        data = zlib.decompress(data)  # stored by an earlier version
    if data.startswith(_PAYLOAD_MAGIC):
        header, *texts = data[len(_PAYLOAD_MAGIC) :].decode("utf-8").split("\x00")
        first, last = map(int, header.split())
        return ChunkPayload(dict(zip(PAYLOAD_TABLES, texts, strict=True)), _COPY_NULL, (first, last))
    # A payload stored by an earlier version (a close in flight across an upgrade): JSON lists of
    # COPY lines without run and period, NULL as \N.
    if run is None:
        raise ValueError("an older chunk payload needs its run to be decoded")
    head = f"{run.pk}\t{run.period_id}\t"
    lines = json.loads(data.decode("utf-8"))
    texts = {table: "".join(f"{head}{line}\n" for line in lines.get(table, [])) for table in PAYLOAD_TABLES}
    return ChunkPayload(texts, "\\N", None)


# --- chunks -------------------------------------------------------------------------------------

CHUNK_WRITTEN, CHUNK_ALREADY_DONE, CHUNK_BUSY = "written", "done", "busy"


def close_chunk_claim(*, chunk_id: int, worker: str) -> bool:
    """Claim the chunk with a conditional UPDATE (after healthchecks' sendalerts): it must be pending
    or failed, or running under a dead claim, which is then taken over.

    A claim is dead when its writer is gone. On PostgreSQL a live writer holds its chunk's row lock
    for the whole write (close_chunk_write), so a running chunk whose row can be locked (SKIP
    LOCKED) lost its writer: it is taken over once the claim is older than the grace that covers
    the instant between a claim's commit and its writer's lock, not after the stale limit. A claim
    by a process of this host that no longer exists is dead too (the in-process close on SQLite).
    Past the stale limit any running claim is taken over on SQLite, where nothing else tells.
    """
    now = timezone.now()
    claimable = Q(status__in=[CloseChunkStatus.PENDING, CloseChunkStatus.FAILED])
    on_postgresql = connection.vendor == "postgresql"
    dead = now - dt.timedelta(seconds=claim_takeover_seconds())
    claimable |= Q(status=CloseChunkStatus.RUNNING, claimed_at__lt=dead)
    with transaction.atomic():
        # No ordering: CloseChunk's default orders by its run, a join whose row would be locked too.
        chunks = CloseChunk.objects.filter(pk=chunk_id).order_by()
        if on_postgresql:
            chunks = chunks.select_for_update(skip_locked=True, of=("self",))
        found = chunks.values_list("status", "claimed_by", "claimed_at").first()
        if found is None:
            return False
        status, claimed_by, claimed_at = found
        running = status == CloseChunkStatus.RUNNING
        if running and not (claimed_at is not None and claimed_at < dead) and not _process_gone(claimed_by):
            return False
        if not chunks.filter(claimable | Q(status=CloseChunkStatus.RUNNING, claimed_by=claimed_by)).update(
            status=CloseChunkStatus.RUNNING,
            claimed_by=worker[:200],
            claimed_at=now,
            attempts=F("attempts") + 1,
            error="",
        ):
            return False
        if running:
            chunk = CloseChunk.objects.defer("payload").select_related("run__period").get(pk=chunk_id)
            notice = (
                f"Chunk {chunk.number} taken over at {now:%H:%M:%S} from {claimed_by}, "
                f"a dead worker (claimed at {claimed_at:%H:%M:%S})."
            )
            logger.warning("Close run %s of %s: %s", chunk.run_id, chunk.run.period, notice)
            CloseRun.objects.filter(pk=chunk.run_id).update(
                notice=notice, recoveries=F("recoveries") + 1, progress_at=now
            )
    return True


def _process_gone(claimed_by: str) -> bool:
    """Whether the claim names a process of this host that no longer runs ("host:pid")."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def close_chunk_write(*, chunk_id: int, worker: str | None = None) -> str:
    """Write one chunk's rows; returns written, done (nothing to do) or busy (claimed elsewhere)."""
    worker = worker or worker_name()
    if not close_chunk_claim(chunk_id=chunk_id, worker=worker):
        found = CloseChunk.objects.filter(pk=chunk_id).values_list("status", "run_id").first()
        if found is None:
            return CHUNK_ALREADY_DONE
        if found[0] == CloseChunkStatus.DONE:
            # Delivered again after its worker died between this chunk and finalize: finish the run.
            close_run_finalize(run_id=found[1])
            return CHUNK_ALREADY_DONE
        return CHUNK_BUSY
    fault_point("close.chunk.claimed")
    try:
        with transaction.atomic():
            # The row lock keeps a stale-claim takeover waiting while this worker is alive and writing.
            chunk = (
                CloseChunk.objects.select_for_update(of=("self",))
                .select_related("run__period")
                .defer("payload")
                .get(pk=chunk_id)
            )
            if chunk.status != CloseChunkStatus.RUNNING or chunk.claimed_by != worker[:200]:
                return CHUNK_BUSY
            run = chunk.run
            # A chunk retried after a failed chunk puts the run back to running; a failed compute
            # stays failed (chunks it stored may still be written: their rows are fixed).
            CloseRun.objects.filter(pk=run.pk, status=CloseRunStatus.FAILED).exclude(
                phase__in=(ClosePhase.QUEUED, ClosePhase.COMPUTE)
            ).update(status=CloseRunStatus.RUNNING, error="")
            payload = decode_payload(_stored_payload(chunk), run)
            if connection.vendor == "postgresql":
                # The reference and immutability triggers see the chunk's rows as a transition
                # table, kept in work_mem: at the default 4 MB, tens of MB spill to a file and are
                # read back.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL work_mem = '256MB'")
            write_chunk_rows(run, chunk.number, payload)
            del payload
            fault_point("close.chunk.writing")
            now = timezone.now()
            CloseChunk.objects.filter(pk=chunk_id).update(
                status=CloseChunkStatus.DONE, finished_at=now, payload=None
            )
            CloseRun.objects.filter(pk=run.pk).update(chunks_done=F("chunks_done") + 1, progress_at=now)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:4000]
        CloseChunk.objects.filter(pk=chunk_id, status=CloseChunkStatus.RUNNING).update(
            status=CloseChunkStatus.FAILED, error=message
        )
        CloseRun.objects.filter(pk=CloseChunk.objects.filter(pk=chunk_id).values("run_id")[:1]).exclude(
            status__in=FINISHED
        ).update(status=CloseRunStatus.FAILED, error=f"chunk {chunk_id}: {message}")
        raise
    fault_point("close.chunk.written")
    close_run_finalize(run_id=run.pk)
    return CHUNK_WRITTEN


def _store_chunk(
    run: CloseRun, number: int, part: dict[str, list], payload: bytes, digest: str
) -> CloseChunk:
    """A computed chunk, stored with its payload. On PostgreSQL the payload goes as a binary
    parameter: Django's cursors bind on the client, which inlines a bytea into the SQL text as a hex
    literal, twice its size, that the server must lex and decode (10 MB per chunk at a million
    distributors: a tenth of the database's work while chunks are written)."""
    on_postgresql = connection.vendor == "postgresql"
    chunk = CloseChunk.objects.create(
        run=run, number=number, distributors=len(part["statements"]), lines=len(part["lines"]),
        payload=None if on_postgresql else payload, digest=digest,
    )  # fmt: skip
    if on_postgresql:
        cursor = psycopg.Cursor(connection.connection)  # binds on the server
        try:
            cursor.execute(
                f"UPDATE {CloseChunk._meta.db_table} SET payload = %b WHERE id = %s", [payload, chunk.pk]
            )
        finally:
            cursor.close()
    return chunk


def _stored_payload(chunk: CloseChunk) -> bytes:
    """The chunk's stored payload. PostgreSQL sends it as raw bytes: Django's cursors ask for text,
    in which a bytea travels hex-encoded, twice its size, encoded by the server and decoded here
    (at a million distributors, 430 MB of payload: about 2 s of each)."""
    if connection.vendor != "postgresql":
        payload = CloseChunk.objects.values_list("payload", flat=True).get(pk=chunk.pk)
    else:
        cursor = psycopg.Cursor(connection.connection)  # binds on the server: binary results
        try:
            sql = f"SELECT payload FROM {CloseChunk._meta.db_table} WHERE id = %s"
            (payload,) = cursor.execute(sql, [chunk.pk], binary=True).fetchone()
        finally:
            cursor.close()
    if payload is None:
        raise ApplicationError(f"Chunk {chunk.number} of close run {chunk.run_id} has no stored rows.")
    return bytes(payload)


def write_chunk_rows(run: CloseRun, number: int, payload: ChunkPayload) -> None:
    """Insert a chunk's results, ledger lines and statements; rows already there are left alone."""
    for table, model, columns in (
        ("results", DistributorPeriod, RESULT_COLUMNS),
        ("lines", LedgerLine, LINE_COLUMNS),
        ("statements", Statement, STATEMENT_COLUMNS),
    ):
        text = payload.texts[table]
        # A payload stored by an earlier version (a close in flight across an upgrade) lacks the
        # columns added since, which are the last ones: write the columns it has.
        fields = text[: text.find("\n")].count("\t") + 1 - 2 if text else len(columns)
        _insert(model._meta.db_table, ("run_id", "period_id", *columns[:fields]), text, payload.null)


_COPY_PIECE = 8 << 20  # characters written to the COPY stream at a time


def _copy_into(cursor: Any, table: str, names: str, text: str, null: str) -> None:
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (NULL '{null}')") as copy:
        for i in range(0, len(text), _COPY_PIECE):
            copy.write(text[i : i + _COPY_PIECE])


def _insert(table: str, columns: Sequence[str], text: str, null: str) -> None:
    if not text:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(columns))
            rows = [_parse_copy_line(line, null) for line in text.splitlines()]
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)
            return
        # The chunk's row lock and claim make rows of this chunk absent in all but a takeover race:
        # COPY straight into the table, and only if a unique key is already there, start again
        # through a scratch table and INSERT ... ON CONFLICT DO NOTHING (about twice the work).
        try:
            with transaction.atomic():
                _copy_into(cursor, table, names, text, null)
            return
        except (IntegrityError, psycopg_errors.UniqueViolation):
            pass
        scratch = f"close_scratch_{table}"
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(f"CREATE TEMP TABLE {scratch} AS SELECT {names} FROM {table} WITH NO DATA")
        _copy_into(cursor, scratch, names, text, null)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} ON CONFLICT DO NOTHING")
        cursor.execute(f"DROP TABLE {scratch}")


def _parse_copy_line(line: str, null: str) -> tuple:
    """A COPY text line back to values, for databases without COPY (the SQLite demo)."""
    values: list[Any] = []
    for field in line.split("\t"):
        if field == null:
            values.append(None)
        elif field in ("True", "False"):
            values.append(field == "True")
        else:
            values.append(_ESCAPED.sub(lambda m: _UNESCAPES.get(m.group(1), m.group(1)), field))
    return tuple(values)


_ESCAPED = re.compile(r"\\(.)")
_UNESCAPES = {"t": "\t", "n": "\n", "r": "\r"}


# --- finalize -----------------------------------------------------------------------------------


def close_run_finalize(*, run_id: int) -> bool:
    """Finish the run once every chunk is written; True when the run has succeeded."""
    # Every chunk calls this after its commit, mostly while other chunks are still being written:
    # a plain read says so without queueing for the run row's lock (a committing chunk holds it).
    status, phase, chunks_total = CloseRun.objects.filter(pk=run_id).values_list(
        "status", "phase", "chunks_total"
    )[0]
    if status in FINISHED:
        return status == CloseRunStatus.SUCCEEDED
    if _unfinished(run_id, phase, chunks_total):
        return False
    with transaction.atomic():
        run = CloseRun.objects.select_for_update(no_key=True).select_related("period", "plan").get(pk=run_id)
        if run.status in FINISHED:
            return run.status == CloseRunStatus.SUCCEEDED
        if _unfinished(run.pk, run.phase, run.chunks_total):
            return False
        if connection.vendor == "postgresql":
            # The new run id is outside the statistics until autovacuum gets to it: the planner
            # then expects one row per run and joins this run's lines and results in nested loops
            # (the compliance report: 30 s at 10k distributors, quadratic). A sample of 7,500 rows
            # per table tells it how many rows a run has as well as the default 30,000 would, for a
            # fifth of the time (1M distributors: 0.4 s against 0.8-2.1 s, with the run waiting).
            # Autovacuum (on by default) analyzes the tables again with its own targets soon after.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL default_statistics_target = 25")
                cursor.execute(
                    f"ANALYZE {DistributorPeriod._meta.db_table}, {LedgerLine._meta.db_table}, "
                    f"{Statement._meta.db_table}"
                )
        now = timezone.now()
        summary = dict(run.summary)
        if "totals" not in summary:
            # A run computed by an earlier version: its statements' totals, from the written rows.
            totals = Statement.objects.filter(run=run).aggregate(
                personal=Sum("personal"), override=Sum("override"), clawbacks=Sum("clawbacks"),
                adjustments=Sum("adjustments"), payout=Sum("payout"), carried_out=Sum("carried_out"),
                carried_in=Sum("carried_in"),
            )  # fmt: skip
            summary["totals"] = {name: str(round_cents(value or ZERO)) for name, value in totals.items()}
            summary["total_paid"] = summary["totals"]["payout"]
            summary["paid_distributors"] = Statement.objects.filter(run=run, payout__gt=0).count()
        started = run.started_at or run.created_at
        summary["duration_seconds"] = round((now - started).total_seconds(), 3)
        run.summary = summary
        run.status = CloseRunStatus.SUCCEEDED
        run.phase = ClosePhase.DONE
        run.finished_at = run.progress_at = now
        run.save(update_fields=["summary", "status", "phase", "finished_at", "progress_at"])
        CloseChunk.objects.filter(run=run).exclude(payload=None).update(payload=None)
        # Every close gets its compliance report (compliance.md item 5) in this transaction: a run
        # has succeeded only with its report, and a crash after the commit leaves nothing to do.
        close_run_succeeded.send(sender=CloseRun, run=run)
        if run.kind == CloseRunKind.FINAL:
            # Written during the compute, or by every chunk of an earlier version; else here.
            if not run.ranks_written and CloseChunk.objects.filter(run=run, ranks_written=False).exists():
                _update_ranks_and_titles(run)
            closed = Period.objects.filter(pk=run.period_id, status=PeriodStatus.CLOSING).update(
                status=PeriodStatus.CLOSED, plan=run.plan, closed_at=now
            )
            if closed != 1:
                raise Conflict(f"Period {run.period} was not closing; the close cannot finish.")
            audit_record(
                actor=run.started_by, action="commissions.close_finish", target=run.period, data=summary
            )
    fault_point("close.finalize.committed")
    return True


def _unfinished(run_id: int, phase: str, chunks_total: int) -> bool:
    return (
        phase in (ClosePhase.QUEUED, ClosePhase.COMPUTE)  # chunks are still being stored
        or chunks_total == 0
        or CloseChunk.objects.filter(run_id=run_id).exclude(status=CloseChunkStatus.DONE).exists()
    )


def _update_ranks_and_titles(run: CloseRun) -> None:
    """Paid-as rank of the last closed period and the title (highest ever) of everyone in the run,
    from its results, in one statement: finalize's way when the compute did not write them (a
    compute that died or was resumed). Rows that would not change are not written (every write of
    this wide table is a new tuple in all its indexes)."""
    from distributors.models import Distributor

    table = Distributor._meta.db_table
    results = DistributorPeriod._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS d SET rank = r.paid_as_rank, title = GREATEST(d.title, r.title) "
                f"FROM {results} AS r WHERE r.run_id = %s AND r.distributor_id = d.id "
                "AND (d.rank <> r.paid_as_rank OR d.title < r.title)",
                [run.pk],
            )
        else:
            cursor.execute(
                f"UPDATE {table} SET rank = (SELECT r.paid_as_rank FROM {results} r "
                f"WHERE r.run_id = %s AND r.distributor_id = {table}.id), "
                f"title = MAX(title, (SELECT r.title FROM {results} r WHERE r.run_id = %s "
                f"AND r.distributor_id = {table}.id)) "
                f"WHERE id IN (SELECT r.distributor_id FROM {results} r WHERE r.run_id = %s)",
                [run.pk, run.pk, run.pk],
            )
    CloseRun.objects.filter(pk=run.pk).update(ranks_written=True)


def previous_month(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return previous_period(dt.date(today.year, today.month, 1))
