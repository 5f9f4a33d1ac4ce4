"""The bank file of a payout batch: an ISO 20022 pain.001.001.09 credit transfer initiation
(sepaxml), one transfer per payout, validated against the schema sepaxml ships before it is given
out.

The debtor is the company's own account (settings SEPA_DEBTOR_NAME, SEPA_DEBTOR_IBAN,
SEPA_DEBTOR_BIC). The file's message id is the batch reference: a bank refuses a second file with
the same message id, so uploading one batch twice cannot pay it twice. Each transfer's end-to-end
id is the payout reference, which the bank statement (camt.053) reports back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError

from commissions.models import Payout, PayoutBatch
from core.errors import ApplicationError, Conflict
from core.periods import period_label
from distributors.bank import bank_details_check

PAIN_SCHEMA = "pain.001.001.09"
SEPA_CURRENCY = "EUR"


class _BatchTransfer(SepaTransfer):
    """sepaxml's transfer with a message id of our choosing (it draws a random one)."""

    def __init__(self, config: dict[str, Any], *, message_id: str) -> None:
        self._message_id = message_id
        super().__init__(config, schema=PAIN_SCHEMA)

    def _create_header(self) -> None:
        self.msg_id = self._message_id
        super()._create_header()


def debtor_account() -> dict[str, str]:
    """The company's account from the settings, checked as a distributor's is."""
    name, iban, bic = settings.SEPA_DEBTOR_NAME, settings.SEPA_DEBTOR_IBAN, settings.SEPA_DEBTOR_BIC
    if not (name and iban):
        raise ApplicationError(
            _("Set SEPA_DEBTOR_NAME and SEPA_DEBTOR_IBAN (the company's account) to make SEPA files.")
        )
    try:
        details = bank_details_check(holder=name, iban=iban, bic=bic)
    except ValidationError as error:
        problems = "; ".join(f"{field}: {messages[0]}" for field, messages in error.message_dict.items())
        raise ApplicationError(
            _("The company's account in the settings is not valid (%(problems)s).") % {"problems": problems}
        ) from None
    account = {"name": details.holder, "IBAN": details.iban}
    if details.bic_to_use:
        account["BIC"] = details.bic_to_use
    return account


def next_business_day(today: dt.date) -> dt.date:
    """Today, or the Monday after a weekend (SEPA executes on TARGET2 days)."""
    return today + dt.timedelta(days=max(0, 7 - today.weekday())) if today.weekday() >= 5 else today


def cents(amount: Decimal) -> int:
    """An amount in cents, exactly (sepaxml takes integers): a fraction of a cent is refused."""
    value = amount * 100
    if value != value.to_integral_value():
        raise ApplicationError(_("%(amount)s is not an amount in cents.") % {"amount": amount})
    return int(value)


def remittance(batch: PayoutBatch, payout_reference: str) -> str:
    # What the distributor reads on their bank statement; a fixed text, never translated.
    return f"Commission {period_label(batch.period.start)} {payout_reference}"


def payout_batch_pain001(batch: PayoutBatch, *, execution_date: dt.date | None = None) -> bytes:
    """The batch as a pain.001.001.09 file (UTF-8 bytes), valid against the schema."""
    if settings.CURRENCY != SEPA_CURRENCY:
        raise Conflict(_("SEPA credit transfers are in euro; the company's currency is not."))
    debtor = debtor_account()
    payouts = list(
        Payout.objects.filter(batch=batch)
        .order_by("id")
        .values_list("reference", "amount", "holder", "iban", "bic")
    )
    if not payouts:
        raise Conflict(_("Payout batch %(reference)s has no payouts.") % {"reference": batch.reference})
    if any(not iban for _reference, _amount, _holder, iban, _bic in payouts):
        raise Conflict(
            _("Payout batch %(reference)s was made before SEPA payouts: use its CSV for the bank.")
            % {"reference": batch.reference}
        )
    when = execution_date or next_business_day(timezone.localdate())
    sepa = _BatchTransfer(
        {**debtor, "batch": True, "currency": SEPA_CURRENCY}, message_id=batch.reference[:35]
    )
    for reference, amount, holder, iban, bic in payouts:
        payment: dict[str, Any] = {
            "name": holder,
            "IBAN": iban,
            "amount": cents(amount),
            "execution_date": when,
            "description": remittance(batch, reference),
            "endtoend_id": reference,
        }
        if bic:
            payment["BIC"] = bic
        sepa.add_payment(payment)
    try:
        return sepa.export(validate=True)
    except SepaValidationError as error:
        raise ApplicationError(
            _("The SEPA file of %(reference)s does not match the pain.001 schema: %(error)s")
            % {"reference": batch.reference, "error": error.__cause__ or error}
        ) from None


def pain001_filename(batch: PayoutBatch) -> str:
    return f"{batch.reference}.pain.001.xml"
