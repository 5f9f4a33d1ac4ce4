"""distributors 0007 on a populated tree: contiguous numbers become spread labels with their downline
sizes, the tree checks clean, and the way back gives the contiguous numbers again (ADR 0011).

The test suite's database is migrated while empty; this runs the migration over rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from distributors.selectors import tree_check

BEFORE = [("distributors", "0006_erasure_request")]
AFTER = [("distributors", "0009_search_trigram_index")]

# id: (sponsor, lft, rght, level) in the contiguous numbering of 0006:
# 1 ─ 2 ─ 4
# │   └ 5
# └ 3
TREE = {1: (None, 1, 10, 0), 2: (1, 2, 7, 1), 4: (2, 3, 4, 2), 5: (2, 5, 6, 2), 3: (1, 8, 9, 1)}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_contiguous_numbers_become_spread_labels_and_back():
    try:
        old = migrate(BEFORE)
        Distributor = old.get_model("distributors", "Distributor")
        for pk, (sponsor, lft, rght, level) in TREE.items():
            Distributor.objects.create(
                id=pk, sponsor_id=sponsor, lft=lft, rght=rght, level=level, tree_id=1,
                external_id=f"M{pk}", first_name="M", last_name=str(pk), email=f"m{pk}@example.nl",
                referral_code=f"MIGR{pk:04d}", enrolled_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )  # fmt: skip

        new = migrate(AFTER)
        rows = {
            pk: (lft, rght, size)
            for pk, lft, rght, size in new.get_model("distributors", "Distributor").objects.values_list(
                "pk", "lft", "rght", "downline_size"
            )
        }
        spacing = 2**62 // (2 * len(TREE) + 2)
        assert rows == {
            pk: (lft * spacing, rght * spacing, (rght - lft - 1) // 2)
            for pk, (_, lft, rght, _) in TREE.items()
        }
        assert tree_check().ok

        back = migrate(BEFORE)
        numbers = dict(
            (pk, (lft, rght))
            for pk, lft, rght in back.get_model("distributors", "Distributor").objects.values_list(
                "pk", "lft", "rght"
            )
        )
        assert numbers == {pk: (lft, rght) for pk, (_, lft, rght, _) in TREE.items()}
    finally:
        # Every app's newest migration again: going back to 0006 also unapplied the other apps'
        # migrations that depend on a later distributors one (the transactional tests after this
        # one need them all).
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM distributors_distributor")
