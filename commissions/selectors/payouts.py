"""A distributor's payouts as the bank saw them: held ones (no valid bank account when their batch
was made) and returned ones, with the reason in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commissions.models import (
    BankLineOutcome,
    BankStatementLine,
    Payout,
    PayoutHold,
    PayoutHoldReason,
    PayoutStatus,
)


# A bank statement line still to handle: the import could not match it and no one has handled it
# (commissions.services.bank_statements.bank_statement_line_handle). `prefix` reaches the line
# through a relation ("lines__" from a statement).
def open_bank_line(prefix: str = "") -> Q:
    return Q(**{f"{prefix}outcome": BankLineOutcome.UNMATCHED, f"{prefix}handled_at__isnull": True})


def bank_lines_open(lines: QuerySet[BankStatementLine]) -> QuerySet[BankStatementLine]:
    """The lines of `lines` still to handle."""
    return lines.filter(open_bank_line())


# The ISO 20022 return reasons a bank gives most (ExternalReturnReason1Code); others show as code.
RETURN_REASONS = {
    "AC01": gettext_lazy("Incorrect account number"),
    "AC04": gettext_lazy("Closed account number"),
    "AC06": gettext_lazy("Blocked account"),
    "AC13": gettext_lazy("Invalid account type"),
    "AG01": gettext_lazy("Transaction forbidden on this account"),
    "AG02": gettext_lazy("Invalid bank operation code"),
    "AM05": gettext_lazy("Duplicate payment"),
    "BE04": gettext_lazy("Missing creditor address"),
    "FOCR": gettext_lazy("Returned after a cancellation request"),
    "MD07": gettext_lazy("Account holder deceased"),
    "MS02": gettext_lazy("Refused by the account holder"),
    "MS03": gettext_lazy("Reason not given by the bank"),
    "RC01": gettext_lazy("Bank identifier (BIC) incorrect"),
    "RR01": gettext_lazy("Missing account or identification"),
    "RR02": gettext_lazy("Missing name or address of the payer"),
    "RR03": gettext_lazy("Missing name or address of the payee"),
    "RR04": gettext_lazy("Regulatory reason"),
}


def return_reason_text(code: str, info: str = "") -> str:
    """The bank's reason in the reader's language: the code, what it means, the bank's own words."""
    text = f"{code}: {RETURN_REASONS[code]}" if code in RETURN_REASONS else code
    return f"{text} ({info})" if info and text else (text or info)


# What a distributor reads about a held payout, per reason (the admin shows the choice's label).
HOLD_EXPLANATIONS = {
    PayoutHoldReason.NO_BANK_ACCOUNT: lambda: _(
        "You have not entered a bank account: enter it under My data, and it is paid with the next "
        "payment run."
    ),
    PayoutHoldReason.INVALID_BANK_ACCOUNT: lambda: _(
        "Your bank account is not valid: correct it under My data, and it is paid with the next payment run."
    ),
    PayoutHoldReason.RETURNED: lambda: _(
        "Your bank returned the last payment: check your bank account under My data and save it again; "
        "then it is paid with the next payment run."
    ),
    PayoutHoldReason.AGREEMENT: lambda: _(
        "You have not accepted the current distributor agreement yet: accept it under My data, and it "
        "is paid with the next payment run."
    ),
}


def hold_explanation(reason: str) -> str:
    explain = HOLD_EXPLANATIONS.get(reason)  # type: ignore[call-overload]
    return explain() if explain is not None else str(reason)


# The reasons a valid bank account clears (the bank account page lists these holds).
BANK_HOLD_REASONS = (
    PayoutHoldReason.NO_BANK_ACCOUNT,
    PayoutHoldReason.INVALID_BANK_ACCOUNT,
    PayoutHoldReason.RETURNED,
)


def payout_holds_open_of(distributor, *, reasons: Iterable[str] | None = None) -> QuerySet[PayoutHold]:
    """The distributor's payouts held and not paid since, newest period first (only those held
    for one of `reasons` when given)."""
    holds = PayoutHold.objects.filter(distributor=distributor, released_by__isnull=True)
    if reasons is not None:
        holds = holds.filter(reason__in=list(reasons))
    return holds.select_related("period").order_by("-period__start", "-id")


def payout_holds_open_of_period(period) -> QuerySet[PayoutHold]:
    """The period's payouts held and not paid since (a batch left them out, or none was made)."""
    return PayoutHold.objects.filter(period=period, released_by__isnull=True)


def payout_holds_by_statement(statement_ids: list[int]) -> dict[int, PayoutHold]:
    """The open holds of these statements, by statement id (one query)."""
    return {
        hold.statement_id: hold
        for hold in PayoutHold.objects.filter(statement_id__in=statement_ids, released_by__isnull=True)
    }


def payout_return_reason(payout: Payout) -> str:
    """Why the bank returned the payout, in the reader's language; "" unless it was returned."""
    if payout.status != PayoutStatus.RETURNED:
        return ""
    return return_reason_text(payout.return_code, payout.return_reason)
