"""The portal's team pages: members of a distributor's downline, by keyset pages in tree order,
with their figures in a run (the newest preview of the open month): PV, GV, activity, rank."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from commissions.models import CloseRun, DistributorPeriod


@dataclass(frozen=True)
class TeamMember:
    """A member of the downline (name, rank, tree numbers; `depth`, `downline_size` annotated) and
    their row in the run the figures come from (PV, GV, active): None without a run or a row."""

    member: object  # a distributors.models.Distributor
    figures: DistributorPeriod | None


@dataclass(frozen=True)
class TeamPage:
    members: list[TeamMember]
    total: int | None  # the whole downline's size, unfiltered lists only
    next_after: int | None  # the lft the next page starts after; None on the last page


def run_figures(run: CloseRun | None, distributor_ids) -> dict[int, DistributorPeriod]:
    """Distributor id -> their row in `run`, one probe of the unique (distributor, run) index each."""
    ids = list(distributor_ids)
    if run is None or not ids:
        return {}
    rows = DistributorPeriod.objects.filter(run=run, distributor_id__in=ids).only(
        "distributor_id", "pv", "gv", "active", "paid_as_rank"
    )
    return {row.distributor_id: row for row in rows}


def _team_page(items: list, run: CloseRun | None, limit: int, total: int | None = None) -> TeamPage:
    shown = items[:limit]
    figures = run_figures(run, [member.pk for member in shown])
    return TeamPage(
        members=[TeamMember(member, figures.get(member.pk)) for member in shown],
        total=total,
        next_after=shown[-1].lft if len(items) > limit else None,
    )


def team_members(
    distributor,
    *,
    run: CloseRun | None,
    search: str = "",
    rank: int | None = None,
    active: bool | None = None,
    new_this_month: bool = False,
    after_lft: int | None = None,
    limit: int = 50,
) -> TeamPage:
    """A keyset page of the downline in tree order (distributors.selectors.downline_filtered_page,
    the API's search rule) with each member's figures in `run`. `active` filters on activity in
    `run` (ignored without one); `new_this_month`: enrolled in the open period."""
    from django.db.models import Exists, OuterRef

    from core.periods import period_bounds, period_of
    from distributors.selectors import downline_filtered_page

    where = None
    if active is not None and run is not None:
        where = Exists(DistributorPeriod.objects.filter(run=run, distributor_id=OuterRef("pk"), active=True))
        where = where if active else ~where
    since = period_bounds(period_of(timezone.now()))[0] if new_this_month else None
    page = downline_filtered_page(
        distributor,
        search=search,
        rank=rank,
        enrolled_since=since,
        where=where,
        after_lft=after_lft,
        limit=limit + 1,
    )
    return _team_page(page.items, run, limit, page.total)


def team_frontline(
    distributor, member_id: int, *, run: CloseRun | None, after_lft: int | None = None, limit: int = 50
) -> TeamPage | None:
    """The frontline of `member_id` (the distributor or one of their downline) with figures in
    `run`, by keyset pages; None when the member is not theirs."""
    from distributors.selectors import frontline_page

    page = frontline_page(distributor, member_id, after_lft=after_lft, limit=limit + 1)
    return None if page is None else _team_page(page.items, run, limit)


def team_member(distributor, member_id: int, *, run: CloseRun | None) -> TeamMember | None:
    """One member of the distributor's downline (as the API's downline detail) with figures."""
    from distributors.selectors import downline_member

    member = downline_member(distributor, member_id)
    if member is None:
        return None
    return TeamMember(member, run_figures(run, [member.pk]).get(member.pk))


def team_legs(distributor, *, run: CloseRun | None, limit: int = 100) -> tuple[list[TeamMember], int]:
    """The biggest `limit` legs (as distributors.selectors.legs: frontline by stored downline size)
    with their head's figures in `run` (a leg's GV is its head's), and how many
    legs there are. The limit is in the query and the count is a count query: a leader's frontline
    can be thousands long, only `limit` rows are read."""
    from distributors.models import Distributor

    frontline = Distributor.objects.filter(sponsor_id=distributor.pk)
    shown = list(frontline.order_by("-downline_size", "id")[:limit])
    count = len(shown) if len(shown) < limit else frontline.count()
    figures = run_figures(run, [head.pk for head in shown])
    return [TeamMember(head, figures.get(head.pk)) for head in shown], count
