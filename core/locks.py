"""PostgreSQL advisory locks, mostly transaction-scoped (after Saleor's core/db/locks.py).

Taken before any row lock, so two writers of the same structure queue instead of deadlocking.
On SQLite (the demo) the database itself serialises writers, so the lock is a no-op there.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

# Named lock keys: one for every structural write to the sponsor tree.
SPONSOR_TREE_LOCK = "sponsor-tree"
# Prefix of the per-address key "an e-mail address is being claimed" (email_claim_lock).
EMAIL_CLAIM_LOCK = "email-claim"


def lock_key(name: str) -> int:
    # A stable signed 64-bit key from a name (crc32 is stable across processes, unlike hash()).
    return zlib.crc32(name.encode("utf-8"))


def advisory_lock_held(name: str) -> bool:
    """Whether some session holds the named lock now (PostgreSQL's lock table; takes nothing).
    Always False on SQLite, which has no such locks."""
    if connection.vendor != "postgresql":
        return False
    key = lock_key(name)  # one bigint key: classid is its high half, objid its low half, objsubid 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)",
            [key >> 32, key & 0xFFFFFFFF],
        )
        return bool(cursor.fetchone()[0])


def advisory_xact_lock(name: str) -> None:
    """Block until this transaction holds the named lock; released at commit or rollback."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("advisory_xact_lock must be taken inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])


def email_claim_lock(email: str) -> None:
    """Block until this transaction may claim `email` (any case): enrolment, a change of address
    and a customer's registration take it before checking who holds the address, so two claims
    of one address queue and the second sees the first. Taken after SPONSOR_TREE_LOCK, never
    before it."""
    advisory_xact_lock(f"{EMAIL_CLAIM_LOCK}:{email.strip().lower()}")


def try_advisory_xact_lock(name: str) -> bool:
    """Take the named lock if it is free; False if another transaction holds it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("try_advisory_xact_lock must be taken inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(name)])
        return bool(cursor.fetchone()[0])


@contextmanager
def try_advisory_session_lock(name: str) -> Iterator[bool]:
    """Take the named lock for this connection's session if it is free; yields whether it was taken.

    Unlike the transaction locks it outlives commits (a job that commits as it goes), and it is
    released on exit, or by PostgreSQL when the connection ends (a killed worker).
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:  # a broken connection: its end releases the lock
                logger.warning("advisory lock %s not released; the connection's end releases it", name)
