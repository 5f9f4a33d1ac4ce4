"""Rank names: of a plan, of the plans of several runs (each row named by its own run's plan),
and of the live rank and title (the plan of the last close)."""

from __future__ import annotations

from django.db.models import Case, Subquery, When

from plans.document import DEFAULT_PLAN_PATH, current_plan_document, load_plan_file, parse_plan_document
from plans.models import Period, PeriodStatus, Plan


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
