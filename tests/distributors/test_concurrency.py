"""Twenty writers at once, each on its own connection: the tree lock keeps the nested sets whole."""

import threading

import pytest
from django.db import connection

from distributors.models import Distributor
from distributors.services.enrollment import distributor_enroll
from distributors.services.moves import distributor_move

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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("claim", ["enrollment", "profile"])
def test_two_claims_of_one_address_queue_and_the_second_is_refused(claim):
    """An enrolment or a change of address and a customer's registration of the same address:
    the registration waits for the claim's commit and then refuses it (core.locks.email_claim_lock)."""
    from core.errors import AddressUnavailable
    from distributors.services.profile import distributor_update_profile
    from orders.models import Customer
    from orders.services.customers import customer_register

    staff = StaffFactory()
    root = DistributorFactory(first_name="Root")
    anna = DistributorFactory(sponsor=root, first_name="Anna", email="anna@example.nl")
    claimed, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    refused: list[BaseException] = []

    def first() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                if claim == "enrollment":
                    distributor_enroll(
                        sponsor=root, first_name="Nina", last_name="N", email="nina@example.nl"
                    )
                else:
                    distributor_update_profile(distributor=anna, actor=staff, email="nina@example.nl")
                claimed.set()
                release.wait(10)
        except BaseException as exc:  # noqa: B036
            errors.append(exc)
        finally:
            claimed.set()
            connection.close()

    def second() -> None:
        try:
            customer_register(distributor=root, first_name="Nina", email="NINA@example.nl")
        except AddressUnavailable as exc:
            refused.append(exc)
        except BaseException as exc:  # noqa: B036
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=first)
    a.start()
    assert claimed.wait(10)
    b = threading.Thread(target=second)
    b.start()
    b.join(1)
    waited = b.is_alive()  # blocked on the claim of the same address
    release.set()
    a.join()
    b.join()
    assert (errors, waited, len(refused)) == ([], True, 1)
    assert not Customer.objects.filter(email__iexact="nina@example.nl").exists()


@pytest.mark.django_db(transaction=True)
def test_enrollments_moves_and_terminations_racing_in_a_crowded_label_space(monkeypatch):
    """Issue 17: with labels so tight that gaps run out and windows are spread again while the
    writers race, every write either lands whole or is refused, and every read stays exact."""
    from core.errors import ApplicationError
    from distributors import tree
    from distributors.services.status import distributor_terminate

    from .test_sparse_labels import assert_reads_equal_the_sponsor_links

    monkeypatch.setattr(tree, "SPACE", 2**14)
    staff = StaffFactory()
    root = DistributorFactory(first_name="Root")
    branches = [DistributorFactory(sponsor=root, first_name=f"Branch{i}") for i in range(4)]
    kids = [DistributorFactory(sponsor=branches[i % 4], first_name=f"Kid{i}") for i in range(8)]
    barrier = threading.Barrier(16, timeout=60)
    errors: list[BaseException] = []

    def run(write) -> None:
        try:
            barrier.wait()
            write()
        except ApplicationError:
            pass  # refused (e.g. a move onto a sponsor terminated meanwhile): nothing changed
        except BaseException as exc:  # noqa: B036 - reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    writes = [
        lambda i=i: distributor_enroll(
            sponsor_id=kids[i % 8].pk, first_name="Recruit", last_name=str(i), email=f"r{i}@example.nl"
        )
        for i in range(10)
    ]
    writes += [
        lambda i=i: distributor_move(
            distributor=kids[i],
            new_sponsor=Distributor(pk=branches[(i + 1) % 4].pk),
            actor=staff,
            reason="race",
        )
        for i in range(4)
    ]
    writes += [
        lambda i=i: distributor_terminate(distributor=branches[i], actor=staff, reason="race") for i in (2, 3)
    ]
    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Distributor.objects.filter(first_name="Recruit").count() == 10
    assert_reads_equal_the_sponsor_links()
