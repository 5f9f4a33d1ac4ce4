"""Numbering the nested sets from the sponsor links, iteratively and in bulk.

django-mptt's `rebuild()` is recursive (a sponsor chain of thousands of levels overflows the
stack) and writes one row at a time (it did not finish on a million rows). This numbers every
tree in one iterative depth-first pass over (id, sponsor_id) pairs and writes back only the rows
whose numbers changed: through a temporary table and COPY on PostgreSQL, bulk_update elsewhere.
Callers must hold the sponsor-tree advisory lock (see `distributors.services`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import ngettext

from core.errors import ApplicationError

from .models import Distributor


@dataclass(frozen=True, slots=True)
class TreeNumbers:
    tree_id: int
    lft: int
    rght: int
    level: int


def compute_numbering(links: Iterable[tuple[int, int | None]]) -> dict[int, TreeNumbers]:
    """Nested-set numbers for every node, children in id order, trees in root-id order.

    Raises ApplicationError naming the nodes that no root reaches (a sponsor cycle or a
    sponsor that does not exist).
    """
    children: dict[int | None, list[int]] = {}
    nodes: set[int] = set()
    for node_id, sponsor_id in links:
        nodes.add(node_id)
        children.setdefault(sponsor_id, []).append(node_id)
    for kids in children.values():
        kids.sort()

    numbers: dict[int, TreeNumbers] = {}
    roots = children.get(None, [])
    for tree_id, root in enumerate(roots, start=1):
        counter = 1
        lft_of: dict[int, int] = {}
        # Stack of (node, level, index of the next child to visit).
        stack: list[list[int]] = [[root, 0, 0]]
        lft_of[root] = counter
        counter += 1
        while stack:
            frame = stack[-1]
            node, level, next_child = frame
            kids = children.get(node)
            if kids is not None and next_child < len(kids):
                frame[2] += 1
                child = kids[next_child]
                lft_of[child] = counter
                counter += 1
                stack.append([child, level + 1, 0])
            else:
                numbers[node] = TreeNumbers(tree_id, lft_of.pop(node), counter, level)
                counter += 1
                stack.pop()

    unreached = nodes - numbers.keys()
    if unreached:
        sample = sorted(unreached)[:10]
        raise ApplicationError(
            ngettext(
                "%(count)d distributor(s) are not under any root (a sponsor cycle or a missing sponsor), "
                "e.g. ids %(sample)s.",
                "%(count)d distributor(s) are not under any root (a sponsor cycle or a missing sponsor), "
                "e.g. ids %(sample)s.",
                len(unreached),
            )
            % {"count": len(unreached), "sample": sample}
        )
    return numbers


def renumber_trees() -> int:
    """Renumber every tree from the sponsor links; returns how many rows changed.

    Must run inside a transaction holding the sponsor-tree lock.
    """
    links = Distributor.objects.values_list("id", "sponsor_id").iterator(chunk_size=20_000)
    numbers = compute_numbering(links)
    current = Distributor.objects.values_list("id", "tree_id", "lft", "rght", "level").iterator(
        chunk_size=20_000
    )
    changed = [
        (node_id, n.tree_id, n.lft, n.rght, n.level)
        for node_id, tree_id, lft, rght, level in current
        if (n := numbers[node_id]) != TreeNumbers(tree_id, lft, rght, level)
    ]
    if not changed:
        return 0
    if connection.vendor == "postgresql":
        _write_back_postgresql(changed)
    else:
        _write_back_generic(changed)
    return len(changed)


def _write_back_postgresql(rows: list[tuple[int, int, int, int, int]]) -> None:
    table = Distributor._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE tree_numbers (id bigint PRIMARY KEY, tree_id int, lft int, rght int, "
            "level int) ON COMMIT DROP"
        )
        with cursor.copy("COPY tree_numbers (id, tree_id, lft, rght, level) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"UPDATE {table} AS d SET tree_id = n.tree_id, lft = n.lft, rght = n.rght, level = n.level "
            "FROM tree_numbers AS n WHERE d.id = n.id"
        )
        cursor.execute("DROP TABLE tree_numbers")


def _write_back_generic(rows: list[tuple[int, int, int, int, int]]) -> None:
    batch = []
    for node_id, tree_id, lft, rght, level in rows:
        batch.append(Distributor(id=node_id, tree_id=tree_id, lft=lft, rght=rght, level=level))
        if len(batch) >= 5_000:
            Distributor.objects.bulk_update(batch, ["tree_id", "lft", "rght", "level"])
            batch = []
    if batch:
        Distributor.objects.bulk_update(batch, ["tree_id", "lft", "rght", "level"])
