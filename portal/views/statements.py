"""Portal: Statements. My statements of closed periods (final closes only), each with every ledger
line explained, its totals, carry-forward and payout; a CSV and a printable page of it; and the
income disclosure statement the company publishes (the admin's, from compliance.selectors).
"""

from __future__ import annotations

from django import forms
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commissions.invoice_documents import invoice_filename, invoice_pdf
from commissions.models import LedgerKind
from commissions.selectors.invoices import invoices_by_payout
from commissions.selectors.money_lines import statement_lines
from commissions.selectors.payouts import hold_explanation, payout_holds_by_statement, payout_return_reason
from commissions.selectors.ranks import rank_names_by_plan
from commissions.selectors.statements import final_statement_of, final_statements_of
from compliance.selectors import income_disclosure_published, income_disclosure_years
from core import csv
from core.api.pagination import CURSOR_SALT, encode_cursor
from core.errors import ApplicationError, NotFound
from core.money import money_str, points_str
from core.periods import parse_period, period_label
from portal.access import PortalRequest, distributor_required

STATEMENTS_PER_PAGE = 12
LINES_PER_PAGE = 100
# The printable page lists this many lines; a leader with more downloads the CSV.
PRINT_LINES = 2000
CSV_BATCH = 5000
CSV_COLUMNS = (
    "period", "kind", "source_external_id", "source_name", "level", "rate", "base", "amount",
    "original_period", "reason",
)  # fmt: skip


BAD_LINES_CURSOR = gettext_lazy(
    "This link to more lines is not valid: open the statement again and use its “More lines” link."
)


class LinesPageForm(forms.Form):
    """Where a page of a statement's lines starts: the signed cursor (core.api.pagination's, as the
    API's `next`) of the last line key of the page before; none for the first page."""

    after = forms.CharField(required=False, max_length=200)

    def clean_after(self) -> str | None:
        text = self.cleaned_data["after"]
        if not text:
            return None
        try:
            key = signing.loads(text, salt=CURSOR_SALT)
        except signing.BadSignature:
            key = None
        if not (isinstance(key, list) and len(key) == 1 and type(key[0]) is str):
            raise forms.ValidationError(BAD_LINES_CURSOR)
        return key[0]


def _payout(statement):
    # The reverse one-to-one raises when there is no payout; select_related already read it.
    return getattr(statement, "payout_record", None)


def _statement(request: PortalRequest, period: str):
    try:
        return final_statement_of(request.distributor, parse_period(period))
    except (ApplicationError, NotFound) as error:
        raise Http404(getattr(error, "message", "")) from None


def _lines(rows) -> list[dict]:
    kinds = dict(LedgerKind.choices)
    return [{"key": key, "line": line, "kind_label": kinds.get(line.kind, line.kind)} for key, line in rows]


@distributor_required
def index(request: PortalRequest) -> HttpResponse:
    page = Paginator(final_statements_of(request.distributor), STATEMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    statements = list(page.object_list)
    names = rank_names_by_plan(s.run.plan_id for s in statements)
    holds = payout_holds_by_statement([s.pk for s in statements])
    invoices = invoices_by_payout([p.pk for p in map(_payout, statements) if p is not None])
    return render(
        request,
        "portal/statements.html",
        {
            "page": page,
            "rows": [
                {
                    "s": s,
                    "payout": _payout(s),
                    "names": names.get(s.run.plan_id, {}),
                    "hold": holds.get(s.pk),
                    "invoice": invoices.get(_payout(s).pk) if _payout(s) is not None else None,
                }
                for s in statements
            ],
        },
    )


def _statement_context(statement) -> dict:
    names = rank_names_by_plan([statement.run.plan_id]).get(statement.run.plan_id, {})
    payout = _payout(statement)
    hold = payout_holds_by_statement([statement.pk]).get(statement.pk) if payout is None else None
    return {
        "statement": statement,
        "period": period_label(statement.period.start),
        "payout": payout,
        "names": names,
        # Why a payout waits (no valid bank account), or why the bank gave it back.
        "hold_explanation": hold_explanation(hold.reason) if hold is not None else "",
        "hold_reason": hold.reason if hold is not None else "",
        # The self-billing invoice of the payout (none for a repayment alone).
        "invoice": invoices_by_payout([payout.pk]).get(payout.pk) if payout is not None else None,
        "return_reason": payout_return_reason(payout) if payout is not None else "",
    }


@distributor_required
def detail(request: PortalRequest, period: str) -> HttpResponse:
    statement = _statement(request, period)
    form = LinesPageForm(request.GET)
    if not form.is_valid():
        # A changed or cut link (a NUL byte too: CharField refuses it): a bad request, nothing read.
        return HttpResponse(BAD_LINES_CURSOR, status=400, content_type="text/plain; charset=utf-8")
    after = form.cleaned_data["after"]
    rows = statement_lines(statement.run, statement.distributor_id, after_key=after, limit=LINES_PER_PAGE + 1)
    more = len(rows) > LINES_PER_PAGE
    rows = rows[:LINES_PER_PAGE]
    return render(
        request,
        "portal/statement_detail.html",
        {
            **_statement_context(statement),
            "lines": _lines(rows),
            "next_after": encode_cursor([rows[-1][0]]) if more else None,
            "paged": after is not None,
        },
    )


@distributor_required
def printable(request: PortalRequest, period: str) -> HttpResponse:
    statement = _statement(request, period)
    rows = statement_lines(statement.run, statement.distributor_id, limit=PRINT_LINES + 1)
    return render(
        request,
        "portal/statement_print.html",
        {
            **_statement_context(statement),
            "lines": _lines(rows[:PRINT_LINES]),
            "cut": len(rows) > PRINT_LINES,
            "print_lines": PRINT_LINES,
        },
    )


@distributor_required
def csv_download(request: PortalRequest, period: str) -> HttpResponse:
    """Every ledger line of the statement, in ledger order, in a fixed format (amounts with a
    decimal point, whatever the reader's language), formula-safe (core.csv)."""
    statement = _statement(request, period)
    label = period_label(statement.period.start)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{label}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    after = None
    while True:
        rows = statement_lines(statement.run, statement.distributor_id, after_key=after, limit=CSV_BATCH)
        for _key, line in rows:
            writer.writerow(
                [
                    label,
                    line.kind,
                    line.source_external_id or "",
                    line.source_name or "",
                    line.level,
                    points_str(line.rate),
                    points_str(line.base),
                    money_str(line.amount),
                    line.original_period or "",
                    line.reason,
                ]
            )
        if len(rows) < CSV_BATCH:
            break
        after = rows[-1][0]
    return response


@distributor_required
def invoice_download(request: PortalRequest, period: str) -> HttpResponse:
    """The self-billing invoice of the statement's payout, as PDF (the distributor's own only)."""
    statement = _statement(request, period)
    payout = _payout(statement)
    invoice = invoices_by_payout([payout.pk]).get(payout.pk) if payout is not None else None
    if invoice is None:
        raise Http404(_("This statement has no invoice."))
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
    response["Cache-Control"] = "no-store"
    return response


@distributor_required
def income_disclosure(request: PortalRequest) -> HttpResponse:
    years = income_disclosure_years()
    raw = request.GET.get("year", "")
    year: int | None
    if raw:
        if not raw.isdigit() or int(raw) not in years:
            raise Http404(_("No income disclosure statement for that year."))
        year = int(raw)
    else:
        # The last full year once it has a close; before that the newest year there is.
        last_year = timezone.localdate().year - 1
        year = last_year if last_year in years else (years[0] if years else None)
    return render(
        request,
        "portal/income_disclosure.html",
        {"d": income_disclosure_published(year=year) if year else None, "years": years, "year": year},
    )


urlpatterns = [
    path("", index, name="statements"),
    path("income-disclosure/", income_disclosure, name="income-disclosure"),
    path("<str:period>/", detail, name="statement"),
    path("<str:period>/print/", printable, name="statement-print"),
    path("<str:period>/csv/", csv_download, name="statement-csv"),
    path("<str:period>/invoice/", invoice_download, name="statement-invoice"),
]
