"""Staff move and terminate distributors while a final close lies dead after a crash: the close
resumes from the input frozen at its first compute and writes the ledger it would have written
undisturbed (issue 16: before, the resume failed with "the result differs", and a termination
stranded the period for good)."""

from __future__ import annotations

import time

import pytest

from commissions.models import DistributorPeriod
from distributors.models import Distributor
from distributors.selectors import tree_check
from distributors.services.moves import distributor_move
from distributors.services.status import distributor_terminate

from .closes import (
    RECOVERY_BOUND_SECONDS,
    assert_like_reference,
    reference_close,
    start_final_close,
    wait_until_closed,
)
from .network import fault_network

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def biggest_downline(candidates) -> Distributor:
    return max(candidates, key=lambda node: (node.rght - node.lft, -node.pk))


def test_a_move_and_a_termination_between_a_crash_and_the_recovery_leave_the_ledger_of_an_undisturbed_close(
    supervisor, recovery_times, tmp_path, django_user_model
):
    supervisor.hold = True  # the dead worker stays down while staff work
    supervisor.worker(faults="close.compute.stored:2")
    supervisor.beat()
    fault_network(tmp_path / "network")
    reference = reference_close()
    staff = django_user_model.objects.create_user("operations", is_staff=True)
    run = start_final_close()
    supervisor.wait_for("the worker's death", lambda: supervisor.programs["worker"].deaths, timeout=120)
    run.refresh_from_db()
    assert (run.status, run.phase, run.period.status) == ("running", "compute", "closing")

    # A leader with a big downline moves to another branch; a distributor with a frontline of their
    # own is terminated (the frontline rolls up to their sponsor). Both change every override above.
    root = Distributor.objects.get(sponsor=None)
    branches = list(Distributor.objects.filter(sponsor=root))
    mover = biggest_downline(Distributor.objects.filter(sponsor__in=branches))
    target = next(branch for branch in branches if branch.pk != mover.sponsor_id)
    subtree = Distributor.objects.filter(tree_id=mover.tree_id, lft__gte=mover.lft, rght__lte=mover.rght)
    moved = set(subtree.values_list("pk", flat=True))
    leaver = biggest_downline(
        node
        for node in Distributor.objects.exclude(pk__in=moved).exclude(pk__in=[root.pk, target.pk])
        if node.rght - node.lft > 1
    )
    frontline = set(Distributor.objects.filter(sponsor=leaver).values_list("pk", flat=True))
    distributor_move(distributor=mover, new_sponsor=target, actor=staff, reason="Fault test: moved mid-close")
    distributor_terminate(distributor=leaver, actor=staff, reason="Fault test: left mid-close")
    assert tree_check().ok
    assert Distributor.objects.filter(sponsor=leaver).count() == 0 and len(frontline) >= 1

    released = time.time()
    supervisor.release()
    finished = wait_until_closed(supervisor, run)
    assert_like_reference(run, reference)
    # The close saw the tree as it was when it started: the mover under their old sponsor, the
    # leaver's frontline still under the leaver.
    results = DistributorPeriod.objects.filter(run=run)
    in_period = dict(results.values_list("distributor_id", "sponsor_id_in_period"))
    assert in_period[mover.pk] == mover.sponsor_id != target.pk
    assert {in_period[pk] for pk in frontline} == {leaver.pk}
    killed = supervisor.fired()["close.compute.stored"]
    run.refresh_from_db()
    recovery_times.append(
        {
            "faults": "close.compute.stored:2, then a move and a termination, then the worker restarted",
            "pool": "solo",
            "from_kill": finished - killed,
            "from_restart": finished - released,
            "restarts": supervisor.restarts(),
            "recoveries": run.recoveries,
        }
    )
    assert supervisor.restarts() == 1 and run.recoveries >= 1
    # The bound counts from the restart: staff took their time before it.
    assert finished - released < RECOVERY_BOUND_SECONDS, supervisor.tail()
