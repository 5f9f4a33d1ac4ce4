"""Statements and payouts: a distributor's own (the portal's Statements pages, the API), and
every statement of a run in the export format (`manage.py export_statements`, interfaces.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet, Subquery
from django.utils.translation import gettext as _

from commissions.models import (
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    Payout,
    SelfBillingInvoice,
    Statement,
)
from commissions.selectors.runs import close_run_for_export
from core.errors import NotFound
from core.money import ZERO, money_str, points_str
from core.periods import period_label

EXPORT_COLUMNS = (
    "distributor_id", "period", "pv", "gv", "paid_as_rank", "title", "active", "override_eligible",
    "personal_commission", "override_commission", "clawbacks", "adjustments", "carried_in", "net",
    "payout", "carried_out",
)  # fmt: skip
# With --invoices: the payout's self-billing invoice (empty without one), after the columns above.
INVOICE_COLUMNS = ("invoice_number", "vat_status", "vat_amount", "invoice_total")


def statement_export_rows(run: CloseRun, *, invoices: bool = False) -> list[list[str]]:
    """One row per statement of the run in the export format (interfaces.md), by external id; with
    `invoices`, each row ends with its payout's invoice number, VAT status, VAT and invoice total."""
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
    invoiced = _invoices_by_distributor(run) if invoices else {}
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
                *(invoiced.get(distributor_id, ["", "", "", ""]) if invoices else []),
            ]  # fmt: skip
        )
    rows.sort(key=lambda row: row[0])
    return rows


def _invoices_by_distributor(run: CloseRun) -> dict[int, list[str]]:
    """The invoice columns of the run's paid statements, by distributor id (one query)."""
    return {
        distributor_id: [number, treatment, money_str(vat), money_str(total)]
        for distributor_id, number, treatment, vat, total in SelfBillingInvoice.objects.filter(
            payout__statement__run=run
        ).values_list("distributor_id", "number", "vat_treatment", "vat_amount", "total")
    }


def _bool(value: bool) -> str:
    return "true" if value else "false"


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


def payouts_of(distributor) -> QuerySet[Payout]:
    """The payouts made to the distributor, newest period first, with their batch and period."""
    return (
        Payout.objects.filter(distributor=distributor)
        .select_related("batch__period")
        .order_by("-batch__period__start", "-id")
    )
