"""The warnings of the period compliance report: their titles and messages, in the reader's language.

A report stores each warning as data (code, level, value, threshold) with its text in the language
it was computed in; pages and commands show `localized_warnings(report.warnings)`, which writes the
text again from the code in the active language, numbers formatted per language.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.templatetags.formatting import percent


@dataclass(frozen=True)
class WarningText:
    title: Promise
    # %(value)s and %(threshold)s are the share and its threshold, as percentages.
    message: Promise


WARNING_TEXTS: dict[str, WarningText] = {
    "customer_volume_share": WarningText(
        _("Volume sold to end customers"),
        _(
            "Only %(value)s of the period's volume was sold to end customers (the rest distributors bought "
            "themselves); the threshold is at least %(threshold)s. Earnings should come from sales to "
            "people who use the products."
        ),
    ),
    "customer_reward_share": WarningText(
        _("Rewards from customer sales"),
        _(
            "Only %(value)s of the commission paid this period comes from sales to end customers; the "
            "threshold is at least %(threshold)s."
        ),
    ),
    "paid_share": WarningText(
        _("Distributors paid anything"),
        _(
            "%(value)s of the distributors were paid anything this period (threshold %(threshold)s). Most "
            "participants earn little or nothing: say so plainly in recruiting material."
        ),
    ),
    "over_cap_share": WarningText(
        _("Own purchases above the cap"),
        _(
            "%(value)s of the distributors who bought for themselves bought more than the personal "
            "consumption cap (threshold at most %(threshold)s); the excess earns nothing, but it can be "
            "a sign of inventory loading."
        ),
    ),
    "inventory_resale_ratio": WarningText(
        _("Inventory resold"),
        _(
            "Customer sales were %(value)s of the inventory volume distributors bought this period "
            "(threshold at least %(threshold)s): stock may be piling up with distributors."
        ),
    ),
    "buyback_rate": WarningText(
        _("Buy-back rate"),
        _(
            "Buy-backs were %(value)s of the value distributors bought for themselves this period "
            "(threshold at most %(threshold)s)."
        ),
    ),
}


def warning_text(code: str, value: Decimal | str, threshold: Decimal | str) -> tuple[str, str]:
    """The title and message of warning `code` in the active language."""
    text = WARNING_TEXTS[code]
    return str(text.title), str(text.message) % {"value": percent(value), "threshold": percent(threshold)}


def localized_warnings(warnings: list[dict]) -> list[dict]:
    """Stored warnings with their title and message in the active language (a code this version
    no longer knows keeps the text it was stored with)."""
    shown = []
    for warning in warnings:
        if warning.get("code") in WARNING_TEXTS:
            title, message = warning_text(warning["code"], warning["value"], warning["threshold"])
            warning = {**warning, "title": title, "message": message}
        shown.append(warning)
    return shown
