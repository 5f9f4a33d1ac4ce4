"""Plans, periods and everything the monthly close writes.

A closed period never changes: database triggers (PostgreSQL) refuse writes to the close's
output rows of a closed period; later corrections are lines of the next open period.
"""

from django.conf import settings
from django.db import models


class PlanType(models.TextChoices):
    UNILEVEL = "unilevel", "Unilevel"
    DIFFERENTIAL = "differential", "Stairstep differential"


class Plan(models.Model):
    """One version of a compensation plan document (plan-format.md). Never edited: a change is
    a new version."""

    name = models.CharField(max_length=100)
    version = models.CharField(max_length=32, unique=True)
    plan_type = models.CharField(max_length=16, choices=PlanType.choices)
    document = models.JSONField()
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-loaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class PeriodStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"


class Period(models.Model):
    """A calendar month in the company time zone: [start, first day of next month)."""

    start = models.DateField(unique=True)
    status = models.CharField(
        max_length=16, choices=PeriodStatus.choices, default=PeriodStatus.OPEN, db_index=True
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="periods")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | models.Q(plan__isnull=False, closed_at__isnull=False),
                name="period_closed_has_plan_and_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        return str(self)
