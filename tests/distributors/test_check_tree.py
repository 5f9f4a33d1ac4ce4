import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock
from distributors.models import Distributor
from distributors.selectors import downline_count, tree_check, tree_diagnosis, upline
from distributors.tree import renumber_trees

from .helpers import assert_tree_ok


def test_clean_tree_passes(network, capsys):
    call_command("check_tree")
    assert "7 distributor(s) in 1 tree(s): OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        (lambda n: dict(lft=n["dirk"].rght - 1, rght=n["dirk"].rght), "repeated"),
        (lambda n: dict(level=5), "level 5, but it is 2 deep"),
        (lambda n: dict(rght=n["anna"].rght + 1), "crosses"),
        (lambda n: dict(downline_size=3), "downline size 3, but 0 below it"),
    ],
    ids=["repeated", "level", "crosses", "size"],
)
def test_corruption_is_reported_and_fixed(network, capsys, corrupt, expected):
    for node in network.values():
        node.refresh_from_db()
    # Dirk's label taken by another node: Cor (Bram's recruit) ends where Dirk ends.
    if expected == "repeated":
        Distributor.objects.filter(pk=network["cor"].pk).update(rght=network["dirk"].rght)
    else:
        Distributor.objects.filter(pk=network["dirk"].pk).update(**corrupt(network))
    report = tree_check()
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems
    with pytest.raises(CommandError, match="Sponsor tree is corrupt"):
        call_command("check_tree")
    call_command("check_tree", "--fix")
    out = capsys.readouterr().out
    assert "Renumbered" in out
    assert out.rstrip().endswith("7 distributor(s) in 1 tree(s): OK")
    assert_tree_ok()


def test_sponsor_link_disagreeing_with_nested_sets_is_reported(network):
    # The sponsor link is the truth: changing it alone leaves the nested sets behind.
    Distributor.objects.filter(pk=network["cor"].pk).update(sponsor=network["fenna"])
    problems = tree_check().problems
    assert problems == [
        f"node {network['cor'].pk}: sponsor is {network['fenna'].pk} but the nested sets place it "
        f"under {network['bram'].pk}"
    ]
    call_command("check_tree", "--fix")
    assert [d.first_name for d in upline(network["cor"])] == ["Root", "Eva", "Fenna"]


def _corruptions(nodes):
    """Every small damage to one node's numbers or links, and swapped numbers of two nodes."""
    for node in nodes:
        for column in ("lft", "rght", "level", "tree_id", "downline_size"):
            for delta in (-2, -1, 1, 2):
                yield node, {column: F(column) + delta}
        for sponsor in [None, *nodes]:
            if sponsor != node and sponsor != node.sponsor:
                yield node, {"sponsor": sponsor}
        for other in nodes:
            if other.pk < node.pk:
                yield node, {"lft": other.lft, "rght": other.rght}


def test_quick_verdict_agrees_with_the_diagnosis_on_every_small_corruption(network):
    # The close trusts tree_check's two SQL passes alone; the row-by-row diagnosis is the
    # reference. Each corruption is rolled back before the next.
    nodes = list(Distributor.objects.order_by("pk"))
    checked = 0
    for node, change in _corruptions(nodes):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Distributor.objects.filter(pk=node.pk).update(**change)
            except IntegrityError:  # below zero: the table's own checks refuse it
                continue
            quick, reference = tree_check(), tree_diagnosis()
            assert quick.ok == reference.ok, (node.first_name, change, quick.problems, reference.problems)
            if not quick.ok:
                assert quick.problems == reference.problems
            checked += 1
            transaction.set_rollback(True)
    assert checked > 120
    assert tree_check().ok


def test_quick_verdict_counts_trees_and_nodes(network):
    report = tree_check()
    assert (report.trees, report.nodes, report.problems) == (1, 7, [])


def test_two_roots_in_one_tree(network):
    Distributor.objects.filter(pk=network["eva"].pk).update(sponsor=None)
    problems = tree_check().problems
    assert any("2 roots" in p for p in problems), problems


@pytest.mark.slow
def test_ten_thousand_deep_chain_renumbers_and_checks(db):
    depth = 10_000
    now = timezone.now()
    # Ids from the sequence first, so every row is created already linked to its sponsor
    # (foreign keys are checked at commit on PostgreSQL).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Distributor._meta.db_table, depth],
        )
        ids = [row[0] for row in cursor.fetchall()]
    nodes = Distributor.objects.bulk_create(
        Distributor(
            id=node_id,
            sponsor_id=ids[i - 1] if i else None,
            external_id=f"C{i}",
            first_name="Chain",
            last_name=str(i),
            email=f"chain{i}@example.nl",
            enrolled_at=now,
            referral_code=f"C{i}",
            lft=0,
            rght=0,
            tree_id=0,
            level=0,
        )
        for i, node_id in enumerate(ids)
    )
    with transaction.atomic():
        advisory_xact_lock(SPONSOR_TREE_LOCK)
        assert renumber_trees() == depth
    assert_tree_ok()
    deepest = Distributor.objects.get(pk=nodes[-1].pk)
    root = Distributor.objects.get(pk=nodes[0].pk)
    # Positions depth and depth + 1 of 2 * depth, spread over the label space (ADR 0011).
    spacing = root.lft
    assert (deepest.level, deepest.lft, deepest.rght) == (depth - 1, depth * spacing, (depth + 1) * spacing)
    assert downline_count(nodes[0]) == depth - 1
    assert len(upline(deepest)) == depth - 1
