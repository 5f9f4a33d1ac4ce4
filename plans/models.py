"""Compensation plan versions and periods (calendar months) with their state.

Both tables kept the names they had when they were part of commissions (`commissions_plan`,
`commissions_period`): the close's triggers, locks and raw SQL name them, and moving the models
here (migrations plans 0001 and commissions 0025) changed no row and no schema.
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanType(models.TextChoices):
    UNILEVEL = "unilevel", _("Unilevel")
    DIFFERENTIAL = "differential", _("Stairstep differential")


class Plan(models.Model):
    """One version of a compensation plan document (plan-format.md). Never edited: a change is
    a new version."""

    name = models.CharField(_("name"), max_length=100)
    version = models.CharField(_("version"), max_length=32, unique=True)
    plan_type = models.CharField(_("plan type"), max_length=16, choices=PlanType.choices)
    document = models.JSONField(_("plan document"))
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("loaded by"),
    )

    class Meta:
        db_table = "commissions_plan"
        verbose_name = _("compensation plan")
        verbose_name_plural = _("compensation plans")
        ordering = ["-loaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", _("Closed")


class Period(models.Model):
    """A calendar month in the company time zone: [start, first day of next month)."""

    start = models.DateField(_("start"), unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PeriodStatus.choices, default=PeriodStatus.OPEN, db_index=True
    )
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="periods",
        verbose_name=_("compensation plan"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        db_table = "commissions_period"
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | models.Q(plan__isnull=False, closed_at__isnull=False),
                name="period_closed_has_plan_and_time",
            )
        ]
        triggers = [
            # A closed period never changes again.
            pgtrigger.Trigger(
                name="period_closed_is_final",
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                func="""
                IF OLD.status = 'closed' THEN
                    RAISE EXCEPTION 'period % is closed and can no longer change', OLD.start
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
                """,
            )
        ]

    def __str__(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        return str(self)
