"""Transaction-scoped PostgreSQL advisory locks (after Saleor's core/db/locks.py).

Taken before any row lock, so two writers of the same structure queue instead of deadlocking.
On SQLite (the demo) the database itself serialises writers, so the lock is a no-op there.
"""

from __future__ import annotations

import zlib

from django.db import connection, transaction

# Named lock keys: one for every structural write to the sponsor tree.
SPONSOR_TREE_LOCK = "sponsor-tree"


def lock_key(name: str) -> int:
    # A stable signed 64-bit key from a name (crc32 is stable across processes, unlike hash()).
    return zlib.crc32(name.encode("utf-8"))


def advisory_xact_lock(name: str) -> None:
    """Block until this transaction holds the named lock; released at commit or rollback."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("advisory_xact_lock must be taken inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])


def try_advisory_xact_lock(name: str) -> bool:
    """Take the named lock if it is free; False if another transaction holds it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("try_advisory_xact_lock must be taken inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(name)])
        return bool(cursor.fetchone()[0])
