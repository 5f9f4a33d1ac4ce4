"""A run's ledger lines as a reader sees them: each with its source, level, rate and base (the
explanation's money, the statement page's lines, paged by key)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from commissions.models import CloseRun, LedgerKind, LedgerLine
from commissions.selectors.legs import _volume_text
from core.periods import period_label
from core.templatetags import formatting  # numbers as the reader's language writes them


def _rate_text(rate: Decimal) -> str:
    return formatting.rate(rate)


@dataclass(frozen=True, slots=True)
class MoneyLine:
    kind: str
    source_external_id: str | None
    source_name: str | None
    level: int
    rate: Decimal
    base: Decimal
    amount: Decimal
    original_period: str | None  # clawbacks: the period whose line is reversed (YYYY-MM)
    reason: str  # adjustments: the admin's reason

    @property
    def rate_text(self) -> str:
        return "" if self.kind == LedgerKind.ADJUSTMENT else _rate_text(self.rate)

    @property
    def base_text(self) -> str:
        return _volume_text(self.base)

    @property
    def source_text(self) -> str:
        if self.source_external_id:
            return f"{self.source_name} ({self.source_external_id})"
        if self.kind == LedgerKind.ADJUSTMENT:
            return _("adjustment")
        return _("own customers")


@dataclass(frozen=True, slots=True)
class MoneyGroup:
    kind: str
    label: str
    lines: tuple[MoneyLine, ...]
    total: Decimal


def money_line(line: LedgerLine) -> MoneyLine:
    """A ledger line with its source, level, rate and base (select_related source and adjustment)."""
    return MoneyLine(
        kind=line.kind,
        source_external_id=line.source.external_id if line.source else None,
        source_name=line.source.name if line.source else None,
        level=line.level,
        rate=line.rate,
        base=line.base,
        amount=line.amount,
        original_period=period_label(line.original_period) if line.original_period else None,
        reason=line.adjustment.reason if line.adjustment else "",
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
