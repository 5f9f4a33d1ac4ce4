"""Redis killed and started again while the close writes its chunks: the queued chunk tasks are
lost with it (no persistence, as a Redis without a volume), and the close finishes by itself."""

from __future__ import annotations

import time

import pytest

from commissions.models import CloseRun

from .closes import (
    RECOVERY_BOUND_SECONDS,
    assert_like_reference,
    reference_close,
    start_final_close,
    wait_until_closed,
)
from .network import fault_network

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

REDIS_DOWN_SECONDS = 2


def test_a_redis_restart_while_chunks_are_written_loses_the_queue_and_the_close_still_finishes(
    supervisor, fault_redis, recovery_times, tmp_path
):
    supervisor.worker()
    supervisor.beat()
    fault_network(tmp_path / "network")
    reference = reference_close()
    run = start_final_close()

    def writing() -> bool:
        run.refresh_from_db()
        return run.phase == "write" and 1 <= run.chunks_done < run.chunks_total - 2

    supervisor.wait_for("the write phase", writing, timeout=120, every=0.02)
    killed = fault_redis.kill()
    run.refresh_from_db()
    written_before = run.chunks_done
    time.sleep(REDIS_DOWN_SECONDS)
    fault_redis.start()
    finished = wait_until_closed(supervisor, run)

    assert 1 <= written_before < run.chunks_total - 2  # most chunk tasks were in the Redis that was lost
    assert_like_reference(run, reference)
    run.refresh_from_db()
    recovery_times.append(
        {
            "faults": f"redis-server SIGKILLed, started again {REDIS_DOWN_SECONDS} s later",
            "pool": "solo",
            "from_kill": finished - killed,
            "chunks_written_before": f"{written_before}/{run.chunks_total}",
            "restarts": supervisor.restarts(),
            "recoveries": run.recoveries,
        }
    )
    assert finished - killed < RECOVERY_BOUND_SECONDS, supervisor.tail()


def test_a_close_started_while_redis_is_down_is_sent_again_by_the_watchdog_once_redis_is_back(
    supervisor, fault_redis, recovery_times, tmp_path
):
    supervisor.worker()
    supervisor.beat()
    fault_network(tmp_path / "network")
    reference = reference_close()
    down = fault_redis.kill()
    # The run and the period's `closing` commit; the message that would start the compute is lost.
    try:
        start_final_close()
    except Exception as lost:  # what the broker's client raises once its retries are spent
        sent = f"not sent: {type(lost).__name__}"
    else:
        sent = "sent (no error)"
    run = CloseRun.objects.get(kind="final")
    assert (run.status, run.period.status) == ("pending", "closing")
    time.sleep(REDIS_DOWN_SECONDS)
    fault_redis.start()
    finished = wait_until_closed(supervisor, run)

    assert_like_reference(run, reference)
    run.refresh_from_db()
    recovery_times.append(
        {
            "faults": f"redis-server down when the close started, back {REDIS_DOWN_SECONDS} s later ({sent})",
            "pool": "solo",
            "from_kill": finished - down,
            "restarts": supervisor.restarts(),
            "recoveries": run.recoveries,
        }
    )
    assert run.recoveries >= 1
    assert finished - down < RECOVERY_BOUND_SECONDS, supervisor.tail()
