"""A distributor's personal data held by this app (GDPR, rules/compliance §8): their results,
statements, ledger lines, payouts and self-billing invoices, of the final closes only (previews
are not records of anything paid). The `privacy` app collects this part with the other apps' parts.

Nothing here is erased: these are financial records a company keeps 7 years (Dutch tax law), and
they name the person only through the distributor, whom erasure pseudonymises.
"""

from __future__ import annotations

from commissions.models import (
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Payout,
    SelfBillingInvoice,
    Statement,
)
from core.personal_data import PersonalDataPart, rows
from distributors.models import Distributor
from distributors.personal_data import named

# Rows of the final closes only: previews are not records of anything paid.
FINAL_RUN = {"run__kind": CloseRunKind.FINAL, "run__status": CloseRunStatus.SUCCEEDED}


def distributor_part(distributor: Distributor) -> PersonalDataPart:
    """Volumes and paid-as rank per closed period, statements, ledger lines (their source
    distributor by name only) and the payouts made to the distributor."""
    period_results = rows(
        DistributorPeriod.objects.filter(distributor=distributor, **FINAL_RUN).order_by("period__start"),
        "pcv",
        "ppc",
        "pv",
        "gv",
        "customer_cv",
        "own_cv",
        "customer_count",
        "active",
        "customer_requirement_met",
        "override_eligible",
        "paid_as_rank",
        "title",
        "active_frontline",
        period="period__start",
    )
    statements = rows(
        Statement.objects.filter(distributor=distributor, **FINAL_RUN).order_by("period__start"),
        "carried_in",
        "personal",
        "override",
        "clawbacks",
        "adjustments",
        "net",
        "payout",
        "carried_out",
        period="period__start",
    )
    ledger_lines = [
        {**row, "source": named(*(row.pop(k) for k in ("source_id", "src_ext", "src_first", "src_last")))}
        for row in rows(
            LedgerLine.objects.filter(distributor=distributor, **FINAL_RUN).order_by(
                "period__start", "kind", "key"
            ),
            "kind",
            "key",
            "level",
            "rate",
            "base",
            "amount",
            "original_period",
            "source_id",
            period="period__start",
            src_ext="source__external_id",
            src_first="source__first_name",
            src_last="source__last_name",
        )
    ]
    payouts = rows(
        Payout.objects.filter(distributor=distributor).order_by("batch__period__start", "id"),
        "reference",
        "amount",
        period="batch__period__start",
        batch="batch__reference",
        batch_status="batch__status",
        paid_at="batch__paid_at",
        account_holder="holder",
        iban="iban",
        bank_status="status",
        booked_on="booked_on",
        return_code="return_code",
        return_reason="return_reason",
    )
    invoices = rows(
        SelfBillingInvoice.objects.filter(distributor=distributor).order_by("issued_on", "number"),
        "number",
        "issued_on",
        "language",
        "supplier_name",
        "supplier_address",
        "supplier_country",
        "vat_treatment",
        "supplier_vat_number",
        "commission",
        "vat_rate",
        "vat_amount",
        "total",
        period="period__start",
        payout="payout__reference",
    )
    return PersonalDataPart(
        sections={
            "period_results": period_results,
            "statements": statements,
            "ledger_lines": ledger_lines,
            "payouts": payouts,
            "self_billing_invoices": invoices,
        }
    )
