"""Twenty writers at once, each on its own connection: the tree lock keeps the nested sets whole."""

import threading

import pytest
from django.db import connection

from distributors.models import Distributor
from distributors.services import distributor_enroll, distributor_move

from .factories import DistributorFactory, StaffFactory
from .helpers import assert_tree_ok


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_enrollments_and_moves_keep_the_tree_whole():
    staff = StaffFactory()
    root = DistributorFactory(first_name="Root")
    branches = [DistributorFactory(sponsor=root, first_name=f"Branch{i}") for i in range(6)]
    # Leaves to move, each under a branch; every move targets another branch, never a downline.
    leaves = [DistributorFactory(sponsor=branches[i], first_name=f"Leaf{i}") for i in range(6)]
    moves = {leaves[i].pk: branches[(i + 1) % 6].pk for i in range(6)}
    enrollment_sponsors = [branches[i % 6] if i % 2 else leaves[i % 6] for i in range(14)]

    barrier = threading.Barrier(20, timeout=60)
    errors: list[BaseException] = []
    enrolled: dict[int, int] = {}

    def enroll(i: int) -> None:
        try:
            barrier.wait()
            new = distributor_enroll(
                sponsor_id=enrollment_sponsors[i].pk,
                first_name="Recruit",
                last_name=str(i),
                email=f"recruit{i}@example.nl",
            )
            enrolled[new.pk] = enrollment_sponsors[i].pk
        except BaseException as exc:  # noqa: B036 - reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    def move(i: int) -> None:
        try:
            barrier.wait()
            distributor_move(
                distributor=leaves[i],
                new_sponsor=Distributor(pk=moves[leaves[i].pk]),
                actor=staff,
                reason=f"Concurrent move {i}",
            )
        except BaseException as exc:  # noqa: B036
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enroll, args=(i,)) for i in range(14)]
    threads += [threading.Thread(target=move, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(enrolled) == 14
    links = dict(Distributor.objects.values_list("id", "sponsor_id"))
    assert {pk: links[pk] for pk in enrolled} == enrolled
    assert {pk: links[pk] for pk in moves} == moves
    assert len(links) == 1 + 6 + 6 + 14
    assert_tree_ok()
