"""Fault points: named places where a test can kill this process, as a crash would (SIGKILL).

The fault tests (tests/faults, `make test-faults`, RELIABILITY.md) start real Celery workers with
BACKOFFICE_FAULTS set, e.g. `close.chunk.written:2` (die the second time a chunk has been written)
or `close.compute.stored:1,close.finalize.committed:1`; with BACKOFFICE_FAULTS_STATE naming a
directory, each fault fires once across every process that shares it (a pool child respawned
after the kill inherits the same environment and must not die again). Unset, as everywhere but in those tests,
a fault point costs one dictionary lookup. A kill here is a real crash: no `finally`, no rollback
sent, no task acknowledged; the database and the broker see what they would see if the machine
lost power, which is what the recovery has to survive.
"""

from __future__ import annotations

import os
import signal
import threading

_ENVIRONMENT = "BACKOFFICE_FAULTS"
_STATE = "BACKOFFICE_FAULTS_STATE"
_hits: dict[str, int] = {}
_lock = threading.Lock()


def _armed() -> dict[str, int]:
    spec = os.environ.get(_ENVIRONMENT, "")
    armed: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, nth = item.partition(":")
        armed[name] = int(nth or 1)
    return armed


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL if BACKOFFICE_FAULTS arms `name` and this is its nth hit."""
    if _ENVIRONMENT not in os.environ:
        return
    nth = _armed().get(name)
    if nth is None:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] != nth:
            return
    state = os.environ.get(_STATE)
    if state:
        try:  # the first process to create the marker fires; the others carry on
            os.close(os.open(os.path.join(state, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGKILL)
