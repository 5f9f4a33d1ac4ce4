"""The monthly commission close (commissions/close/start.py tells the whole story).

    start.py       close_start and the orchestration: compute once, dispatch or write the chunks
    inputs.py      what it reads besides the orders (commissions.services.aggregation): the tree
    compute.py     the engine run once and the rows cut into chunks; the compute phase
    statements.py  statements and the run's totals
    payload.py     a chunk's rows encoded for COPY
    chunks.py      claims, chunk writes and the COPY layer
    threads.py     writers on threads of their own (chunks without a broker, ranks)
    ranks.py       the one writer of paid-as ranks and titles
    finalize.py    the run succeeds, the period closes
    recovery.py    the watchdog that finishes a run whose worker died
    discard.py     an operator's way out of a final close that cannot finish

Other modules call only what is exported here.
"""

from commissions.close.chunks import (
    CHUNK_ALREADY_DONE,
    CHUNK_BUSY,
    CHUNK_WRITTEN,
    claim_takeover_seconds,
    close_chunk_claim,
    close_chunk_write,
    worker_name,
)
from commissions.close.discard import close_run_discard
from commissions.close.finalize import close_run_finalize
from commissions.close.recovery import close_watchdog
from commissions.close.start import (
    close_run_advance,
    close_run_advance_without_broker,
    close_start,
    previous_month,
)

__all__ = [
    "CHUNK_ALREADY_DONE",
    "CHUNK_BUSY",
    "CHUNK_WRITTEN",
    "claim_takeover_seconds",
    "close_chunk_claim",
    "close_chunk_write",
    "close_run_advance",
    "close_run_advance_without_broker",
    "close_run_discard",
    "close_run_finalize",
    "close_start",
    "close_watchdog",
    "previous_month",
    "worker_name",
]
