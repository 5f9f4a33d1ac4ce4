"""Autoship: a subscription to products every N weeks or months on a chosen day.

Imported at the bottom of orders/models.py (Django finds an app's models there). A run is one
scheduled date of one subscription; it is unique on (subscription, date), so beat firing twice or
two workers create one order for it. A payment attempt is one try at collecting the run's order.
No autoship is ever required to stay active or to rank (docs/compliance.md).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from distributors.models import Distributor

# The longest interval one can choose: a year in months, a quarter of a year in weeks.
MAX_INTERVAL_MONTHS = 12
MAX_INTERVAL_WEEKS = 13


class AutoshipUnit(models.TextChoices):
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")


class AutoshipStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Subscription(TimeStampedModel):
    """Products ordered automatically for a customer of the distributor, or for the distributor's
    own use when `customer` is empty. The distributor is credited as with any order."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("distributor")
    )
    customer = models.ForeignKey(
        "orders.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=_("customer"),
    )
    interval_unit = models.CharField(_("every"), max_length=8, choices=AutoshipUnit.choices)
    interval_count = models.PositiveSmallIntegerField(_("number of weeks or months"), default=1)
    # Weeks: the weekday. Months: the day of the month; 29-31 fall on the last day of a shorter month.
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True, choices=Weekday.choices)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AutoshipStatus.choices,
        default=AutoshipStatus.ACTIVE,
        db_index=True,
    )
    # The date of the next order while active or paused (a paused one keeps it until resumed).
    next_date = models.DateField(_("next order date"), null=True, blank=True, db_index=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    # Why the system paused it (a product off sale, the last payment attempt failed); empty when
    # the subscriber paused it.
    pause_reason = models.CharField(_("reason of the pause"), max_length=255, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("autoship subscription")
        verbose_name_plural = _("autoship subscriptions")
        ordering = ["next_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_count__gte=1), name="subscription_interval_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(interval_unit="weeks", weekday__isnull=False, day_of_month__isnull=True)
                | models.Q(
                    interval_unit="months",
                    weekday__isnull=True,
                    day_of_month__gte=1,
                    day_of_month__lte=31,
                ),
                name="subscription_day_matches_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__isnull=True) | models.Q(weekday__lte=6),
                name="subscription_weekday_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="cancelled") | models.Q(next_date__isnull=False),
                name="subscription_open_has_next_date",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Autoship #%(id)s for %(subscriber)s") % {
            "id": self.pk,
            "subscriber": self.subscriber_name,
        }

    @property
    def schedule_text(self) -> str:
        """ "Every 2 weeks on Friday", "Every month on day 31" (for the pages)."""
        if self.interval_unit == AutoshipUnit.WEEKS:
            return ngettext(
                "Every week on %(day)s", "Every %(count)s weeks on %(day)s", self.interval_count
            ) % {"count": self.interval_count, "day": Weekday(self.weekday or 0).label}
        return ngettext(
            "Every month on day %(day)s", "Every %(count)s months on day %(day)s", self.interval_count
        ) % {"count": self.interval_count, "day": self.day_of_month}

    @property
    def is_own(self) -> bool:
        """The distributor's own autoship (personal use), not a customer's."""
        return self.customer_id is None

    @property
    def subscriber_name(self) -> str:
        if self.customer_id is not None:
            return str(self.customer)
        return f"{self.distributor.first_name} {self.distributor.last_name}".strip()

    @property
    def subscriber_email(self) -> str:
        if self.customer_id is not None:
            return self.customer.email  # type: ignore[union-attr]
        return self.distributor.email


class SubscriptionLine(models.Model):
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="lines", verbose_name=_("subscription")
    )
    product = models.ForeignKey(
        "orders.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("autoship line")
        verbose_name_plural = _("autoship lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="subscriptionline_quantity_positive"
            ),
            models.UniqueConstraint(fields=["subscription", "product"], name="subscriptionline_product_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class AutoshipRunStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    SKIPPED = "skipped", _("Skipped")


class AutoshipRun(TimeStampedModel):
    """One scheduled date of one subscription: the order created for it, or that it was skipped.

    Unique on (subscription, date): the idempotency of the daily task.
    """

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="runs", verbose_name=_("subscription")
    )
    scheduled_for = models.DateField(_("scheduled for"))
    status = models.CharField(_("status"), max_length=16, choices=AutoshipRunStatus.choices)
    order = models.OneToOneField(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="autoship_run",
        verbose_name=_("order"),
    )

    class Meta:
        verbose_name = _("autoship run")
        verbose_name_plural = _("autoship runs")
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "scheduled_for"], name="autoship_run_once_per_date"
            ),
            models.CheckConstraint(
                condition=models.Q(status="ordered", order__isnull=False)
                | models.Q(status="skipped", order__isnull=True),
                name="autoship_run_order_iff_ordered",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Autoship #%(subscription)s on %(date)s") % {
            "subscription": self.subscription_id,
            "date": f"{self.scheduled_for:%Y-%m-%d}",
        }


class PaymentAttemptStatus(models.TextChoices):
    DUE = "due", _("Due")
    PENDING = "pending", _("Awaiting the result")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class AutoshipPaymentAttempt(TimeStampedModel):
    """One try at collecting the payment of an autoship order. A failure schedules the next try
    (settings.AUTOSHIP_PAYMENT_RETRY_DAYS); after the last one the order is cancelled."""

    run = models.ForeignKey(
        AutoshipRun, on_delete=models.PROTECT, related_name="payment_attempts", verbose_name=_("autoship run")
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PaymentAttemptStatus.choices,
        default=PaymentAttemptStatus.DUE,
        db_index=True,
    )
    due_at = models.DateTimeField(_("due at"), db_index=True)
    attempted_at = models.DateTimeField(_("attempted at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("result recorded at"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    reference = models.CharField(_("payment reference"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("autoship payment attempt")
        verbose_name_plural = _("autoship payment attempts")
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="autoship_attempt_number_once"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="autoship_attempt_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Payment attempt %(number)s of %(run)s") % {"number": self.number, "run": self.run}
