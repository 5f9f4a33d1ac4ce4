"""Staff pages beside the admin: compare two runs of a period, explain a distributor in a run.

Plain Django views, thin: parse the query string, call one selector, render. Mounted by
`backoffice/urls.py` (before the admin's own URLs):

    path("admin/commissions/", include(commissions_admin_urls())),

with `from commissions.admin_views import admin_urls as commissions_admin_urls`. Link targets:
`reverse("commissions_compare") + "?a=RUN&b=RUN"` and `reverse("commissions_explain", args=[RUN])`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from commissions.models import CloseRun
from commissions.selectors.comparison import periods_with_runs, run_comparison, runs_to_compare, succeeded_run
from commissions.selectors.comparison_render import CSV_COLUMNS, comparison_csv_rows, run_label
from commissions.selectors.explanation import explain_distributor
from commissions.selectors.ranks import rank_names
from commissions.selectors.runs import close_run_by_id
from core import csv  # neutralises formula-like cells (CSV injection)
from core.errors import ApplicationError, NotFound
from core.periods import parse_period, period_label
from plans.models import Period

PAGE_ROWS = 500  # rows shown on the page; the CSV has every changed distributor


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm("commissions.view_closerun"):
        raise PermissionDenied


def _context(request: HttpRequest, title: str) -> dict:
    return {**admin.site.each_context(request), "title": title, "opts": CloseRun._meta}


def _run_or_none(value: str | None) -> CloseRun | None:
    return succeeded_run(int(value)) if value and value.isdigit() else None


class _Echo:
    """A file-like object whose write returns the line, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(comparison) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(CSV_COLUMNS)
    for row in comparison_csv_rows(comparison):
        yield writer.writerow(row)


@staff_member_required
def compare_view(request: HttpRequest) -> HttpResponse:
    """Pick a period and two of its runs; the table of who gains and who loses, totals on top."""
    _require_view(request)
    run_a = _run_or_none(request.GET.get("a"))
    run_b = _run_or_none(request.GET.get("b"))
    errors = []
    period_text = request.GET.get("period", "").strip()
    period = None
    if period_text:
        try:
            period = Period.objects.filter(start=parse_period(period_text)).first()
        except ApplicationError as exc:
            errors.append(str(exc))
    if period is None and (run_a or run_b):
        period = (run_a or run_b).period
    if request.GET.get("a") and run_a is None:
        errors.append(_("Run %(run)s does not exist or has not succeeded.") % {"run": request.GET["a"]})
    if request.GET.get("b") and run_b is None:
        errors.append(_("Run %(run)s does not exist or has not succeeded.") % {"run": request.GET["b"]})

    # When neither run is chosen: the final close (or the older preview) against the newest preview.
    chosen = runs_to_compare(period, a=run_a, b=run_b)
    runs, run_a, run_b = chosen.runs, chosen.a, chosen.b

    comparison = None
    if run_a is not None and run_b is not None and not errors:
        if request.GET.get("format") == "csv":
            response = StreamingHttpResponse(
                _csv_stream(run_comparison(run_a, run_b)), content_type="text/csv"
            )
            response["Content-Disposition"] = (
                f'attachment; filename="compare-run-{run_a.pk}-run-{run_b.pk}.csv"'
            )
            return response
        comparison = run_comparison(run_a, run_b, limit=PAGE_ROWS)

    context = {
        **_context(request, _("Compare two runs of the close")),
        "periods": periods_with_runs(limit=36),
        "period": period_label(period.start) if period else "",
        "runs": [(run.pk, run_label(run)) for run in runs],
        "run_a": run_a,
        "run_b": run_b,
        "label_a": run_label(run_a) if run_a else "",
        "label_b": run_label(run_b) if run_b else "",
        "comparison": comparison,
        "names": rank_names(run_b.plan) if comparison is not None else {},
        "errors": errors,
        "page_rows": PAGE_ROWS,
    }
    return render(request, "admin/commissions/compare.html", context)


@staff_member_required
def explain_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """A distributor in a run: the rank table with met / not met, the legs, the money lines.

    `?distributor=` takes the external id (as staff type it), the internal id (as the API and the
    admin's links use it) or the referral code.
    """
    from distributors.selectors import distributor_by_reference

    _require_view(request)
    run = close_run_by_id(run_id)
    if run is None:
        raise Http404(_("There is no run %(run)s.") % {"run": run_id})
    reference = request.GET.get("distributor", "").strip()
    explanation = None
    error = ""
    if reference:
        try:  # an ambiguous reference refuses too (AmbiguousReference), naming everyone it fits
            distributor = distributor_by_reference(reference)
            if distributor is None:
                raise NotFound(
                    _("There is no distributor with the id or external id %(id)s.") % {"id": repr(reference)}
                )
            explanation = explain_distributor(distributor, run)
        except ApplicationError as exc:
            error = str(exc)
    title = (
        _("Explain %(name)s (%(id)s)") % {"name": explanation.name, "id": explanation.external_id}
        if explanation
        else _("Explain a distributor")
    )
    context = {
        **_context(request, title),
        "run": run,
        "run_label": run_label(run),
        "distributor": reference,
        "e": explanation,
        "names": rank_names(run.plan),
        "error": error,
    }
    return render(request, "admin/commissions/explain.html", context, status=404 if error else 200)


def admin_urls() -> list[URLPattern]:
    """The staff pages, to include under /admin/commissions/ before the admin's own URLs."""
    return [
        path("compare/", compare_view, name="commissions_compare"),
        path("runs/<int:run_id>/explain/", explain_view, name="commissions_explain"),
    ]
