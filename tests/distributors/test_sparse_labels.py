"""Sparse nested-set labels (issue 17, ADR 0011): enrolling and moving write a bounded part of the
tree, the labels of a used-up gap are spread again, and every read stays exact throughout.

The label space is made tiny here (distributors.tree.SPACE) so that gaps run out after a few
enrollments and the relabelling runs all the time; on a real network it runs rarely.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import ApplicationError
from distributors import tree
from distributors.models import Distributor, DistributorStatus
from distributors.selectors import (
    downline,
    downline_count,
    downline_counts_by_level,
    downline_page,
    is_in_downline,
    legs,
    tree_check,
    upline,
)
from distributors.services.enrollment import distributor_enroll
from distributors.services.moves import distributor_move
from distributors.services.status import distributor_terminate

from .factories import DistributorFactory

pytestmark = pytest.mark.django_db


def enroll(sponsor: Distributor | None, name: str) -> Distributor:
    return distributor_enroll(sponsor=sponsor, first_name=name, last_name="Test", email=f"{name}@example.nl")


def labels() -> dict[int, tuple[int, int, int]]:
    return {
        pk: (tree_id, lft, rght)
        for pk, tree_id, lft, rght in Distributor.objects.values_list("pk", "tree_id", "lft", "rght")
    }


def naive_downlines() -> dict[int, set[int]]:
    """Everyone below each distributor, by walking the sponsor links: the truth."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, sponsor_id in Distributor.objects.values_list("pk", "sponsor_id"):
        children[sponsor_id].append(pk)
    below: dict[int, set[int]] = {}
    for pk in Distributor.objects.values_list("pk", flat=True):
        found, stack = set(), list(children[pk])
        while stack:
            node = stack.pop()
            found.add(node)
            stack.extend(children[node])
        below[pk] = found
    return below


def assert_reads_equal_the_sponsor_links(sample: int | None = None) -> None:
    """tree_check, then every read against the walk: for every distributor, or for `sample` of
    them spread over the ids (the state machine's steps, to stay quick)."""
    report = tree_check()
    assert report.problems == [] and report.ok
    truth = naive_downlines()
    sponsors = dict(Distributor.objects.values_list("pk", "sponsor_id"))
    checked = sorted(truth)
    if sample is not None:
        checked = checked[:: max(1, len(checked) // sample)]
    for pk in checked:
        below = truth[pk]
        assert set(downline(pk).values_list("pk", flat=True)) == below, pk
        assert downline_count(pk) == len(below)
        assert sum(downline_counts_by_level(pk).values()) == len(below)
        chain, up = [], sponsors[pk]
        while up is not None:
            chain.append(up)
            up = sponsors[up]
        assert [d.pk for d in upline(pk)] == chain[::-1]
        assert sorted((leg.distributor.pk, leg.size) for leg in legs(pk)) == sorted(
            (child, len(truth[child]) + 1) for child, sponsor in sponsors.items() if sponsor == pk
        )
    some = checked[:6]
    for a in some:
        for b in some:
            assert is_in_downline(a, b) == (b in truth[a])


@pytest.fixture
def tiny_space(monkeypatch):
    monkeypatch.setattr(tree, "SPACE", 2**14)


def test_an_enrollment_writes_the_new_row_and_the_sizes_above_it_only(db):
    root = enroll(None, "root")
    leaders = [enroll(root, f"leader{i}") for i in range(3)]
    members = [enroll(leaders[1], f"member{i}") for i in range(3)]
    before = labels()
    recruit = enroll(members[0], "recruit")
    after = labels()
    # Nobody else's labels moved (django-mptt shifted every label right of the insertion point).
    assert {pk: value for pk, value in after.items() if pk != recruit.pk} == before
    sizes = dict(Distributor.objects.values_list("pk", "downline_size"))
    assert (sizes[root.pk], sizes[leaders[1].pk], sizes[members[0].pk], sizes[recruit.pk]) == (7, 4, 1, 0)
    assert sizes[leaders[0].pk] == sizes[members[1].pk] == 0
    assert_reads_equal_the_sponsor_links()


def test_used_up_gaps_are_spread_again_and_the_tree_stays_exact(tiny_space, monkeypatch):
    relabelled = []
    relabel = tree._relabel_window
    monkeypatch.setattr(tree, "_relabel_window", lambda *a: relabelled.append(relabel(*a)) or relabelled[-1])
    root = enroll(None, "root")
    # One leader enrolling again and again at the same place, and a chain growing deeper: both
    # use up their gaps within a few steps in a 2**14 space.
    leader = enroll(root, "leader")
    for i in range(40):
        enroll(leader, f"fan{i}")
    node = root
    for i in range(12):
        node = enroll(node, f"deep{i}")
    assert Distributor.objects.count() == 54
    # Windows were spread again, each far smaller than the tree.
    assert len(relabelled) >= 5 and max(relabelled) < 54
    assert_reads_equal_the_sponsor_links()


def test_a_full_space_is_refused_with_a_clear_error_and_changes_nothing(monkeypatch):
    monkeypatch.setattr(tree, "SPACE", 2**6)
    root = enroll(None, "root")
    enrolled = 0
    with pytest.raises(ApplicationError, match="no room left"):
        for i in range(64):
            with transaction.atomic():
                enroll(root, f"n{i}")
            enrolled += 1
    assert Distributor.objects.count() == enrolled + 1
    assert_reads_equal_the_sponsor_links()


def test_a_move_writes_the_subtree_and_the_sizes_of_both_sponsor_chains_only(db):
    staff = get_user_model().objects.create_user("ops", "ops@example.nl", "x", is_staff=True)
    root = enroll(None, "root")
    left, right = enroll(root, "left"), enroll(root, "right")
    head = enroll(left, "head")
    subtree = [head, *(enroll(head, f"s{i}") for i in range(3))]
    subtree.append(enroll(subtree[1], "s1a"))
    bystanders = [enroll(right, "r0"), enroll(left, "l1")]
    before = labels()
    distributor_move(distributor=head, new_sponsor=right, actor=staff, reason="Agreed")
    after = labels()
    moved = {node.pk for node in subtree}
    assert {pk: v for pk, v in after.items() if pk not in moved} == {
        pk: v for pk, v in before.items() if pk not in moved
    }
    sizes = dict(Distributor.objects.values_list("pk", "downline_size"))
    assert (sizes[left.pk], sizes[right.pk], sizes[root.pk]) == (1, 6, 9)
    assert [node.level for node in Distributor.objects.filter(pk__in=moved).order_by("lft")] == [
        2,
        3,
        4,
        3,
        3,
    ]
    assert all(node.pk in before for node in bystanders)
    assert_reads_equal_the_sponsor_links()


def test_a_termination_keeps_every_label_and_lifts_the_downline_one_level(db):
    staff = get_user_model().objects.create_user("ops", "ops@example.nl", "x", is_staff=True)
    root = enroll(None, "root")
    leader = enroll(root, "leader")
    kids = [enroll(leader, f"k{i}") for i in range(3)]
    grandkid = enroll(kids[0], "g")
    before = labels()
    distributor_terminate(distributor=leader, actor=staff, reason="Left")
    after = labels()
    assert {pk: v for pk, v in after.items() if pk != leader.pk} == {
        pk: v for pk, v in before.items() if pk != leader.pk
    }
    leader.refresh_from_db()
    assert (leader.downline_size, leader.status, leader.is_leaf_node()) == (
        0,
        DistributorStatus.TERMINATED,
        True,
    )
    assert Distributor.objects.get(pk=grandkid.pk).level == 2
    assert_reads_equal_the_sponsor_links()


class TreeMachine(RuleBasedStateMachine):
    """Any sequence of enrollments, moves and terminations, in a label space small enough that
    gaps run out all the time: every read equals a walk of the sponsor links after each step."""

    staff = None

    def __init__(self):
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.count = 0
        self.root = self.enroll(None)

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    def enroll(self, sponsor):
        self.count += 1
        return enroll(sponsor, f"m{self.count}")

    def live(self) -> list[int]:
        return list(
            Distributor.objects.exclude(status=DistributorStatus.TERMINATED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def pick(self, data) -> Distributor | None:
        """A distributor who is not terminated; None once everyone is (a lone root can be)."""
        live = self.live()
        return Distributor.objects.get(pk=data.draw(st.sampled_from(live))) if live else None

    @rule(data=st.data())
    def enroll_under_anyone(self, data):
        self.enroll(self.pick(data))

    @rule(data=st.data(), times=st.integers(2, 6))
    def enroll_many_under_one(self, data, times):
        sponsor = self.pick(data)
        for _ in range(times):
            self.enroll(sponsor)

    @rule(data=st.data())
    def move(self, data):
        live = self.live()
        if not live:
            return
        node, target = data.draw(st.sampled_from(live)), data.draw(st.sampled_from(live))
        try:
            with transaction.atomic():
                distributor_move(
                    distributor=Distributor(pk=node),
                    new_sponsor=Distributor(pk=target),
                    actor=self.staff,
                    reason="x",
                )
        except ApplicationError:
            pass  # into its own downline, onto its sponsor, a root: refused, nothing changed

    @rule(data=st.data())
    def terminate(self, data):
        node = self.pick(data)
        if node is None:
            return
        try:
            with transaction.atomic():
                distributor_terminate(distributor=node, actor=self.staff, reason="x")
        except ApplicationError:
            pass  # a root with a frontline

    @invariant()
    def reads_equal_the_sponsor_links(self):
        assert_reads_equal_the_sponsor_links(sample=8)


def test_any_sequence_of_enrollments_moves_and_terminations_keeps_every_read_exact(tiny_space):
    TreeMachine.staff = get_user_model().objects.create_user("ops", "ops@example.nl", "x", is_staff=True)
    run_state_machine_as_test(
        TreeMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            database=None,
        ),
    )


def test_the_factory_and_plain_creates_place_nodes_too(db):
    root = DistributorFactory()
    child = Distributor.objects.create(
        sponsor=root, first_name="Plain", last_name="Create", email="p@example.nl", external_id="P1",
        referral_code="PLAIN001", enrolled_at=root.enrolled_at,
    )  # fmt: skip
    assert (child.level, child.tree_id) == (1, root.tree_id)
    assert downline_count(root) == 1 and downline_page(root).total == 1
    with pytest.raises(ValueError, match="distributor_move"):
        child.sponsor = None
        child.save()
    assert_reads_equal_the_sponsor_links()
