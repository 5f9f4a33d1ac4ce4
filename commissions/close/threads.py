"""The close's threads, each on a database connection of its own (on_own_connection): without a
broker (or `inline`), the chunk writers of this process (ChunkWriters: each chunk written as soon as
the compute stores it; write_here: until every chunk is done, dead claims taken over); and a final
run's ranks, written while the engine computes the overrides (RankWriter).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection

from commissions.models import CloseChunk, CloseChunkStatus
from core.errors import ApplicationError

from .chunks import claim_grace_seconds, close_chunk_write, stale_claim_seconds
from .ranks import ranks_write


def on_own_connection(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `function` on this thread's own connection, closed afterwards (a pool thread)."""
    try:
        return function(*args, **kwargs)
    finally:
        connection.close()


def writers_here(chunks: int | None = None) -> int:
    """How many chunks this process writes at once when it writes them itself (no broker, or
    `inline`): COMMISSION_CLOSE_INPROCESS_WRITERS threads, each on its own connection, as Celery
    workers would. One inside a transaction (a test, a caller's atomic block): other connections
    would not see its uncommitted rows."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        return 1
    configured = max(1, settings.COMMISSION_CLOSE_INPROCESS_WRITERS)
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
            self._pool.submit(on_own_connection, self._write_until_closed) for _ in range(self.threads)
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


def unwritten(run_id: int) -> list[int]:
    """The run's chunks not written yet, in order."""
    return list(
        CloseChunk.objects.filter(run_id=run_id)
        .exclude(status=CloseChunkStatus.DONE)
        .order_by("number")
        .values_list("id", flat=True)
    )


def write_here(run_id: int, pending: list[int]) -> None:
    """Write the run's chunks in this process (no broker, or `inline`) until every one is done.

    A chunk claimed by another process is left to it while it writes; once its claim is dead
    (its writer's row lock gone, or the claim stale) it is taken over here. So a rerun right after
    a crash finishes instead of waiting for ever on the dead process's claim; a chunk that makes no
    progress for longer than the stale limit is an error that says which chunk and who holds it.
    """
    patience = stale_claim_seconds() + claim_grace_seconds() + 5
    deadline = time.monotonic() + patience
    while pending:
        writers = writers_here(len(pending))
        if writers > 1:
            _write_chunks_on_threads(pending, writers)
        else:
            for chunk_id in pending:
                close_chunk_write(chunk_id=chunk_id)
        left = unwritten(run_id)
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


class RankWriter:
    """A final run's paid-as ranks and titles, written (ranks.ranks_write) straight from the engine.

    The writes are the database's work and the engine's ranks are all they need, so they run on a
    connection of their own while the engine computes the overrides, instead of in the chunks'
    transactions on the writers' critical path. The compute waits for them (`done`) before its
    phase leaves `compute`, and finalize writes the ranks itself when the run's mark is missing
    (a compute that died, or resumed).
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
                on_own_connection, ranks_write, self.run_id, (ids, ranks, titles)
            )
        else:
            ranks_write(self.run_id, (ids, ranks, titles))

    def __enter__(self) -> RankWriter:
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
