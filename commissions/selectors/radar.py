"""The team radar of a leader's dashboard: who in the first levels below is close to their next
rank, who is about to drop out (active last month, not yet this month), whose rank is at risk.

Read from the newest preview of the open month and the final run of the last closed period. The
question is bounded, whatever the size of the downline: the leader's first two levels (today's
tree, by the sponsor index), at most SCOPE_LIMIT members, each looked up in the two runs through
the results' unique (distributor, run) index; at most LISTED names per list. A leader with
400,000 below reads about 3 x SCOPE_LIMIT index entries, never the downline.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from commissions.models import CloseRun, DistributorPeriod
from core.sql import row_converter
from distributors.models import Distributor
from plans.document import current_plan_document

SCOPE_LEVELS = 2
SCOPE_LIMIT = 1000  # members of the first levels looked at (the frontline first)
LISTED = 10  # names per list
CLOSE_SHARE = Decimal("0.75")  # "close to the next rank": at least 75% of each requirement counted

# The first two levels below the leader, frontline first, at most %(limit)s of them, with their
# rows in the preview (n) and in last month's final run (p). LIMIT without a sort: the union
# yields the frontline before the second level and stops once the bound is reached.
# `ORDER BY id + 0`, not `ORDER BY id`: with a plain id order PostgreSQL walks the primary key
# from the smallest id and filters on the sponsor until it has %(limit)s of them, which for the
# root of a million (5,388 legs, ids spread over the whole table) reads 79,000 rows (40 ms). The
# expression makes it read the frontline through the sponsor index and sort it (6 ms there).
_SCOPE_SQL = """
WITH level1 AS (
    SELECT id, external_id, first_name, last_name FROM {distributors}
    WHERE sponsor_id = %(leader)s ORDER BY id + 0 LIMIT %(limit)s
),
scope AS (
    SELECT * FROM (
        SELECT 1 AS depth, id, external_id, first_name, last_name FROM level1
        UNION ALL
        SELECT 2 AS depth, d.id, d.external_id, d.first_name, d.last_name FROM {distributors} d
        WHERE d.sponsor_id IN (SELECT id FROM level1)
    ) levels
    LIMIT %(limit)s
)
SELECT s.depth, s.id, s.external_id, s.first_name, s.last_name,
    n.active, n.pv, n.gv, n.paid_as_rank, n.active_frontline,
    p.active, p.paid_as_rank, p.gv
FROM scope s
{joins}
"""
# PostgreSQL would hash a whole run's rows (a million, read through the run's BRIN index) for a
# few thousand members: LATERAL ... LIMIT 1 keeps it to one probe of the unique (distributor, run)
# index per member. SQLite (the demo) has no LATERAL and probes the index anyway.
_JOINS = {
    "postgresql": """
LEFT JOIN LATERAL (
    SELECT active, pv, gv, paid_as_rank, active_frontline FROM {results}
    WHERE distributor_id = s.id AND run_id = %(run)s LIMIT 1
) n ON true
LEFT JOIN LATERAL (
    SELECT active, paid_as_rank, gv FROM {results}
    WHERE distributor_id = s.id AND run_id = %(previous)s LIMIT 1
) p ON true""",
    "default": """
LEFT JOIN {results} n ON n.distributor_id = s.id AND n.run_id = %(run)s
LEFT JOIN {results} p ON p.distributor_id = s.id AND p.run_id = %(previous)s""",
}


@dataclass(frozen=True, slots=True)
class Gap:
    """A requirement of the next rank not met yet: the member's number and the one required."""

    kind: str  # "pv", "gv", "frontline" (active frontline members)
    actual: Decimal | int
    required: Decimal | int

    @property
    def missing(self) -> Decimal | int:
        return self.required - self.actual


@dataclass(frozen=True, slots=True)
class RadarMember:
    distributor_id: int
    external_id: str
    name: str
    depth: int  # 1: frontline, 2: the frontline's frontline
    active: bool  # in the preview (False: not in it)
    pv: Decimal
    gv: Decimal
    paid_as_rank: int  # so far, in the preview
    was_active: bool  # in last month's final run
    rank_before: int  # paid-as rank last month
    gv_before: Decimal
    next_rank: int | None = None
    share: Decimal | None = None  # of the next rank's requirements counted here (the smallest share)
    gaps: tuple[Gap, ...] = ()

    @property
    def percent(self) -> int:
        return int((self.share or 0) * 100)


@dataclass(frozen=True)
class TeamRadar:
    run: CloseRun  # the preview read
    previous: CloseRun | None  # last month's final run (None: no period closed yet)
    looked_at: int  # members of the first levels read
    bounded: bool  # True: the first levels hold more than SCOPE_LIMIT; the rest was not read
    close_to_next: list[RadarMember]
    dropping_out: list[RadarMember]
    rank_at_risk: list[RadarMember]
    rank_names: dict[int, str]

    @property
    def empty(self) -> bool:
        return not (self.close_to_next or self.dropping_out or self.rank_at_risk)


def _fields() -> list:
    results = DistributorPeriod._meta
    return [
        None, None, None, None, None,
        *(results.get_field(name) for name in ("active", "pv", "gv", "paid_as_rank", "active_frontline")),
        *(results.get_field(name) for name in ("active", "paid_as_rank", "gv")),
    ]  # fmt: skip


def _ratio(actual: Decimal | int, required: Decimal | int) -> Decimal:
    if not required:
        return Decimal(1)
    return min(Decimal(actual) / Decimal(required), Decimal(1))


def team_radar(leader: Distributor | int, run: CloseRun, previous: CloseRun | None) -> TeamRadar:
    """Three short lists over the leader's first two levels (see the module's docstring): one query.

    "Close to the next rank" counts PV, GV and active frontline against the next rank of the run's
    plan (the leg conditions need each member's legs: not read here, the member's own report has
    them); the closest first. "About to drop out": active last month, not (yet) active in the
    preview, most GV last month first. "Rank at risk": active, but paid as a lower rank so far than
    last month, highest rank first.
    """
    leader_id = getattr(leader, "pk", leader)
    results = DistributorPeriod._meta.db_table
    joins = _JOINS.get(connection.vendor, _JOINS["default"]).format(results=results)
    sql = _SCOPE_SQL.format(distributors=Distributor._meta.db_table, joins=joins)
    params = {
        "leader": leader_id,
        "limit": SCOPE_LIMIT,
        "run": run.pk,
        "previous": previous.pk if previous is not None else -1,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = list(map(row_converter(_fields()), cursor.fetchall()))

    plan = current_plan_document(run.plan)
    ranks = {rank.number: rank for rank in plan.ranks}
    zero = Decimal(0)
    close, dropping, at_risk = [], [], []
    for depth, pk, external_id, first, last, active, pv, gv, rank, frontline, was, before, gv_before in rows:
        member = RadarMember(
            distributor_id=pk,
            external_id=external_id,
            name=f"{first} {last}",
            depth=depth,
            active=bool(active),
            pv=pv if pv is not None else zero,
            gv=gv if gv is not None else zero,
            paid_as_rank=rank or 0,
            was_active=bool(was),
            rank_before=before or 0,
            gv_before=gv_before if gv_before is not None else zero,
        )
        if member.was_active and not member.active:
            dropping.append(member)
            continue
        if member.active and member.rank_before > member.paid_as_rank:
            at_risk.append(member)
        following = ranks.get(member.paid_as_rank + 1)
        if following is None or not member.active:
            continue
        parts = [
            Gap("pv", member.pv, following.min_pv),
            Gap("gv", member.gv, following.min_gv),
            Gap("frontline", frontline or 0, following.active_frontline),
        ]
        parts = [part for part in parts if part.required]
        share = min((_ratio(part.actual, part.required) for part in parts), default=Decimal(1))
        # All three met and still not the rank: the leg conditions decide, which are not read here.
        if CLOSE_SHARE <= share < 1:
            gaps = tuple(part for part in parts if part.actual < part.required)
            close.append(
                RadarMember(
                    **{**_as_dict(member), "next_rank": following.number, "share": share, "gaps": gaps}
                )
            )

    close.sort(key=lambda m: (-m.share, -m.gv, m.external_id))
    dropping.sort(key=lambda m: (-m.gv_before, -m.pv, m.external_id))
    at_risk.sort(key=lambda m: (-m.rank_before, -m.gv, m.external_id))
    return TeamRadar(
        run=run,
        previous=previous,
        looked_at=len(rows),
        bounded=len(rows) >= SCOPE_LIMIT,
        close_to_next=close[:LISTED],
        dropping_out=dropping[:LISTED],
        rank_at_risk=at_risk[:LISTED],
        rank_names={rank.number: rank.name for rank in plan.ranks},
    )


def _as_dict(member: RadarMember) -> dict:
    return {name: getattr(member, name) for name in RadarMember.__slots__}
