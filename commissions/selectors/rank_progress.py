"""A distributor's rank progress: the explanation of their results without money lines, of their
newest final close or of the open month's newest preview (`GET /me/progress/`, the portal's rank
card). Only the distributor's own row and at most LEGS_READ legs are read, however long the
frontline."""

from __future__ import annotations

from django.utils.translation import gettext as _

from commissions.models import CloseRun, CloseRunKind, CloseRunStatus, DistributorPeriod
from commissions.previews import newest_preview
from commissions.selectors.explanation import Explanation, explain_distributor
from core.errors import NotFound


def rank_progress(distributor, run: CloseRun | None = None) -> Explanation | None:
    """The distributor's rank progress: the explanation (no money lines) of the newest final close
    with results of theirs (None before their first), or of `run` (e.g. the open month's newest
    preview; None when they have no results in it). What `GET /me/progress/` and the portal's
    rank card show: the distributor's own row and at most LEGS_READ legs are read, however long
    the frontline (`explain_distributor(..., all_legs=False)`)."""
    if run is not None:
        try:
            return explain_distributor(distributor, run, with_money=False, all_legs=False)
        except NotFound:  # not in that run (enrolled since)
            return None
    newest = (
        DistributorPeriod.objects.filter(
            distributor=distributor, run__kind=CloseRunKind.FINAL, run__status=CloseRunStatus.SUCCEEDED
        )
        .select_related("run__period", "run__plan")
        .order_by("-run__period__start")
        .first()
    )
    if newest is None:
        return None
    return explain_distributor(distributor, newest.run, with_money=False, all_legs=False)


def rank_progress_of(distributor, *, open_month: bool = False):
    """The distributor's rank progress (an Explanation without money lines):
    of their newest statement with results in a final close, or with `open_month` of the open
    month so far, from its newest preview (the one way a preview reaches a distributor: as an
    estimate of the month under way). NotFound when there is none yet."""
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
