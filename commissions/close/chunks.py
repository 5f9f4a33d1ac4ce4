"""A close's chunks: stored by the compute, claimed by one writer, written in one transaction.

    store_chunk()          the compute stores a chunk's payload (rows fixed from then on)
    close_chunk_claim()    a writer claims it with a conditional UPDATE (after healthchecks'
                           sendalerts); a dead writer's claim is taken over
    close_chunk_write()    claim, write the rows (COPY; through a scratch table and ON CONFLICT
                           DO NOTHING if a row is there already), mark it done, try to finalize

The COPY layer at the end writes a payload's text into the tables: COPY on PostgreSQL, INSERT on
SQLite (the demo).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg import errors as psycopg_errors

from commissions.models import (
    CloseChunk,
    CloseChunkStatus,
    ClosePhase,
    CloseRun,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Statement,
)
from commissions.services.rows import LINE_COLUMNS, RESULT_COLUMNS, STATEMENT_COLUMNS
from core.errors import ApplicationError
from core.faults import fault_point

from .finalize import FINISHED, close_run_finalize
from .payload import COPY_NULL, ChunkPayload, decode_payload

logger = logging.getLogger(__name__)

CHUNK_WRITTEN, CHUNK_ALREADY_DONE, CHUNK_BUSY = "written", "done", "busy"


def stale_claim_seconds() -> int:
    """A running chunk whose claim is older may be taken over (COMMISSION_CLOSE_STALE_CLAIM_SECONDS)."""
    return settings.COMMISSION_CLOSE_STALE_CLAIM_SECONDS


def claim_grace_seconds() -> int:
    """A running chunk whose row nobody locks lost its writer (PostgreSQL; see close_chunk_claim):
    taken over once its claim is this old, the moment between a claim's commit and its writer's
    lock (COMMISSION_CLOSE_CLAIM_GRACE_SECONDS)."""
    return settings.COMMISSION_CLOSE_CLAIM_GRACE_SECONDS


def claim_takeover_seconds() -> int:
    """How old a dead claim must be before it is taken over (see close_chunk_claim)."""
    return claim_grace_seconds() if connection.vendor == "postgresql" else stale_claim_seconds()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def store_chunk(run: CloseRun, number: int, part: dict[str, list], payload: bytes, digest: str) -> CloseChunk:
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


def stored_payload(chunk: CloseChunk) -> bytes:
    """The chunk's stored payload. PostgreSQL sends it as raw bytes: Django's cursors ask for text,
    in which a bytea travels hex-encoded, twice its size, encoded by the server and decoded here
    (at a million distributors, 430 MB of payload: about 2 s of each)."""
    if connection.vendor != "postgresql":
        payload = CloseChunk.objects.values_list("payload", flat=True).get(pk=chunk.pk)
    else:
        cursor = psycopg.Cursor(connection.connection)  # binds on the server: binary results
        try:
            sql = f"SELECT payload FROM {CloseChunk._meta.db_table} WHERE id = %s"
            row = cursor.execute(sql, [chunk.pk], binary=True).fetchone()
            payload = row[0] if row is not None else None
        finally:
            cursor.close()
    if payload is None:
        raise ApplicationError(f"Chunk {chunk.number} of close run {chunk.run_id} has no stored rows.")
    return bytes(payload)


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
            payload = decode_payload(stored_payload(chunk))
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


# --- the COPY layer -----------------------------------------------------------------------------


def write_chunk_rows(run: CloseRun, number: int, payload: ChunkPayload) -> None:
    """Insert a chunk's results, ledger lines and statements; rows already there are left alone."""
    for table, model, columns in (
        ("results", DistributorPeriod, RESULT_COLUMNS),
        ("lines", LedgerLine, LINE_COLUMNS),
        ("statements", Statement, STATEMENT_COLUMNS),
    ):
        _insert(model._meta.db_table, ("run_id", "period_id", *columns), payload.texts[table])


_COPY_PIECE = 8 << 20  # characters written to the COPY stream at a time


def _copy_into(cursor: Any, table: str, names: str, text: str) -> None:
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (NULL '{COPY_NULL}')") as copy:
        for i in range(0, len(text), _COPY_PIECE):
            copy.write(text[i : i + _COPY_PIECE])


def _insert(table: str, columns: Sequence[str], text: str) -> None:
    if not text:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(columns))
            rows = [_parse_copy_line(line) for line in text.splitlines()]
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)
            return
        # The chunk's row lock and claim make rows of this chunk absent in all but a takeover race:
        # COPY straight into the table, and only if a unique key is already there, start again
        # through a scratch table and INSERT ... ON CONFLICT DO NOTHING (about twice the work).
        try:
            with transaction.atomic():
                _copy_into(cursor, table, names, text)
            return
        except (IntegrityError, psycopg_errors.UniqueViolation):
            pass
        scratch = f"close_scratch_{table}"
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(f"CREATE TEMP TABLE {scratch} AS SELECT {names} FROM {table} WITH NO DATA")
        _copy_into(cursor, scratch, names, text)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} ON CONFLICT DO NOTHING")
        cursor.execute(f"DROP TABLE {scratch}")


def _parse_copy_line(line: str) -> tuple:
    """A COPY text line back to values, for databases without COPY (the SQLite demo). A payload
    holds no backslash (encode_payload refuses one), so no field is escaped."""
    values: list[Any] = []
    for field in line.split("\t"):
        if field == COPY_NULL:
            values.append(None)
        elif field in ("True", "False"):
            values.append(field == "True")
        else:
            values.append(field)
    return tuple(values)
