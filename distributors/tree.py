"""The nested sets as sparse labels: numbering from the sponsor links, and placing one node or one
subtree without renumbering the tree (ADR 0011).

lft and rght are labels in [1, SPACE) per tree, not the positions 1..2n: a numbering spreads a
tree's 2n endpoints evenly over the space, so there is room between any two of them. Enrolling a
recruit takes two free labels between the sponsor's last child and the sponsor's rght; moving a
subtree maps its labels into such a gap. Only where a gap is used up are the labels of a small
window around it spread again (`_relabel_window`, the order-maintenance technique of list
labelling): an order-preserving relabel keeps every interval nested as it was, so the nested sets
stay a valid index at every commit and no read ever needs a pending state. What the contiguous
numbers gave for free is stored instead: `downline_size`, kept along the sponsor chain.

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
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ApplicationError

from .models import Distributor

# Labels of a tree lie in [1, SPACE): 2**62, so that a window's end (lo + 2**k - 1) and every
# sum below fit PostgreSQL's bigint. Tests make it small to force relabelling.
SPACE = 2**62


@dataclass(frozen=True, slots=True)
class TreeNumbers:
    tree_id: int
    lft: int
    rght: int
    level: int
    downline_size: int = 0


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
    for frontline in children.values():
        frontline.sort()

    numbers: dict[int, TreeNumbers] = {}
    roots = children.get(None, [])
    sizes = _subtree_sizes(children, roots)
    for tree_id, root in enumerate(roots, start=1):
        # Positions 1..2n, spread evenly over the tree's labels.
        spacing = SPACE // (2 * sizes[root] + 2)
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
                position = lft_of.pop(node)
                numbers[node] = TreeNumbers(
                    tree_id, position * spacing, counter * spacing, level, (counter - position - 1) // 2
                )
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


def _subtree_sizes(children: dict[int | None, list[int]], roots: list[int]) -> dict[int, int]:
    """Nodes per subtree (the node included) for the roots' trees, iteratively."""
    order: list[int] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(children.get(node, ()))
    sizes: dict[int, int] = {}
    for node in reversed(order):
        sizes[node] = 1 + sum(sizes[kid] for kid in children.get(node, ()))
    return sizes


def renumber_trees() -> int:
    """Renumber every tree from the sponsor links; returns how many rows changed.

    Must run inside a transaction holding the sponsor-tree lock.
    """
    links = Distributor.objects.values_list("id", "sponsor_id").iterator(chunk_size=20_000)
    numbers = compute_numbering(links)
    current = Distributor.objects.values_list(
        "id", "tree_id", "lft", "rght", "level", "downline_size"
    ).iterator(chunk_size=20_000)
    changed: list[tuple[int, ...]] = [
        (node_id, n.tree_id, n.lft, n.rght, n.level, n.downline_size)
        for node_id, *now in current
        if (n := numbers[node_id]) != TreeNumbers(*now)
    ]
    write_numbers(changed)
    return len(changed)


NUMBER_FIELDS = ("tree_id", "lft", "rght", "level", "downline_size")

# What a node written in bulk (the import) holds until the renumber_trees() after it numbers it.
UNNUMBERED: dict[str, int] = dict.fromkeys(NUMBER_FIELDS, 0)


def _write_back_postgresql(rows: list[tuple[int, ...]], fields: tuple[str, ...] = NUMBER_FIELDS) -> None:
    """UPDATE the distributors `rows` name: (id, *fields), through a temporary table and COPY."""
    table = Distributor._meta.db_table
    columns = ", ".join(fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE tree_numbers (id bigint PRIMARY KEY, "
            + ", ".join(f"{name} bigint" for name in fields)
            + ") ON COMMIT DROP"
        )
        with cursor.copy(f"COPY tree_numbers (id, {columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        assignments = ", ".join(f"{name} = n.{name}" for name in fields)
        cursor.execute(f"UPDATE {table} AS d SET {assignments} FROM tree_numbers AS n WHERE d.id = n.id")
        cursor.execute("DROP TABLE tree_numbers")


def _write_back_generic(rows: list[tuple[int, ...]], fields: tuple[str, ...] = NUMBER_FIELDS) -> None:
    batch = []
    for node_id, *values in rows:
        batch.append(Distributor(id=node_id, **dict(zip(fields, values, strict=True))))
        if len(batch) >= 5_000:
            Distributor.objects.bulk_update(batch, list(fields))
            batch = []
    if batch:
        Distributor.objects.bulk_update(batch, list(fields))


def write_numbers(rows: list[tuple[int, ...]], fields: tuple[str, ...] = NUMBER_FIELDS) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql" and len(rows) > 200:
        _write_back_postgresql(rows, fields)
    else:
        _write_back_generic(rows, fields)


# --- Placing a node or a subtree without renumbering the tree (callers hold the tree lock) -------


def _table() -> str:
    return connection.ops.quote_name(Distributor._meta.db_table)


def _numbers_of(pk: int) -> tuple[int, int, int, int]:
    """(tree_id, lft, rght, level) as stored now: a relabel may have moved them since read."""
    return Distributor.objects.filter(pk=pk).values_list("tree_id", "lft", "rght", "level").get()


def _last_used_before_rght(tree_id: int, lft: int, rght: int) -> int:
    """The label just before `rght` in its tree: the last child's rght, or the node's own lft (the
    greatest rght inside the interval belongs to its last child: one probe of (tree_id, rght))."""
    last = (
        Distributor.objects.filter(tree_id=tree_id, rght__gt=lft, rght__lt=rght)
        .order_by("-rght")
        .values_list("rght", flat=True)
        .first()
    )
    return lft if last is None else last


def free_labels(sponsor_id: int, count: int) -> list[int]:
    """`count` free labels, ascending, for new endpoints at the end of the sponsor's frontline.

    They take the first half of the gap between the last child and the sponsor's rght, evenly
    spaced, so the next recruits find room after them. A gap too narrow is widened first by
    spreading the labels around it (`_relabel_window`).
    """
    tree_id, lft, rght, _ = _numbers_of(sponsor_id)
    last = _last_used_before_rght(tree_id, lft, rght)
    if (rght - last) // 2 < count + 1:
        _relabel_window(tree_id, last, count)
        tree_id, lft, rght, _ = _numbers_of(sponsor_id)
        last = _last_used_before_rght(tree_id, lft, rght)
    step = ((rght - last) // 2) // (count + 1)
    assert step >= 1, "a relabelled window leaves room for what it was asked to"
    return [last + i * step for i in range(1, count + 1)]


def _endpoints_in(tree_id: int, lo: int, hi: int, cap: int) -> int:
    """How many lft and rght labels of the tree lie in [lo, hi], counting no further than `cap`."""
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE tree_id = %s "
            "AND lft BETWEEN %s AND %s LIMIT %s) a) "
            f"+ (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE tree_id = %s "
            "AND rght BETWEEN %s AND %s LIMIT %s) b)",
            [tree_id, lo, hi, cap, tree_id, lo, hi, cap],
        )
        return cursor.fetchone()[0]


def _relabel_window(tree_id: int, x: int, need: int) -> int:
    """Spread the labels of the smallest aligned window around label `x` that is sparse enough,
    evenly, leaving `need` free slots right after `x`; how many distributors it relabelled.

    Window k is [lo, lo + 2**k) with lo a multiple of 2**k. It is sparse enough when, spread
    evenly, its labels lie at least 2**(k/2) apart (and 8): a bigger window must be emptier, so
    the labels a relabel spreads are few (at most 2**(k/2) for window k) and stay sparse for many
    inserts. Order-preserving: every interval keeps its nesting, inside the window or across it.
    """
    for k in range(max(4, (8 * need).bit_length()), 63):
        lo = max(1, (x >> k) << k)
        hi = min(((x >> k) << k) + (1 << k) - 1, SPACE - 1)
        room = hi - lo + 1
        min_spacing = max(8, 1 << (k // 2))
        capacity = room // min_spacing - need - 2  # labels the window may hold and still qualify
        if capacity < 0:
            continue
        count = _endpoints_in(tree_id, lo, hi, capacity + 1)
        if count > capacity:
            continue
        spacing = room // (count + need + 2)
        rows = list(
            Distributor.objects.filter(tree_id=tree_id)
            .filter(Q(lft__range=(lo, hi)) | Q(rght__range=(lo, hi)))
            .values_list("id", "lft", "rght")
        )
        endpoints = sorted(
            [(lft, node_id, 0) for node_id, lft, _ in rows if lo <= lft <= hi]
            + [(rght, node_id, 1) for node_id, _, rght in rows if lo <= rght <= hi]
        )
        new = {node_id: [lft, rght] for node_id, lft, rght in rows}
        slot = 0
        for label, node_id, side in endpoints:
            slot += 1
            new[node_id][side] = lo + slot * spacing
            if label == x:
                slot += need  # the free slots, right after x
        write_numbers([(node_id, lft, rght) for node_id, (lft, rght) in new.items()], ("lft", "rght"))
        return len(rows)
    raise ApplicationError(
        _("The sponsor tree has no room left at this place; renumber it (manage.py check_tree --fix).")
    )


def sizes_add(start_id: int, delta: int) -> None:
    """Add `delta` to the downline size of `start_id` and of every sponsor above it: the chain of
    sponsor links, one indexed step per level (not the nested sets' ancestor range, which scans
    every node to the left)."""
    if not delta:
        return
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE chain(id, sponsor_id) AS (SELECT id, sponsor_id FROM {table} WHERE id = %s "
            f"UNION ALL SELECT d.id, d.sponsor_id FROM {table} d JOIN chain c ON d.id = c.sponsor_id) "
            f"UPDATE {table} SET downline_size = downline_size + %s WHERE id IN (SELECT id FROM chain)",
            [start_id, delta],
        )


def place_new(sponsor_id: int | None) -> TreeNumbers:
    """The numbers of a new distributor: the last of the sponsor's frontline, or the root of a new
    tree. The caller inserts it, then adds it to the sizes above (`sizes_add(sponsor_id, 1)`)."""
    if sponsor_id is None:
        newest = Distributor.objects.order_by("-tree_id").values_list("tree_id", flat=True).first()
        return TreeNumbers((newest or 0) + 1, 1, SPACE - 1, 0, 0)
    lft, rght = free_labels(sponsor_id, 2)
    tree_id, _, _, level = _numbers_of(sponsor_id)
    return TreeNumbers(tree_id, lft, rght, level + 1, 0)


def move_subtree(node_id: int, sponsor_id: int) -> int:
    """Put the node and its downline at the end of another sponsor's frontline: their labels mapped
    in order into a free gap there, levels and tree shifted; the sizes above both sponsors
    follow. The caller changes the sponsor link. How many distributors moved."""
    old_sponsor_id, below = (
        Distributor.objects.filter(pk=node_id).values_list("sponsor_id", "downline_size").get()
    )
    size = below + 1
    labels = free_labels(sponsor_id, 2 * size)  # may relabel: read the subtree after it
    target_tree, _, _, target_level = _numbers_of(sponsor_id)
    tree_id, lft, rght, level = _numbers_of(node_id)
    rows = list(
        Distributor.objects.filter(tree_id=tree_id, lft__gte=lft, lft__lte=rght).values_list(
            "id", "lft", "rght", "level"
        )
    )
    assert len(rows) == size, "the stored downline size is the subtree's"
    order = sorted(
        [(a, i, 0) for i, (_, a, _, _) in enumerate(rows)]
        + [(b, i, 1) for i, (_, _, b, _) in enumerate(rows)]
    )
    new = [[0, 0] for _ in rows]
    for label, (_, index, side) in zip(labels, order, strict=True):
        new[index][side] = label
    shift = target_level + 1 - level
    write_numbers(
        [(pk, target_tree, new[i][0], new[i][1], depth + shift) for i, (pk, _, _, depth) in enumerate(rows)],
        ("tree_id", "lft", "rght", "level"),
    )
    if old_sponsor_id is not None:
        sizes_add(old_sponsor_id, -size)
    sizes_add(sponsor_id, size)
    return size


def become_leaf(node_id: int) -> int:
    """The node's frontline rolls up to its sponsor (the caller changes their links): the downline
    keeps its labels and rises one level, the node becomes a leaf after them, at the end of its own
    interval. The sizes above are unchanged. How many distributors rose."""
    tree_id, lft, rght, _ = _numbers_of(node_id)
    (label,) = free_labels(node_id, 1)
    risen = Distributor.objects.filter(tree_id=tree_id, lft__gt=lft, lft__lt=rght).update(
        level=F("level") - 1
    )
    Distributor.objects.filter(pk=node_id).update(lft=label, downline_size=0)
    return risen
