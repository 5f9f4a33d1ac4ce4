"""Reads of the close: run progress, statements for export, the ledger of a run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import (
    ClosePhase,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    Statement,
)
from commissions.plan_document import current_plan_document
from core.errors import NotFound
from core.money import ZERO, money_str, points_str
from core.periods import period_label

EXPORT_COLUMNS = (
    "distributor_id", "period", "pv", "gv", "paid_as_rank", "title", "active", "override_eligible",
    "personal_commission", "override_commission", "clawbacks", "adjustments", "carried_in", "net",
    "payout", "carried_out",
)  # fmt: skip


def rank_names(plan=None) -> dict[int, str]:
    """Rank number -> name in `plan` (default: the newest plan), for ranks and titles alike.

    0 (no paid-as rank, or no title yet) has no name in a plan: it is absent here, and the edges
    render it as "No rank" (admin, pages) or `"name": null` (API, `core.api.serializers.RankSerializer`).
    """
    return {rank.number: rank.name for rank in current_plan_document(plan).ranks}


@dataclass(frozen=True)
class RunProgress:
    percent: int
    phase: str
    eta_seconds: float | None
    chunks_done: int
    chunks_total: int
    status: str


def close_run_progress(run: CloseRun, *, now: dt.datetime | None = None) -> RunProgress:
    """Percentage, phase and ETA: compute counts as the first 10%, chunks as the next 85% (some are
    written during the compute already)."""
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
    return RunProgress(percent, run.get_phase_display(), eta, run.chunks_done, run.chunks_total, run.status)


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
