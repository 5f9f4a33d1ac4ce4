"""A worker killed (SIGKILL) at a fault point of the close: the close finishes by itself.

No rerun of close_period, no staff action: the supervisor only starts a dead worker again, as
systemd or a container's restart policy would, and Celery beat sends the close watchdog. Each test
ends with the ledger, statements, results and compliance report of an undisturbed close of the same
data, the period closed and one report, within RECOVERY_BOUND_SECONDS of the (last) kill.

A solo worker is one process: a kill takes the whole worker and its unacknowledged task, which
Redis keeps for the visibility timeout (hours): only the watchdog brings it back. A prefork worker
loses a pool child: the parent sees it die and hands its task back to Redis (reject on worker lost),
and the child that replaces it inherits BACKOFFICE_FAULTS (the state directory stops it dying again).
"""

from __future__ import annotations

import pytest

from .closes import (
    RECOVERY_BOUND_SECONDS,
    assert_like_reference,
    reference_close,
    start_final_close,
    wait_until_closed,
)
from .harness import WATCHDOG_SECONDS, own_hosts_possible
from .network import fault_network

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def killed_and_recovered(supervisor, recovery_times, tmp_path, *, faults: str, pool: str = "solo", **worker):
    """Import the network, compute the reference, start workers (armed with `faults`) and beat, start
    the final close and wait for it; assert it equals the reference; the run and the reference."""
    # Worker and beat boot (seconds of imports) while the data is loaded; nothing is queued yet.
    supervisor.worker(faults=faults, pool=pool, concurrency=1 if pool == "solo" else 2, **worker)
    supervisor.beat()
    fault_network(tmp_path / "network")
    reference = reference_close()
    run = start_final_close()
    finished = wait_until_closed(supervisor, run)

    armed = {item.partition(":")[0] for item in faults.split(",")}
    # A point after finalize's commit fires once the worker has run the commit's callbacks (the
    # notifications queue their task there): the period may look closed a moment before the kill.
    supervisor.wait_for("the armed faults", lambda: set(supervisor.fired()) >= armed, timeout=10)
    fired = supervisor.fired()
    assert set(fired) == armed, f"armed {sorted(armed)}, fired {sorted(fired)}\n{supervisor.tail()}"
    assert_like_reference(run, reference)
    run.refresh_from_db()
    first, last = min(fired.values()), max(fired.values())
    recovery_times.append(
        {
            "faults": faults,
            "pool": pool,
            "from_kill": finished - last,
            "from_first_kill": finished - first,
            "restarts": supervisor.restarts(),
            "recoveries": run.recoveries,
        }
    )
    assert finished - last < RECOVERY_BOUND_SECONDS, supervisor.tail()
    return run, reference


def test_a_worker_killed_as_the_compute_starts_is_restarted_and_the_watchdog_queues_the_compute_again(
    supervisor, recovery_times, tmp_path
):
    run, _ = killed_and_recovered(supervisor, recovery_times, tmp_path, faults="close.compute.started:1")
    assert supervisor.restarts() == 1
    assert run.recoveries >= 1  # the compute's message sat unacknowledged in Redis: the watchdog sent it


def test_a_worker_killed_after_three_chunks_are_stored_resumes_the_compute_from_the_frozen_input(
    supervisor, recovery_times, tmp_path
):
    run, _ = killed_and_recovered(supervisor, recovery_times, tmp_path, faults="close.compute.stored:3")
    assert supervisor.restarts() == 1 and run.recoveries >= 1


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_a_worker_killed_inside_a_chunks_write_transaction_has_its_dead_claim_taken_over(
    supervisor, recovery_times, tmp_path, pool
):
    faults = "close.chunk.writing:2"
    run, _ = killed_and_recovered(supervisor, recovery_times, tmp_path, faults=faults, pool=pool)
    # The chunk's rows were copied but never committed: it was written again, by a later claim.
    assert max(run.chunks.values_list("attempts", flat=True)) >= 2


def test_a_worker_killed_after_a_chunk_committed_leaves_nothing_to_redo_but_the_rest(
    supervisor, recovery_times, tmp_path
):
    run, _ = killed_and_recovered(supervisor, recovery_times, tmp_path, faults="close.chunk.written:4")
    assert supervisor.restarts() == 1
    # The restarted worker takes the chunk tasks still queued; none is written twice.
    assert set(run.chunks.values_list("attempts", flat=True)) == {1}


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_a_worker_killed_just_after_finalize_committed_leaves_the_period_closed_with_its_report(
    supervisor, recovery_times, tmp_path, pool
):
    # The report is written in finalize's transaction: a kill after its commit cannot lose it.
    faults = "close.finalize.committed:1"
    run, reference = killed_and_recovered(supervisor, recovery_times, tmp_path, faults=faults, pool=pool)
    report = run.compliance_reports.get()
    # The worker restarted and the watchdog ran: nothing is done twice, nothing changes.
    supervisor.carry_on(2 * WATCHDOG_SECONDS + 1)
    assert supervisor.restarts() == (1 if pool == "solo" else 0)
    assert run.compliance_reports.get().computed_at == report.computed_at
    assert_like_reference(run, reference)


def test_a_worker_killed_twice_in_one_close_claiming_and_then_writing_a_chunk_on_hosts_of_their_own(
    supervisor, recovery_times, tmp_path
):
    # The restarted worker keeps its faults; the state directory lets each fire once: the first
    # start dies on its first claim, the second in its third chunk's transaction, the third finishes.
    # Each start has a host name of its own (a replaced container): the dead claims are known by
    # their chunks' row locks alone (close_chunk_claim), not by a pid of this host.
    if not own_hosts_possible():
        pytest.skip("needs `unshare --uts` (root) to give each worker a host name of its own")
    run, _ = killed_and_recovered(
        supervisor, recovery_times, tmp_path, faults="close.chunk.claimed:1,close.chunk.writing:3",
        keep_faults=True, own_host=True,
    )  # fmt: skip
    assert supervisor.restarts() == 2 and run.recoveries >= 2
    claims = set(run.chunks.values_list("claimed_by", flat=True))
    assert {claim.partition(":")[0] for claim in claims} <= {"worker-host-2", "worker-host-3"}
