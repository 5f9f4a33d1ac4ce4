"""A distributor's frontline legs as they were in a run's period (`sponsor_id_in_period`: the
tree of the period, not today's): each head's row in the run and the highest rank in the leg, in a
handful of queries however long the frontline (the explanation's and the rank checks' legs)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from commissions.models import CloseRun, DistributorPeriod
from core.sql import row_converter
from core.templatetags import formatting  # numbers as the reader's language writes them


def _volume_text(value: Decimal) -> str:
    # Shares and CV keep 12 decimals in the run; four are what a person can read.
    return formatting.points(value.quantize(Decimal("0.0001")))


@dataclass(frozen=True, slots=True)
class PeriodLeg:
    """A frontline distributor with their whole downline, as in the period's results (the tree's
    legs as they are now: distributors.selectors.Leg)."""

    distributor_id: int
    external_id: str
    name: str
    active: bool
    paid_as_rank: int
    gv: Decimal
    highest_rank: int  # the highest paid-as rank anyone in the leg has (the head included)
    group_qv: Decimal  # differential plans: the leg's group volume after breakaways
    group_cv: Decimal

    @property
    def gv_text(self) -> str:
        return _volume_text(self.gv)

    @property
    def group_qv_text(self) -> str:
        return _volume_text(self.group_qv)


LEG_COLUMNS = (
    "distributor_id", "distributor__external_id", "distributor__first_name", "distributor__last_name",
    "active", "paid_as_rank", "gv", "group_qv", "group_cv", "subtree_max_rank",
)  # fmt: skip


# Today's frontline joined to its rows in the run: one scan of the sponsor index, one probe of the
# results' unique (distributor, run) index per leg.
_TODAYS_FRONTLINE_SQL = """
SELECT r.distributor_id, d.external_id, d.first_name, d.last_name, r.active, r.paid_as_rank, r.gv,
    r.group_qv, r.group_cv, r.subtree_max_rank
FROM {distributors} d JOIN {results} r ON r.distributor_id = d.id AND r.run_id = %(run)s
WHERE d.sponsor_id = %(distributor)s AND r.sponsor_id_in_period = %(distributor)s
ORDER BY d.external_id
"""


def _leg_fields() -> list:
    results = DistributorPeriod._meta
    return [None, None, None, None, *(results.get_field(name) for name in LEG_COLUMNS[4:])]


def period_frontline(run: CloseRun, distributor_id: int) -> list[tuple]:
    """The distributor's frontline as it was in the run's period: their results rows (LEG_COLUMNS),
    by external id, reading about as many rows as there are legs.

    A run's results are found by run through a BRIN index only (the close writes millions), so
    the legs are looked up by their distributor: today's frontline, each kept if it was in the
    frontline in the period too. The close stored the frontline's size in the period
    (`frontline_count`); only when today's tree does not account for all of it (someone moved
    away or rolled up since, or a run before the close stored it) are the run's results read
    through by sponsor.
    """
    from distributors.models import Distributor

    expected = (
        DistributorPeriod.objects.filter(run=run, distributor_id=distributor_id)
        .values_list("frontline_count", flat=True)
        .first()
    )
    if expected is not None:
        sql = _TODAYS_FRONTLINE_SQL.format(
            distributors=Distributor._meta.db_table, results=DistributorPeriod._meta.db_table
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, {"run": run.pk, "distributor": distributor_id})
            # As the ORM would read them (SQLite: Decimals and booleans, not floats and 0/1).
            legs = list(map(row_converter(_leg_fields()), cursor.fetchall()))
        if len(legs) == expected:
            return legs
    return list(
        DistributorPeriod.objects.filter(run=run, sponsor_id_in_period=distributor_id)
        .order_by("distributor__external_id")
        .values_list(*LEG_COLUMNS)
    )


LEG_RANK_SQL = """
WITH RECURSIVE leg(head, node, rank) AS (
    SELECT distributor_id, distributor_id, paid_as_rank FROM {results}
    WHERE run_id = %(run)s AND sponsor_id_in_period = %(distributor)s
    UNION ALL
    SELECT leg.head, r.distributor_id, r.paid_as_rank
    FROM leg JOIN {results} r ON r.run_id = %(run)s AND r.sponsor_id_in_period = leg.node
)
SELECT head, MAX(rank) FROM leg GROUP BY head
"""


def leg_highest_ranks(run: CloseRun, distributor_id: int) -> dict[int, int]:
    """Head of each of the distributor's legs -> the highest paid-as rank in that leg, in one query."""
    sql = LEG_RANK_SQL.format(results=DistributorPeriod._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"run": run.pk, "distributor": distributor_id})
        return dict(cursor.fetchall())


def _legs(run: CloseRun, distributor_id: int, top: list[int] | None = None) -> list[PeriodLeg]:
    """The frontline's legs in the run; `top`: only these (ids of the legs with the most GV)."""
    if top is not None:
        frontline = list(
            DistributorPeriod.objects.filter(run=run, distributor_id__in=top)
            .order_by("distributor__external_id")
            .values_list(*LEG_COLUMNS)
        )
    else:
        frontline = period_frontline(run, distributor_id)
    # The close stores each leg's highest rank (subtree_max_rank); runs before it did are read
    # with the recursive query over the whole downline.
    stored = all(row[-1] is not None for row in frontline)
    highest = {} if stored or not frontline else leg_highest_ranks(run, distributor_id)
    return [
        PeriodLeg(
            pk, external, f"{first} {last}", active, rank, gv,
            best if stored else highest.get(pk, rank), gqv, gcv,
        )
        for pk, external, first, last, active, rank, gv, gqv, gcv, best in frontline
    ]  # fmt: skip
