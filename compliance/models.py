"""Compliance evidence: the period compliance report (rules/compliance §5).

One report per close run (final or preview), or one per period computed from the orders alone
when the period has no close yet. Recomputing replaces the numbers of that report; the income
disclosure statement (rules/compliance §6) is computed on demand from the ledger and is not stored.
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import MONEY, DecimalSize

VOLUME: DecimalSize = {"max_digits": 18, "decimal_places": 4}
# Shares and ratios: 0.5123 is 51.23%.
SHARE: DecimalSize = {"max_digits": 12, "decimal_places": 4}


class ComplianceReport(models.Model):
    period_start = models.DateField(_("period"), db_index=True)
    run = models.ForeignKey(
        "commissions.CloseRun",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="compliance_reports",
        verbose_name=_("close run"),
    )
    run_kind = models.CharField(
        _("kind of run"), max_length=16, blank=True
    )  # "final", "preview" or "" (orders only)
    computed_at = models.DateTimeField(_("computed at"))

    # Distributors who existed in the period (the run's statements when there is a run).
    distributors = models.PositiveIntegerField(_("distributors"), default=0)

    # Volume (QV) of the period's orders, net of returns refunded in the same period.
    total_qv = models.DecimalField(_("total QV"), default=0, **VOLUME)
    customer_qv = models.DecimalField(_("customer QV"), default=0, **VOLUME)
    own_qv = models.DecimalField(_("own QV"), default=0, **VOLUME)
    customer_volume_share = models.DecimalField(
        _("share sold to end customers"), null=True, blank=True, **SHARE
    )
    own_volume_share = models.DecimalField(_("share bought by distributors"), null=True, blank=True, **SHARE)

    # Own purchases above the personal-consumption cap (non-rewardable).
    consumption_cap_qv = models.DecimalField(
        _("personal consumption cap (QV)"), null=True, blank=True, **VOLUME
    )
    over_cap_qv = models.DecimalField(_("volume above the cap"), default=0, **VOLUME)
    over_cap_distributors = models.PositiveIntegerField(_("distributors above the cap"), default=0)
    own_buyers = models.PositiveIntegerField(_("distributors who bought for themselves"), default=0)
    over_cap_share = models.DecimalField(_("share above the cap"), null=True, blank=True, **SHARE)

    # Rewards of the run (personal commission + overrides of the period; no clawbacks/adjustments).
    personal_commission = models.DecimalField(_("personal commission"), null=True, blank=True, **MONEY)
    override_commission = models.DecimalField(_("override commission"), null=True, blank=True, **MONEY)
    customer_rewards = models.DecimalField(_("rewards from customer sales"), null=True, blank=True, **MONEY)
    customer_reward_share = models.DecimalField(
        _("share of rewards from customer sales"), null=True, blank=True, **SHARE
    )

    # Statements of the run.
    earning_distributors = models.PositiveIntegerField(
        _("distributors who earned anything"), null=True, blank=True
    )
    paid_distributors = models.PositiveIntegerField(_("distributors paid"), null=True, blank=True)
    paid_share = models.DecimalField(_("share paid anything"), null=True, blank=True, **SHARE)
    total_payout = models.DecimalField(_("total paid out"), null=True, blank=True, **MONEY)
    mean_payout = models.DecimalField(_("mean payout (everyone)"), null=True, blank=True, **MONEY)
    median_payout = models.DecimalField(_("median payout (everyone)"), null=True, blank=True, **MONEY)
    mean_payout_paid = models.DecimalField(_("mean payout (of those paid)"), null=True, blank=True, **MONEY)
    median_payout_paid = models.DecimalField(
        _("median payout (of those paid)"), null=True, blank=True, **MONEY
    )

    # Inventory bought vs resold.
    inventory_bought_value = models.DecimalField(_("inventory bought"), default=0, **MONEY)
    inventory_bought_qv = models.DecimalField(_("inventory bought (QV)"), default=0, **VOLUME)
    customer_sales_value = models.DecimalField(_("sold to customers"), default=0, **MONEY)
    own_purchases_value = models.DecimalField(_("own purchases"), default=0, **MONEY)
    inventory_resale_ratio = models.DecimalField(_("resale ratio (volume)"), null=True, blank=True, **SHARE)
    inventory_buyers = models.PositiveIntegerField(_("distributors who bought inventory"), default=0)
    inventory_without_sales = models.PositiveIntegerField(_("bought inventory, sold nothing"), default=0)
    inventory_without_sales_value = models.DecimalField(
        _("inventory without sales (value)"), default=0, **MONEY
    )

    # Buy-back in the period.
    buyback_requests = models.PositiveIntegerField(_("buy-back requests"), default=0)
    buyback_count = models.PositiveIntegerField(_("buy-backs approved"), default=0)
    buyback_rejected = models.PositiveIntegerField(_("buy-backs rejected"), default=0)
    buyback_value = models.DecimalField(_("bought back (value)"), default=0, **MONEY)
    buyback_rate = models.DecimalField(_("buy-back rate"), null=True, blank=True, **SHARE)

    # [{"code", "level": "warning"|"info", "title", "message", "value", "threshold"}]
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)

    class Meta:
        verbose_name = _("compliance report")
        verbose_name_plural = _("compliance reports")
        ordering = ["-period_start", "-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run"], condition=models.Q(run__isnull=False), name="compliancereport_one_per_run"
            ),
            models.UniqueConstraint(
                fields=["period_start"],
                condition=models.Q(run__isnull=True),
                name="compliancereport_one_orders_only_per_period",
            ),
        ]

    def __str__(self) -> str:
        kind = {"final": gettext("final close"), "preview": gettext("preview")}.get(
            self.run_kind, gettext("orders only")
        )
        return gettext("Compliance report %(period)s (%(kind)s)") % {
            "period": f"{self.period_start:%Y-%m}",
            "kind": kind,
        }

    @property
    def period_label(self) -> str:
        return f"{self.period_start:%Y-%m}"

    @property
    def warning_count(self) -> int:
        return sum(1 for w in self.warnings if w.get("level") == "warning")
