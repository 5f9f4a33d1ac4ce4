"""The plan parameters orders and demonstrations obey, and the host rewards of compensation-plan §7.

They come from the newest stored plan document (plan-format.md) when there is one, else from the
defaults of the default plan. Cooling-off is a per-market setting: settings.COOLING_OFF_DAYS_BY_COUNTRY
(e.g. {"US": 3}) overrides the plan's `cooling_off_days` for distributors of that country.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from core.money import ZERO, round_cents
from plans.document import current_plan_document

DEFAULT_TIERS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("200"), Decimal("0.10")),
    (Decimal("500"), Decimal("0.15")),
    (Decimal("1000"), Decimal("0.20")),
)


@dataclass(frozen=True)
class OrderRules:
    cooling_off_days: int = 14
    # (minimum QPS, rate) ascending; the rate of the highest tier reached applies to the whole QPS.
    host_reward_tiers: tuple[tuple[Decimal, Decimal], ...] = DEFAULT_TIERS
    half_price_item_per: Decimal = Decimal("250")
    half_price_items_max: int = 4
    credit_valid_days: int = 60
    close_within_days: int = 30
    cooling_off_by_country: tuple[tuple[str, int], ...] = ()

    def cooling_off_days_for(self, country: str | None) -> int:
        """The cooling-off window of a market (the selling distributor's country)."""
        for code, days in self.cooling_off_by_country:
            if country and code.upper() == country.upper():
                return days
        return self.cooling_off_days


def current_rules() -> OrderRules:
    """The rules of the newest plan version loaded, or the default plan's, with the per-market
    cooling-off of the settings."""
    plan = current_plan_document()
    rewards = plan.host_rewards
    overrides = settings.COOLING_OFF_DAYS_BY_COUNTRY
    return OrderRules(
        cooling_off_days=plan.cooling_off_days,
        host_reward_tiers=tuple(sorted((tier.min_qps, tier.rate) for tier in rewards.tiers)),
        half_price_item_per=rewards.half_price_item_per,
        half_price_items_max=rewards.half_price_items_max,
        credit_valid_days=rewards.credit_valid_days,
        close_within_days=rewards.close_within_days,
        cooling_off_by_country=tuple(sorted((str(k).upper(), int(v)) for k, v in overrides.items())),
    )


def host_rewards(qps: Decimal, rules: OrderRules) -> tuple[Decimal, int]:
    """(host credit, half-price items) a demonstration with this QPS earns (compensation-plan §7).

    S3: QPS 500 -> (75.00, 2); QPS 350 -> (35.00, 1); below the lowest tier -> (0.00, 0).
    """
    rate = None
    for min_qps, tier_rate in rules.host_reward_tiers:
        if qps >= min_qps:
            rate = tier_rate
    if rate is None:
        return round_cents(ZERO), 0
    credit = round_cents(qps * rate)
    items = 0
    if rules.half_price_item_per > 0:
        items = min(rules.half_price_items_max, math.floor(qps / rules.half_price_item_per))
    return credit, items
