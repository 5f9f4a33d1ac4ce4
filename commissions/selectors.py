"""Reads of the close: run progress, statements for export, the ledger of a run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Case, QuerySet, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.explain import MoneyLine, money_line
from commissions.models import (
    ClosePhase,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Payout,
    Statement,
)
from core.errors import NotFound
from core.locks import advisory_lock_held
from core.money import ZERO, money_str, points_str
from core.periods import period_bounds, period_label, period_of
from core.sql import row_converter
from plans.document import DEFAULT_PLAN_PATH, current_plan_document, load_plan_file, parse_plan_document
from plans.models import Period, PeriodStatus, Plan

EXPORT_COLUMNS = (
    "distributor_id", "period", "pv", "gv", "paid_as_rank", "title", "active", "override_eligible",
    "personal_commission", "override_commission", "clawbacks", "adjustments", "carried_in", "net",
    "payout", "carried_out",
)  # fmt: skip


def rank_names(plan=None) -> dict[int, str]:
    """Rank number -> name in `plan` (default: the newest plan), for ranks and titles alike.

    A run's rows are named by the run's plan (`rank_names(run.plan)`, `rank_names_by_plan`), the
    live rank and title by `live_rank_names()`: a newer plan may name a number otherwise.

    0 (no paid-as rank, or no title yet) has no name in a plan: it is absent here, and the edges
    render it as "No rank" (admin, pages) or `"name": null` (API, `core.api.serializers.RankSerializer`).
    """
    return {rank.number: rank.name for rank in current_plan_document(plan).ranks}


def rank_names_by_plan(plan_ids) -> dict[int, dict[int, str]]:
    """{plan id: rank_names(plan)} for these plans, in one query: a page of rows of several runs
    names each row's ranks by its own run's plan (a newer plan may name or number them otherwise)."""
    plan_ids = {pk for pk in plan_ids if pk is not None}
    if not plan_ids:
        return {}
    return {plan.pk: rank_names(plan) for plan in Plan.objects.filter(pk__in=plan_ids)}


def live_rank_names() -> dict[int, str]:
    """The names of the live rank and title (`Distributor.rank`, `.title`): the last final close
    set them, so they are named by its plan, the plan the last closed period was closed with
    (before any close: the newest plan, as `rank_names()`). One query, as `rank_names()` costs."""
    last_closed = Period.objects.filter(status=PeriodStatus.CLOSED).order_by("-start").values("plan_id")[:1]
    plan = (
        Plan.objects.annotate(last_close=Case(When(pk=Subquery(last_closed), then=0), default=1))
        .order_by("last_close", "-loaded_at", "-id")
        .only("document")
        .first()
    )
    document = plan.document if plan is not None else load_plan_file(DEFAULT_PLAN_PATH)
    return {rank.number: rank.name for rank in parse_plan_document(document).ranks}


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


def statement_lines(
    run: CloseRun, distributor_id: int, *, after_key: str | None = None, limit: int = 50
) -> list[tuple[str, MoneyLine]]:
    """Up to `limit` of the distributor's ledger lines in the run, in ledger order (the line key:
    kind first, then source and level), after `after_key`: (key, line explained), one seek in the
    unique (distributor, run, key) index however many lines a leader has."""
    lines = LedgerLine.objects.filter(run=run, distributor_id=distributor_id)
    if after_key is not None:
        lines = lines.filter(key__gt=after_key)
    return [
        (line.key, money_line(line))
        for line in lines.select_related("source", "adjustment").order_by("key")[: max(0, limit)]
    ]


def stall_seconds() -> int:
    """How long a run under way may go without progress before it counts as stalled."""
    return settings.COMMISSION_CLOSE_STALL_SECONDS


def stalled_since(run: CloseRun, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a run under way last moved, if that is longer ago than the stall bound; else None."""
    if run.status not in (CloseRunStatus.PENDING, CloseRunStatus.RUNNING):
        return None
    moved = run.progress_at or run.created_at
    if moved is None:  # not saved yet
        return None
    now = now or timezone.now()
    if (now - moved).total_seconds() <= stall_seconds():
        return None
    # A compute marks no progress until its end (the run row is the writers' to update meanwhile):
    # a long one is alive while its worker holds the run's compute lock.
    if run.phase in (ClosePhase.QUEUED, ClosePhase.COMPUTE) and advisory_lock_held(
        f"commission-close-run:{run.pk}"
    ):
        return None
    return moved


@dataclass(frozen=True)
class RunProgress:
    percent: int
    phase: str
    eta_seconds: float | None
    chunks_done: int
    chunks_total: int
    status: str
    # When the run last moved, if longer ago than the stall bound (a dead or missing worker): then
    # there is no ETA, and the watchdog recovers the run (commissions.close.recovery).
    stalled_since: dt.datetime | None = None
    notice: str = ""  # what the watchdog or a resume last did

    def describe(self) -> str:
        """One line for an operator: percentage, phase, chunks, and the ETA or why there is none."""
        line = f"{self.percent:3d}%  {self.phase}  chunks {self.chunks_done}/{self.chunks_total}"
        if self.stalled_since is not None:
            waiting = _("waiting for a worker since %(time)s") % {
                "time": timezone.localtime(self.stalled_since).strftime("%H:%M:%S")
            }
            line += f"  {waiting}"
        elif self.eta_seconds is not None:
            line += f"  ETA {self.eta_seconds:.0f}s"
        return line


def close_run_progress(run: CloseRun, *, now: dt.datetime | None = None) -> RunProgress:
    """Percentage, phase and ETA: compute counts as the first 10%, chunks as the next 85% (some are
    written during the compute already). A stalled run has no ETA: it says since when it waits."""
    now = now or timezone.now()
    eta = None
    if run.status == CloseRunStatus.SUCCEEDED:
        percent = 100
    elif run.phase == ClosePhase.WRITE and run.chunks_total:
        fraction = run.chunks_done / run.chunks_total
        percent = 10 + int(85 * fraction)
        if run.started_at and run.chunks_done:
            writing_since = run.started_at + dt.timedelta(seconds=run.compute_seconds or 0)
            per_chunk = max((now - writing_since).total_seconds(), 0) / run.chunks_done
            eta = per_chunk * (run.chunks_total - run.chunks_done)
    elif run.phase == ClosePhase.FINALIZE:
        percent = 97
    elif run.phase == ClosePhase.COMPUTE:
        # Chunks are written while the compute still stores the next ones.
        percent = 5 + (int(85 * run.chunks_done / run.chunks_total) if run.chunks_total else 0)
    else:
        percent = 0
    stalled = stalled_since(run, now=now)
    return RunProgress(
        percent, run.get_phase_display(), None if stalled else eta, run.chunks_done, run.chunks_total,
        run.status, stalled, run.notice,
    )  # fmt: skip


def close_run_for_export(*, period: dt.date, preview: bool = False) -> CloseRun:
    """The final run of a period, or its newest succeeded preview."""
    kind = CloseRunKind.PREVIEW if preview else CloseRunKind.FINAL
    run = (
        CloseRun.objects.filter(period__start=period, kind=kind, status=CloseRunStatus.SUCCEEDED)
        .select_related("period")
        .order_by("-created_at", "-id")
        .first()
    )
    if run is None:
        if preview:
            message = _(
                "Period %(period)s has no succeeded preview yet; "
                "run `manage.py close_period %(period)s --preview`."
            )
        else:
            message = _(
                "Period %(period)s has no final close yet; close it with `manage.py close_period %(period)s`."
            )
        raise NotFound(message % {"period": period_label(period)}, field="period")
    return run


def statement_export_rows(run: CloseRun) -> list[list[str]]:
    """One row per statement of the run in the export format (interfaces.md), by external id."""
    from distributors.models import Distributor

    results = {
        row[0]: row[1:]
        for row in DistributorPeriod.objects.filter(run=run)
        .values_list("distributor_id", "pv", "gv", "paid_as_rank", "title", "active", "override_eligible")
        .iterator(chunk_size=20_000)
    }
    statements = list(
        Statement.objects.filter(run=run)
        .values_list(
            "distributor_id", "personal", "override", "clawbacks", "adjustments", "carried_in", "net",
            "payout", "carried_out",
        )
        .iterator(chunk_size=20_000)
    )  # fmt: skip
    external = (
        dict(Distributor.objects.filter(id__in=[s[0] for s in statements]).values_list("id", "external_id"))
        if len(statements) < 50_000
        else dict(Distributor.objects.values_list("id", "external_id"))
    )
    label = period_label(run.period.start)
    none = (ZERO, ZERO, 0, 0, False, False)
    rows = []
    for (
        distributor_id,
        personal,
        override,
        clawbacks,
        adjustments,
        carried_in,
        net,
        payout,
        carried_out,
    ) in statements:
        pv, gv, rank, title, active, eligible = results.get(distributor_id, none)
        rows.append(
            [
                external[distributor_id],
                label,
                points_str(Decimal(pv)),
                points_str(Decimal(gv)),
                str(rank),
                str(title),
                _bool(active),
                _bool(eligible),
                money_str(personal),
                money_str(override),
                money_str(clawbacks),
                money_str(adjustments),
                money_str(carried_in),
                money_str(net),
                money_str(payout),
                money_str(carried_out),
            ]  # fmt: skip
        )
    rows.sort(key=lambda row: row[0])
    return rows


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --- A distributor's own statements and payouts (the portal's Statements pages) ---------------------


def final_statements_of(distributor) -> QuerySet[Statement]:
    """The distributor's statements of final closes, newest period first, each with its paid-as
    rank and title in the period, what was earned in the period (`earned`: personal + override +
    clawbacks + adjustments, the net without what was carried in) and its payout (if any) with the
    payout's batch. A preview never reaches a distributor. The same rows as the API's statement list."""
    from django.db.models import F, OuterRef

    result = DistributorPeriod.objects.filter(run=OuterRef("run"), distributor=OuterRef("distributor"))
    return (
        Statement.objects.filter(
            distributor=distributor, run__kind=CloseRunKind.FINAL, run__status=CloseRunStatus.SUCCEEDED
        )
        .annotate(
            paid_as_rank=Subquery(result.values("paid_as_rank")[:1]),
            title=Subquery(result.values("title")[:1]),
            earned=F("personal") + F("override") + F("clawbacks") + F("adjustments"),
        )
        .select_related("period", "run", "payout_record__batch")
        .order_by("-period__start")
    )


def final_statement_of(distributor, period: dt.date) -> Statement:
    """The distributor's statement of the final close of `period`; NotFound when the period is not
    closed or the distributor has none in it."""
    statement = final_statements_of(distributor).filter(period__start=period).first()
    if statement is None:
        raise NotFound(
            _("You have no statement in %(period)s.") % {"period": period_label(period)}, field="period"
        )
    return statement


def closed_period_statement_of(distributor, period: dt.date) -> Statement:
    """The distributor's statement of `period` as the API gives it: of the period's final close
    only (a preview never reaches a distributor). NotFound while the period has no final close
    ("not closed yet"), or when the distributor has no statement in it."""
    try:
        run = close_run_for_export(period=period)
    except NotFound:
        raise NotFound(
            _("Period %(period)s is not closed yet; its statement follows the close.")
            % {"period": period_label(period)}
        ) from None
    statement = final_statements_of(distributor).filter(run=run).first()
    if statement is None:
        raise NotFound(_("You have no statement in %(period)s.") % {"period": period_label(run.period.start)})
    return statement


def rank_progress_of(distributor, *, open_month: bool = False):
    """The distributor's rank progress (a commissions.explain.Explanation without money lines):
    of their newest statement with results in a final close, or with `open_month` of the open
    month so far, from its newest preview (the one way a preview reaches a distributor: as an
    estimate of the month under way). NotFound when there is none yet."""
    from commissions.explain import rank_progress
    from commissions.previews import newest_preview

    if open_month:
        preview = newest_preview()
        explanation = rank_progress(distributor, preview) if preview is not None else None
        if explanation is None:
            raise NotFound(_("The open month has no preview with results of yours yet."))
        return explanation
    explanation = rank_progress(distributor)
    if explanation is None:
        raise NotFound(_("No closed period has results of yours yet."))
    return explanation


def payouts_of(distributor) -> QuerySet[Payout]:
    """The payouts made to the distributor, newest period first, with their batch and period."""
    return (
        Payout.objects.filter(distributor=distributor)
        .select_related("batch__period")
        .order_by("-batch__period__start", "-id")
    )


@dataclass(frozen=True)
class CalendarMonth:
    """A month of the period calendar: half-open [starts_at, ends_at) in the company time zone."""

    period: str  # YYYY-MM
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    closed_at: dt.datetime | None
    is_current: bool


def period_calendar(*, now: dt.datetime | None = None) -> list[CalendarMonth]:
    """The months something is recorded in, and the current one (open even before anything is
    recorded), newest first."""
    current = period_of(now or timezone.now())
    # A period row exists once something is recorded in it: a few per year, read whole.
    rows = {p.start: (p.status, p.closed_at) for p in Period.objects.only("start", "status", "closed_at")}
    rows.setdefault(current, (PeriodStatus.OPEN, None))
    return [
        CalendarMonth(period_label(start), *period_bounds(start), *rows[start], start == current)
        for start in sorted(rows, reverse=True)
    ]


# --- The portal's dashboard: the close under way, last month's run


def running_final_close() -> CloseRun | None:
    """The final close under way (pending or running), if any: the portal shows its progress."""
    return (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status__in=(CloseRunStatus.PENDING, CloseRunStatus.RUNNING)
        )
        .select_related("period")
        .order_by("-created_at", "-id")
        .first()
    )


def last_final_run() -> CloseRun | None:
    """The final run of the newest closed period (last month's figures, for the team radar)."""
    return (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED, period__status=PeriodStatus.CLOSED
        )
        .select_related("period", "plan")
        .order_by("-period__start")
        .first()
    )


# --- The portal's team pages: downline members with their figures of a run (the preview)


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
