"""Reads of distributors and the sponsor tree, through the nested sets.

Every selector reads the node's own numbers inside the same SQL statement (a subquery on its
id), so a caller's stale instance never skews the answer. Code outside this app reads the tree
only through these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    F,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from .models import Distributor, DistributorStatus


def _own(distributor: Distributor | int, column: str) -> Subquery:
    pk = distributor if isinstance(distributor, int) else distributor.pk
    return Subquery(Distributor.objects.filter(pk=pk).values(column)[:1])


def _downline_qs(distributor: Distributor | int) -> QuerySet[Distributor]:
    return Distributor.objects.filter(
        tree_id=_own(distributor, "tree_id"),
        lft__gt=_own(distributor, "lft"),
        lft__lt=_own(distributor, "rght"),
    )


def upline(distributor: Distributor | int) -> list[Distributor]:
    """The sponsors above a distributor, from the root down to their own sponsor (one query)."""
    return list(
        Distributor.objects.filter(
            tree_id=_own(distributor, "tree_id"),
            lft__lt=_own(distributor, "lft"),
            rght__gt=_own(distributor, "rght"),
        ).order_by("lft")
    )


def sponsor(distributor: Distributor) -> Distributor | None:
    """The distributor's sponsor, read afresh; None for the root of a tree."""
    if distributor.sponsor_id is None:
        return None
    return Distributor.objects.filter(pk=distributor.sponsor_id).first()


def frontline_count(distributor: Distributor | int) -> int:
    """How many distributors the distributor sponsors directly (the first level of the downline)."""
    pk = distributor if isinstance(distributor, int) else distributor.pk
    return Distributor.objects.filter(sponsor_id=pk).count()


def downline_count(distributor: Distributor | int) -> int:
    """How many distributors are in the downline (all levels): the stored size (ADR 0011)."""
    pk = distributor if isinstance(distributor, int) else distributor.pk
    size = Distributor.objects.filter(pk=pk).values_list("downline_size", flat=True).first()
    return size or 0


def downline_counts_by_level(distributor: Distributor | int) -> dict[int, int]:
    """Downline size per depth below the distributor: {1: frontline, 2: their recruits, ...}."""
    rows = (
        _downline_qs(distributor)
        .annotate(depth=F("level") - _own(distributor, "level"))
        .values("depth")
        .annotate(n=Count("id"))
        .order_by("depth")
    )
    return {row["depth"]: row["n"] for row in rows}


def is_in_downline(ancestor: Distributor | int, node: Distributor | int) -> bool:
    """True if `node` is somewhere below `ancestor` (not the ancestor itself)."""
    pk = node if isinstance(node, int) else node.pk
    return _downline_qs(ancestor).filter(pk=pk).exists()


@dataclass(frozen=True, slots=True)
class Leg:
    distributor: Distributor
    downline_count: int

    @property
    def size(self) -> int:
        """Members of the leg: the frontline member and their whole downline."""
        return self.downline_count + 1


def legs(distributor: Distributor | int) -> list[Leg]:
    """The frontline, each with the size of their downline, biggest leg first (one query)."""
    pk = distributor if isinstance(distributor, int) else distributor.pk
    rows = Distributor.objects.filter(sponsor_id=pk).order_by("-downline_size", "id")
    return [Leg(distributor=row, downline_count=row.downline_size) for row in rows]


@dataclass(frozen=True, slots=True)
class DownlinePage:
    """Up to `limit` members after the cursor; `total` is None when only counting rows could tell."""

    items: list[Distributor]
    total: int | None


def email_in_use(email: str, *, exclude_pk: int | None = None) -> bool:
    """Whether a distributor who is not terminated has this email address (case-insensitive)."""
    taken = Distributor.objects.filter(email__iexact=email.strip()).exclude(
        status=DistributorStatus.TERMINATED
    )
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


# The text a downline search looks in: exactly the expression of the trigram index
# distributor_search_trgm_idx (distributors 0009), so that PostgreSQL finds the few matches of a
# word among a million through the index instead of reading a leader's whole downline.
_SEARCH_TEXT = "UPPER(first_name || ' ' || last_name || ' ' || external_id || ' ' || referral_code)"


def _like(word: str) -> str:
    escaped = word.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(qs: QuerySet[Distributor], words: list[str]) -> QuerySet[Distributor]:
    """Members matching every word: in the first or last name, or the whole external id or
    referral code (case-insensitive), never the e-mail. The first condition is the index's
    (a superset); the second says exactly what matches."""
    for word in words:
        qs = qs.filter(
            RawSQL(
                f"{_SEARCH_TEXT} LIKE %s ESCAPE '\\' AND (UPPER(first_name || ' ' || last_name) "
                "LIKE %s ESCAPE '\\' OR UPPER(external_id) = %s OR UPPER(referral_code) = %s)",
                [_like(word), _like(word), word.upper(), word.upper()],
                output_field=BooleanField(),
            )
        )
    return qs


def downline(distributor: Distributor | int) -> QuerySet[Distributor]:
    """Everyone below `distributor` in the sponsor tree (not the distributor): one index range."""
    return _downline_qs(distributor)


def downline_member(distributor: Distributor | int, member_id: int) -> Distributor | None:
    """One member of the downline with `depth` (1 = frontline), or None if not below: one query."""
    return (
        _downline_qs(distributor)
        .annotate(depth=F("level") - _own(distributor, "level"))
        .filter(pk=member_id)
        .first()
    )


def downline_page(
    distributor: Distributor | int,
    *,
    search: str = "",
    max_depth: int | None = None,
    after_lft: int | None = None,
    limit: int = 50,
) -> DownlinePage:
    """Up to `limit` members of the downline in tree order (lft), starting after `after_lft`.

    Keyset, not OFFSET: the page is one seek in the (tree_id, lft) index, however deep it is.
    Each item carries `depth` (1 = frontline). `search` matches every word against the first or
    last name, the external id or the referral code: only what the upline is shown of a member
    (the API's downline fields), so a search can never tell anything the page does not (an
    e-mail address was guessable through it). `max_depth` limits how deep the page reaches.
    """
    qs = _downline_qs(distributor).annotate(depth=F("level") - _own(distributor, "level"))
    if max_depth is not None:
        qs = qs.filter(depth__lte=max_depth)
    words = search.split()
    qs = _matching(qs, words)
    # The whole downline's size is stored (downline_size); a filtered one would need a count of
    # up to a million rows on every page, so it is not given.
    total = downline_count(distributor) if max_depth is None and not words else None
    if after_lft is not None:
        qs = qs.filter(lft__gt=after_lft)
    return DownlinePage(items=list(qs.order_by("lft")[: max(0, int(limit))]), total=total)


@dataclass
class TreeCheck:
    trees: int = 0
    nodes: int = 0
    problem_count: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < 100:
            self.problems.append(message)


# The nested sets are a valid index of the sponsor links exactly when:
# - every tree has one root, at level 0, with lft < rght;
# - every other distributor is in its sponsor's tree, one level below it, inside the sponsor's
#   interval (sponsor lft < lft < rght < sponsor rght);
# - a sponsor's frontline, in lft order, does not overlap: each starts after the previous one's
#   rght. The labels are sparse (ADR 0011): there may be room between them, never a crossing.
# Why that is enough: levels rise along every sponsor link, so there is no cycle and everyone
# reaches the one root of their tree; two distributors neither of whom is above the other sit in
# two different frontline intervals of their lowest common sponsor, which do not overlap, so the
# interval of a distributor holds exactly their downline. The sibling order is free.
# And every downline size is its frontline's sizes plus the frontline itself (_SIZES_SQL).
_MISPLACED_NODES_SQL = """
WITH linked AS (
    SELECT c.tree_id, c.lft, c.rght, c.level,
        s.tree_id AS sponsor_tree, s.lft AS sponsor_lft, s.rght AS sponsor_rght, s.level AS sponsor_level,
        LAG(c.rght) OVER frontline AS previous_rght
    FROM {table} c
    JOIN {table} s ON s.id = c.sponsor_id
    WINDOW frontline AS (PARTITION BY c.sponsor_id ORDER BY c.lft, c.id)
)
SELECT COUNT(*) FROM linked WHERE NOT (
    tree_id = sponsor_tree AND level = sponsor_level + 1 AND lft < rght
    AND lft > COALESCE(previous_rght, sponsor_lft) AND rght < sponsor_rght
)
"""
_TREES_SQL = """
SELECT COUNT(*), COALESCE(SUM(nodes), 0),
    COUNT(*) FILTER (WHERE NOT (roots = 1 AND root_lft < root_rght AND root_level = 0))
FROM (
    SELECT COUNT(*) AS nodes, COUNT(*) FILTER (WHERE sponsor_id IS NULL) AS roots,
        MIN(lft) FILTER (WHERE sponsor_id IS NULL) AS root_lft,
        MAX(rght) FILTER (WHERE sponsor_id IS NULL) AS root_rght,
        MAX(level) FILTER (WHERE sponsor_id IS NULL) AS root_level
    FROM {table} GROUP BY tree_id
) trees
"""
_SIZES_SQL = """
SELECT COUNT(*) FROM {table} d
LEFT JOIN (
    SELECT sponsor_id, SUM(downline_size + 1) AS below FROM {table}
    WHERE sponsor_id IS NOT NULL GROUP BY sponsor_id
) f ON f.sponsor_id = d.id
WHERE d.downline_size <> COALESCE(f.below, 0)
"""


def tree_check() -> TreeCheck:
    """Verify every nested-set invariant against the sponsor links.

    Three SQL passes give the verdict (see _MISPLACED_NODES_SQL): a million distributors in a few
    seconds of the database's time, none of this process's (the close runs it beside its
    aggregation). Only a tree found wrong is read row by row, to name what is wrong.
    """
    table = connection.ops.quote_name(Distributor._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_TREES_SQL.format(table=table))
        trees, nodes, wrong_trees = cursor.fetchone()
        cursor.execute(_MISPLACED_NODES_SQL.format(table=table))
        (misplaced,) = cursor.fetchone()
        cursor.execute(_SIZES_SQL.format(table=table))
        (wrong_sizes,) = cursor.fetchone()
    if not wrong_trees and not misplaced and not wrong_sizes:
        return TreeCheck(trees=trees, nodes=int(nodes))
    report = tree_diagnosis()
    if report.ok:  # the checks say the same by construction; never report a wrong tree as OK
        report.add(
            f"{misplaced} node(s), {wrong_sizes} downline size(s) and {wrong_trees} tree(s) do not "
            "follow from the sponsor links"
        )
    return report


def tree_diagnosis() -> TreeCheck:
    """What is wrong with the nested sets, node by node (tree_check's verdict, with reasons).

    One streaming read in (tree_id, lft) order (the index), then a single stack pass per tree:
    the nearest enclosing interval of every node must be its sponsor, intervals must nest
    without crossing, no label may repeat, level must equal the depth, each tree has exactly one
    root, and every downline size must be the number of nodes inside the interval. Together
    these say the labels are a valid nested-set index of the sponsor links (sibling order and
    the room between labels are free, ADR 0011).
    """
    report = TreeCheck()
    rows = (
        Distributor.objects.order_by("tree_id", "lft", "id")
        .values_list("id", "sponsor_id", "tree_id", "lft", "rght", "level", "downline_size")
        .iterator(chunk_size=20_000)
    )
    current_tree: int | None = None
    stack: list[tuple[int, int]] = []  # (id, rght) of the enclosing intervals
    bounds: list[int] = []
    roots: list[int] = []
    sizes: dict[int, int] = {}  # stored downline size per node
    below: dict[int, int] = {}  # nodes counted inside each open interval

    def pop() -> None:
        # A closed interval's count goes to the one around it.
        node_id = stack.pop()[0]
        if stack:
            below[stack[-1][0]] += below[node_id] + 1

    def close_tree() -> None:
        if current_tree is None:
            return
        while stack:
            pop()
        n = len(bounds) // 2
        if len(roots) != 1:
            report.add(f"tree {current_tree}: {len(roots)} roots {roots[:10]} (must be exactly one)")
        bounds.sort()
        dupes = sorted({b for i, b in enumerate(bounds) if i and bounds[i - 1] == b})
        if dupes:
            report.add(f"tree {current_tree}: {2 * n} lft/rght labels, some repeated: {dupes[:10]}")
        for node_id, counted in below.items():
            if counted != sizes[node_id]:
                report.add(f"node {node_id}: downline size {sizes[node_id]}, but {counted} below it")

    for node_id, sponsor_id, tree_id, lft, rght, level, size in rows:
        report.nodes += 1
        if tree_id != current_tree:
            close_tree()
            current_tree, stack, bounds, roots, sizes, below = tree_id, [], [], [], {}, {}
            report.trees += 1
        bounds.extend((lft, rght))
        if sponsor_id is None:
            roots.append(node_id)
        if lft >= rght:
            report.add(f"node {node_id}: interval [{lft}, {rght}] is empty")
        while stack and stack[-1][1] < lft:
            pop()
        enclosing = stack[-1][0] if stack else None
        if stack and rght > stack[-1][1]:
            report.add(f"node {node_id}: interval [{lft}, {rght}] crosses the one of node {enclosing}")
        if enclosing != sponsor_id:
            report.add(
                f"node {node_id}: sponsor is {sponsor_id} but the nested sets place it under {enclosing}"
            )
        if level != len(stack):
            report.add(f"node {node_id}: level {level}, but it is {len(stack)} deep in its tree")
        sizes[node_id], below[node_id] = size, 0
        stack.append((node_id, rght))
    close_tree()
    return report


class AmbiguousReference(ApplicationError):
    """A reference names more than one distributor (one's external id is another's internal id):
    the caller shows the message, which names them all, and acts on none."""


def distributor_by_reference(reference: str) -> Distributor | None:
    """The distributor named by an id, external id or referral code, as staff type them.

    None when nobody has it; AmbiguousReference when it names two people ("123" being one
    person's external id and another's internal id): guessing could move or explain the wrong one.
    """
    reference = (reference or "").strip()
    if not reference:
        return None
    match = Q(external_id=reference) | Q(referral_code=reference.upper())
    if reference.isdigit():
        match |= Q(pk=int(reference))
    found = list(Distributor.objects.filter(match).order_by("pk")[:3])
    if len(found) > 1:
        raise AmbiguousReference(
            _(
                "%(reference)s names more than one distributor: %(who)s. "
                "Type the referral code of the one you mean."
            )
            % {
                "reference": repr(reference),
                "who": "; ".join(
                    _("%(name)s (id %(id)s, external id %(external_id)s, referral code %(code)s)")
                    % {"name": d.name, "id": d.pk, "external_id": d.external_id, "code": d.referral_code}
                    for d in found
                ),
            },
            field="distributor",
        )
    return found[0] if found else None


# --- The portal's team pages: the downline list with filters, and one member's frontline


def downline_filtered_page(
    distributor: Distributor | int,
    *,
    search: str = "",
    rank: int | None = None,
    enrolled_since=None,
    where=None,
    after_lft: int | None = None,
    limit: int = 50,
) -> DownlinePage:
    """downline_page with the portal's filters: paid-as rank, enrolled since a moment, and a
    condition of the caller's domain (`where`: an expression on the distributor, such as "active
    in a close run"). The same search rule (what the upline is shown, never e-mail), the same
    keyset on lft. `total` only without any filter."""
    if rank is None and enrolled_since is None and where is None:
        return downline_page(distributor, search=search, after_lft=after_lft, limit=limit)
    qs = _downline_qs(distributor).annotate(depth=F("level") - _own(distributor, "level"))
    qs = _matching(qs, search.split())
    if rank is not None:
        qs = qs.filter(rank=rank)
    if enrolled_since is not None:
        qs = qs.filter(enrolled_at__gte=enrolled_since)
    if where is not None:
        qs = qs.filter(where)
    if after_lft is not None:
        qs = qs.filter(lft__gt=after_lft)
    return DownlinePage(items=list(qs.order_by("lft")[: max(0, int(limit))]), total=None)


def frontline_page(
    distributor: Distributor | int, member_id: int, *, after_lft: int | None = None, limit: int = 50
) -> DownlinePage | None:
    """The frontline of `member_id` (the distributor or anyone below them) in tree order, each
    with `depth` below the distributor and `downline_size`; None when the member is not theirs.
    Two queries at most (is it mine, then one seek of the sponsor index), whatever the tree's size."""
    pk = distributor if isinstance(distributor, int) else distributor.pk
    if member_id != pk and not is_in_downline(pk, member_id):
        return None
    qs = (
        Distributor.objects.filter(sponsor_id=member_id)
        .annotate(depth=F("level") - _own(pk, "level"))
        .order_by("lft")
    )
    if after_lft is not None:
        qs = qs.filter(lft__gt=after_lft)
    return DownlinePage(items=list(qs[: max(0, int(limit))]), total=None)


def distributor_for_referral(code: str) -> Distributor | None:
    """The distributor whose referral code this is (as typed: case and spaces do not matter)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return Distributor.objects.filter(referral_code=code).first()
