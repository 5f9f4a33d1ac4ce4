"""Everything the monthly close writes: runs, chunks, results, ledger, statements, payouts.

Plans and periods are in the plans app (below orders, which checks a period's state).

A closed period never changes: database triggers (PostgreSQL) refuse writes to the close's
output rows of a closed period; later corrections are lines of the next open period.

Over 500 lines: Django keeps an app's models in one module; each model states what writes it.
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from commissions.triggers import (
    BAD,
    KEPT,
    LEDGER_APPEND_ONLY,
    LEDGER_DELETE_ONLY_PREVIEWS,
    MISSING,
    PAID_STATEMENT_KEPT,
    REVERSED_LINE_EXISTS,
    REVERSED_LINE_KEPT,
    STATEMENT_EXISTS,
    closed_period,
    distributors_exist,
    run_delete,
)
from core.money import MONEY, ZERO, DecimalSize
from core.triggers import NEW_ROWS, OLD_ROWS, after_each_statement
from plans.models import Period, Plan

# Sums of per-unit volumes (4 decimals on order lines) over a period.
VOLUME: DecimalSize = {"max_digits": 18, "decimal_places": 4}
# Bases and shares keep enough digits that base x rate reproduces the line before rounding.
PRECISE: DecimalSize = {"max_digits": 32, "decimal_places": 12}
RATE: DecimalSize = {"max_digits": 16, "decimal_places": 10}


class CloseRunKind(models.TextChoices):
    PREVIEW = "preview", _("Preview")
    FINAL = "final", _("Final close")


class CloseRunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    # A final run an operator gave up on (commissions.close.discard): its rows are gone and
    # its period is open again; the row stays as the record of what happened.
    DISCARDED = "discarded", _("Discarded")


class ClosePhase(models.TextChoices):
    QUEUED = "queued", _("Queued")
    COMPUTE = "compute", _("Check tree, aggregate orders, compute")
    WRITE = "write", _("Write results, ledger and statements")
    FINALIZE = "finalize", _("Finalize")
    DONE = "done", _("Done")


class CloseRun(models.Model):
    """One computation of a period: a preview (any number, while open) or the final close (one).

    Every row the close writes points at its run; a final close and payouts read only the final
    run's rows, so previews never leak into money.
    """

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="runs", verbose_name=_("period")
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="runs", verbose_name=_("compensation plan")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CloseRunKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CloseRunStatus.choices,
        default=CloseRunStatus.PENDING,
        db_index=True,
    )
    phase = models.CharField(_("phase"), max_length=16, choices=ClosePhase.choices, default=ClosePhase.QUEUED)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    compute_seconds = models.FloatField(_("compute time (s)"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    # The period report: distributors, ranks histogram, totals, breakage, host credit, duration.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # A final run's ranks and titles are on the distributors: set in the transaction that wrote
    # them (during the compute, ADR 0007); finalize writes them when it is not set.
    ranks_written = models.BooleanField(_("ranks written"), default=False, editable=False)
    # The last time the run moved forward (compute started, a chunk stored or written, finalize):
    # the watchdog (commissions.close.recovery) takes a run that has not moved for longer than
    # its bound for one whose worker died.
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    recoveries = models.PositiveIntegerField(_("recoveries"), default=0)
    # What the watchdog or a resume last did for the run, for the run's page and close_period.
    notice = models.TextField(_("notice"), blank=True)
    discard_reason = models.TextField(_("reason for discarding"), blank=True)

    class Meta:
        verbose_name = _("close run")
        verbose_name_plural = _("close runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One final run per period; a discarded one no longer counts.
            models.UniqueConstraint(
                fields=["period"],
                condition=models.Q(kind="final") & ~models.Q(status="discarded"),
                name="closerun_one_final_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(chunks_done__lte=models.F("chunks_total")),
                name="closerun_chunks_done_le_total",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s of %(period)s (run %(run)s)") % {
            "kind": self.get_kind_display(),
            "period": self.period,
            "run": self.pk,
        }


class CloseChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CloseChunk(models.Model):
    """A slice of a run's output (the rows of a range of distributors), written in one transaction.

    Workers claim it with a conditional UPDATE (pending/failed, or running with a stale claim);
    the computed rows wait in `payload` until the chunk is written, then it is cleared.
    """

    run = models.ForeignKey(
        CloseRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("close run")
    )
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CloseChunkStatus.choices,
        default=CloseChunkStatus.PENDING,
        db_index=True,
    )
    claimed_by = models.CharField(_("claimed by"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    distributors = models.PositiveIntegerField(_("distributors"), default=0)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    error = models.TextField(_("error"), blank=True)
    payload = models.BinaryField(_("computed rows"), null=True, blank=True, editable=False)
    # Set by chunks of earlier versions, which updated their distributors' ranks and titles
    # themselves; since ADR 0007 the run writes them all at once (CloseRun.ranks_written).
    ranks_written = models.BooleanField(_("ranks written"), default=False, editable=False)
    # SHA-256 of the payload's rows: a compute resumed after a crash must store the same rows for
    # a chunk already stored (it may be written already), and this is how it knows.
    digest = models.CharField(_("digest (SHA-256)"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("close chunk")
        verbose_name_plural = _("close chunks")
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="closechunk_unique_number")]

    def __str__(self) -> str:
        return gettext("chunk %(number)s of run %(run)s") % {"number": self.number, "run": self.run_id}


# The close's output rows (results, ledger lines, statements) carry no database FOREIGN KEY to the
# distributor: a close COPYs millions of them, and a foreign key checks (and share-locks) the
# distributor row once per row, which cost the 1M close ~43 s. Triggers check the same thing once
# per statement instead: AFTER INSERT/UPDATE triggers look the statement's distributors up
# (`*_distributor_*` below, commissions/triggers.py), and an AFTER DELETE trigger on the
# distributors refuses to delete one that has rows here (migration 0008).
# The ORM's PROTECT still applies, and nothing in the product deletes distributors (docs/adr/0004).


# The close writes a million results and statements and millions of ledger lines per run, and
# every index costs each of them an insert (about half of the WAL the close writes). So these
# three tables have two B-tree indexes each: the primary key, and the unique key that makes a
# re-run chunk unable to write a row twice, which leads with the distributor so that it also
# serves every read by distributor (portal, API, explain, privacy export). Reads of a whole run
# (export, comparison, compliance report) use a BRIN index on run_id: a run's rows are written
# together, so a few page ranges hold them, and the index costs next to nothing to keep
# (migration 0014; a B-tree on SQLite).


class CloseInput(models.Model):
    """What a final close computes from, about each distributor, fixed when its compute first starts:
    the sponsor, status and title then, and whether they belong to the period. A compute resumed
    after a crash reads these rows instead of the live tables, so it computes exactly what the first
    one did whatever staff changed meanwhile (a move, a termination, a rank written by the run
    itself); an operator who discards the run gets the ranks and titles back from here.

    Written in one INSERT ... SELECT (commissions.services.aggregation.freeze_period_distributors);
    no id column and no foreign keys: a million rows a month, read by run only.
    """

    pk = models.CompositePrimaryKey("run_id", "distributor_id")
    run = models.ForeignKey(
        CloseRun, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False,
        verbose_name=_("close run"),
    )  # fmt: skip
    distributor_id = models.BigIntegerField(_("distributor"))
    sponsor_id = models.BigIntegerField(_("sponsor"), null=True)
    status = models.CharField(_("status"), max_length=16)
    rank = models.PositiveSmallIntegerField(_("paid-as rank"))
    title = models.PositiveSmallIntegerField(_("title (highest rank)"))
    enrolled_in_time = models.BooleanField(_("in the period"))
    terminated_later = models.BooleanField(_("terminated after the period"))

    class Meta:
        verbose_name = _("close input")
        verbose_name_plural = _("close inputs")

    def __str__(self) -> str:
        return gettext("input of distributor %(distributor)s to run %(run)s") % {
            "distributor": self.distributor_id,
            "run": self.run_id,
        }


class DistributorPeriod(models.Model):
    """A distributor's volumes, activity, eligibility and rank in one run of a period."""

    # No database FK on run and period: the close COPYs millions of rows carrying the same two ids and
    # their checks cost ~30% of it; the close is the only writer and holds its run, the ORM keeps PROTECT.
    run = models.ForeignKey(
        CloseRun,
        on_delete=models.PROTECT,
        related_name="results",
        db_index=False,
        db_constraint=False,
        verbose_name=_("close run"),
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("period"),
    )
    # The distributor exists: checked per statement; reads by distributor use the unique index
    # (both: see the notes above DistributorPeriod).
    distributor = models.ForeignKey(
        "distributors.Distributor", on_delete=models.PROTECT, related_name="+", db_constraint=False,
        db_index=False, verbose_name=_("distributor"),
    )  # fmt: skip
    sponsor_id_in_period = models.BigIntegerField(_("sponsor in the period (id)"), null=True, blank=True)
    pcv = models.DecimalField(_("PCV (customer orders)"), **VOLUME)
    ppc = models.DecimalField(_("PPC (own orders)"), **VOLUME)
    pv = models.DecimalField(_("personal volume (PV)"), **VOLUME)
    gv = models.DecimalField(_("group volume (GV)"), **VOLUME)
    customer_cv = models.DecimalField(_("customer CV"), **VOLUME)
    own_cv = models.DecimalField(_("own CV"), **VOLUME)
    customer_paid = models.DecimalField(_("paid by customers"), **VOLUME)
    customer_count = models.PositiveIntegerField(_("paying customers"), default=0)
    own_cv_share = models.DecimalField(_("share of own CV"), **PRECISE)
    rewardable_cv = models.DecimalField(_("rewardable CV"), **PRECISE)
    active = models.BooleanField(_("active"))
    customer_requirement_met = models.BooleanField(_("customer requirement met"))
    override_eligible = models.BooleanField(_("eligible for overrides"))
    paid_as_rank = models.PositiveSmallIntegerField(_("paid-as rank"))
    title = models.PositiveSmallIntegerField(_("title (highest rank)"))
    active_frontline = models.PositiveIntegerField(_("active frontline"), default=0)
    group_qv = models.DecimalField(_("group QV"), **VOLUME)
    group_cv = models.DecimalField(_("group CV"), **PRECISE)
    # What rank progress reads of each frontline leg, stored by the close so that a request reads
    # the legs' own rows instead of a recursive query over the whole downline (null: runs before).
    subtree_max_rank = models.PositiveSmallIntegerField(
        _("highest rank in the downline"), null=True, blank=True
    )
    frontline_count = models.PositiveIntegerField(_("frontline"), null=True, blank=True)
    # Only for a frontline longer than commissions.services.legs.LEGS_READ: what the rank checks sum over
    # every leg (per rank: GV above the leg cap, legs qualified), and the ids of the legs with the
    # most GV, so that a request reads those legs only (null: a shorter frontline, or runs before).
    leg_summary = models.JSONField(_("leg summary"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("period result")
        verbose_name_plural = _("period results")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "run"], name="distributorperiod_unique_per_run")
        ]
        # commissions/triggers.py: a closed period's rows, the distributor exists, deletes by run.
        triggers = [
            *closed_period("distributorperiod"),
            *distributors_exist("distributorperiod"),
            run_delete("distributorperiod", "result"),
        ]

    def __str__(self) -> str:
        return gettext("Results of distributor %(distributor)s in run %(run)s") % {
            "distributor": self.distributor_id,
            "run": self.run_id,
        }


class LedgerKind(models.TextChoices):
    PERSONAL = "personal", _("Personal commission")
    OVERRIDE = "override", _("Override")
    CLAWBACK = "clawback", _("Clawback")
    ADJUSTMENT = "adjustment", _("Adjustment")


class LedgerLine(models.Model):
    """One rounded amount with everything needed to explain it (compensation-plan §9 granularity).

    Append-only (a trigger refuses UPDATE, and DELETE except of a preview's or a discarded run's
    rows); `key` makes a re-run chunk unable to write a line twice.
    """

    # No database FK on run and period: the close COPYs millions of rows carrying the same two ids and
    # their checks cost ~30% of it; the close is the only writer and holds its run, the ORM keeps PROTECT.
    run = models.ForeignKey(
        CloseRun,
        on_delete=models.PROTECT,
        related_name="ledger_lines",
        db_index=False,
        db_constraint=False,
        verbose_name=_("close run"),
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("period"),
    )
    # The distributor exists: checked per statement; reads by distributor use the unique index
    # (both: see the notes above DistributorPeriod).
    distributor = models.ForeignKey(
        "distributors.Distributor", on_delete=models.PROTECT, related_name="+", db_constraint=False,
        db_index=False, verbose_name=_("distributor"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    key = models.CharField(_("key"), max_length=120)
    source = models.ForeignKey(
        "distributors.Distributor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("source distributor"),  # checked per statement, like `distributor`
    )
    level = models.PositiveSmallIntegerField(_("level"), default=0)
    rate = models.DecimalField(_("rate"), **RATE)
    base = models.DecimalField(_("base"), **PRECISE)
    amount = models.DecimalField(_("amount"), **MONEY)
    # Clawbacks: the period whose line is reversed, and that line.
    original_period = models.DateField(_("original period"), null=True, blank=True)
    # Checked once per statement, not by a database FOREIGN KEY (`ledgerline_reversed_line_*` below):
    # pruning a preview deletes millions of lines, and a foreign key's check ran once for each of them.
    reversed_line = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
        db_constraint=False,
        verbose_name=_("reversed line"),
    )
    adjustment = models.ForeignKey(
        "commissions.Adjustment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("adjustment"),
    )

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        ordering = ["run", "distributor", "kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["distributor", "run", "key"], name="ledgerline_unique_key_per_run"
            )
        ]
        indexes = [
            # Few lines reverse a line or carry an adjustment: partial indexes stay tiny.
            models.Index(
                fields=["reversed_line"],
                name="ledger_reversed_line_idx",
                condition=models.Q(reversed_line__isnull=False),
            ),
            models.Index(
                fields=["adjustment"],
                name="ledger_adjustment_idx",
                condition=models.Q(adjustment__isnull=False),
            ),
        ]
        # commissions/triggers.py: append-only, a closed period's rows, the distributor and the
        # source exist, the reversed line exists and is kept.
        triggers = [
            pgtrigger.Trigger(
                name="ledgerline_append_only",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                func=LEDGER_APPEND_ONLY,
            ),
            after_each_statement(
                "ledgerline_append_only_delete", pgtrigger.Delete, OLD_ROWS, LEDGER_DELETE_ONLY_PREVIEWS, BAD
            ),
            *closed_period("ledgerline"),
            *distributors_exist("ledgerline"),
            after_each_statement(
                "ledgerline_reversed_line_insert", pgtrigger.Insert, NEW_ROWS, REVERSED_LINE_EXISTS, MISSING
            ),
            after_each_statement(
                "ledgerline_reversed_line_update", pgtrigger.Update, NEW_ROWS, REVERSED_LINE_EXISTS, MISSING
            ),
            after_each_statement(
                "ledgerline_reversed_line_delete", pgtrigger.Delete, OLD_ROWS, REVERSED_LINE_KEPT, KEPT
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.key})"


class Statement(models.Model):
    """carried in + the period's lines = net; paid when net >= the plan's minimum, else carried.

    Both equations are CHECK constraints on PostgreSQL (migration 0006; SQLite stores decimals as
    floats, where an equality of sums is not exact).
    """

    # No database FK on run and period: the close COPYs millions of rows carrying the same two ids and
    # their checks cost ~30% of it; the close is the only writer and holds its run, the ORM keeps PROTECT.
    run = models.ForeignKey(
        CloseRun,
        on_delete=models.PROTECT,
        related_name="statements",
        db_index=False,
        db_constraint=False,
        verbose_name=_("close run"),
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("period"),
    )
    # The distributor exists: checked per statement; reads by distributor use the unique index
    # (both: see the notes above DistributorPeriod).
    distributor = models.ForeignKey(
        "distributors.Distributor", on_delete=models.PROTECT, related_name="+", db_constraint=False,
        db_index=False, verbose_name=_("distributor"),
    )  # fmt: skip
    carried_in = models.DecimalField(_("carried in"), **MONEY)
    personal = models.DecimalField(_("personal commission"), **MONEY)
    override = models.DecimalField(_("override commission"), **MONEY)
    clawbacks = models.DecimalField(_("clawbacks"), **MONEY)
    adjustments = models.DecimalField(_("adjustments"), **MONEY)
    net = models.DecimalField(_("net"), **MONEY)
    payout = models.DecimalField(_("payout"), **MONEY)
    carried_out = models.DecimalField(_("carried forward"), **MONEY)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["run", "distributor"]
        constraints = [
            models.UniqueConstraint(fields=["distributor", "run"], name="statement_unique_per_run"),
        ]
        # commissions/triggers.py: a closed period's rows, the distributor exists, a paid statement
        # is kept, deletes by run.
        triggers = [
            *closed_period("statement"),
            *distributors_exist("statement"),
            after_each_statement(
                "statement_paid_delete", pgtrigger.Delete, OLD_ROWS, PAID_STATEMENT_KEPT, KEPT
            ),
            run_delete("statement", "statement"),
        ]

    def __str__(self) -> str:
        return gettext("Statement %(period)s of distributor %(distributor)s") % {
            "period": self.period,
            "distributor": self.distributor_id,
        }


class Adjustment(models.Model):
    """A manual correction entered by an admin for an open period; an adjustment line at its close."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("period")
    )
    distributor = models.ForeignKey(
        "distributors.Distributor", on_delete=models.PROTECT, related_name="+", verbose_name=_("distributor")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="adjustment_not_zero")]

    def __str__(self) -> str:
        return gettext("Adjustment %(amount)s for %(distributor)s in %(period)s") % {
            "amount": self.amount,
            "distributor": self.distributor_id,
            "period": self.period,
        }


class PayoutBatchStatus(models.TextChoices):
    OPEN = "open", _("To pay")
    PAID = "paid", _("Paid")


class PayoutBatch(models.Model):
    """The final statements of a period with a payout, sent to the bank as one CSV."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="payout_batches", verbose_name=_("period")
    )
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=PayoutBatchStatus.choices, default=PayoutBatchStatus.OPEN
    )
    total = models.DecimalField(_("total"), **MONEY)
    count = models.PositiveIntegerField(_("number of payouts"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paid by"),
    )

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_at__isnull=False),
                name="payoutbatch_paid_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class PayoutStatus(models.TextChoices):
    SENT = "sent", _("Sent to the bank")
    PAID = "paid", _("Paid")
    RETURNED = "returned", _("Returned by the bank")


class Payout(models.Model):
    """One credit transfer of a batch, to the account the distributor had when the batch was made
    (copied here: the bank file and the records never change with a later edit). The bank
    statement import (commissions.services.bank_statements) sets its status from what the bank
    booked."""

    batch = models.ForeignKey(
        PayoutBatch, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("payout batch")
    )
    # A statement is paid at most once, whatever happens to batches. Checked once per statement, not
    # by a database FOREIGN KEY (`payout_statement_*` below, `statement_paid_delete` on Statement):
    # pruning a preview deletes a million statements.
    statement = models.OneToOneField(
        Statement,
        on_delete=models.PROTECT,
        related_name="payout_record",
        db_constraint=False,
        verbose_name=_("statement"),
    )
    distributor = models.ForeignKey(
        "distributors.Distributor", on_delete=models.PROTECT, related_name="+", verbose_name=_("distributor")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    # Empty on payouts of batches made before SEPA payouts (they have the CSV only). Database
    # defaults too: rows written in SQL (older tools, tests of the triggers) need not name them.
    holder = models.CharField(_("account holder"), max_length=70, blank=True, default="", db_default="")
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, default="", db_default="")
    bic = models.CharField(_("BIC"), max_length=11, blank=True, default="", db_default="")
    status = models.CharField(
        _("bank status"), max_length=8, choices=PayoutStatus.choices, default=PayoutStatus.SENT,
        db_default=PayoutStatus.SENT,
    )  # fmt: skip
    booked_on = models.DateField(_("booked by the bank on"), null=True, blank=True)
    return_code = models.CharField(
        _("return reason code"), max_length=4, blank=True, default="", db_default=""
    )
    return_reason = models.CharField(
        _("bank's reason for the return"), max_length=255, blank=True, default="", db_default=""
    )
    # The amount put back on the distributor's balance: an adjustment of the open period.
    return_adjustment = models.OneToOneField(
        Adjustment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returned_payout",
        verbose_name=_("adjustment for the return"),
    )
    # Part of the amount that repays an earlier payout the bank returned: invoiced then, so not on
    # this payout's self-billing invoice (amount = invoice total + repaid; commissions.invoices).
    repaid = models.DecimalField(_("repaid without a new invoice"), **MONEY, default=ZERO, db_default=ZERO)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["batch", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="returned") | models.Q(return_adjustment__isnull=False),
                name="payout_returned_has_adjustment",
            ),
        ]
        # The statement exists (commissions/triggers.py).
        triggers = [
            after_each_statement(
                "payout_statement_insert", pgtrigger.Insert, NEW_ROWS, STATEMENT_EXISTS, MISSING
            ),
            after_each_statement(
                "payout_statement_update", pgtrigger.Update, NEW_ROWS, STATEMENT_EXISTS, MISSING
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class PayoutHoldReason(models.TextChoices):
    NO_BANK_ACCOUNT = "no_account", _("No bank account entered")
    INVALID_BANK_ACCOUNT = "invalid", _("The bank account is not valid")
    RETURNED = "returned", _("The bank returned the last payment to this account")
    AGREEMENT = "agreement", _("The current distributor agreement is not accepted yet")


class PayoutHold(models.Model):
    """A statement with a payout that a batch left out because the distributor had no valid bank
    account then. The statement stays unpaid (not carried: its payout is owed); the next batch of
    its period pays it once the account is valid, and marks the hold released."""

    statement = models.OneToOneField(
        Statement,
        on_delete=models.PROTECT,
        related_name="payout_hold",
        db_constraint=False,  # as Payout.statement: previews' statements are pruned in bulk
        verbose_name=_("statement"),
    )
    distributor = models.ForeignKey(
        "distributors.Distributor", on_delete=models.PROTECT, related_name="+", verbose_name=_("distributor")
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=16, choices=PayoutHoldReason.choices)
    # None: held when no batch was made because every payout of the period was held.
    batch = models.ForeignKey(
        PayoutBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holds",
        verbose_name=_("left out of batch"),
    )
    held_at = models.DateTimeField(_("held at"))
    released_by = models.ForeignKey(
        PayoutBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="released_holds",
        verbose_name=_("paid in batch"),
    )

    class Meta:
        verbose_name = _("held payout")
        verbose_name_plural = _("held payouts")
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return gettext("Payout of %(period)s held for distributor %(distributor)s") % {
            "period": self.period,
            "distributor": self.distributor_id,
        }


class BankStatement(models.Model):
    """A camt.053 statement of the company's account, imported once (by account and statement id):
    its lines matched to payouts by end-to-end id."""

    account_iban = models.CharField(_("account (IBAN)"), max_length=34)
    statement_id = models.CharField(_("statement id"), max_length=35)
    message_id = models.CharField(_("message id"), max_length=35, blank=True)
    created_on = models.DateTimeField(_("created by the bank at"), null=True, blank=True)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    digest = models.CharField(_("digest (SHA-256)"), max_length=64)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    paid = models.PositiveIntegerField(_("paid"), default=0)
    returned = models.PositiveIntegerField(_("returned"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched"), default=0)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account_iban", "statement_id"], name="bankstatement_unique_id")
        ]

    def __str__(self) -> str:
        return gettext("Bank statement %(id)s") % {"id": self.statement_id}


class BankLineOutcome(models.TextChoices):
    PAID = "paid", _("Payout paid")
    RETURNED = "returned", _("Payout returned")
    KNOWN = "known", _("Already recorded")
    UNMATCHED = "unmatched", _("Unmatched")


class BankLineProblem(models.TextChoices):
    UNKNOWN_REFERENCE = "unknown", _("No payout has this end-to-end id")
    AMOUNT_DIFFERS = "amount", _("The amount differs from the payout's")
    NOT_BOOKED = "not_booked", _("Not booked (pending or information only)")
    NOT_A_PAYOUT = "other", _("Neither a payout nor its return")


class BankStatementLine(models.Model):
    """One transaction of an imported statement and what it did; unmatched ones are for staff."""

    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="lines", verbose_name=_("bank statement")
    )
    number = models.PositiveIntegerField(_("number"))
    booked_on = models.DateField(_("booked on"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    credit = models.BooleanField(_("credit (money in)"))
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    bank_reference = models.CharField(_("bank's reference"), max_length=35, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=140, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=140, blank=True)
    return_code = models.CharField(_("return reason code"), max_length=4, blank=True)
    return_info = models.CharField(_("return information"), max_length=255, blank=True)
    payout = models.ForeignKey(
        Payout,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bank_lines",
        verbose_name=_("payout"),
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=BankLineOutcome.choices)
    problem = models.CharField(_("problem"), max_length=10, choices=BankLineProblem.choices, blank=True)
    # An unmatched line staff have looked into (services.bank_statements.bank_statement_line_handle).
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_note = models.TextField(_("handling note"), blank=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["statement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="bankstatementline_unique_number"),
            # Only an unmatched line is handled, and always with a note.
            models.CheckConstraint(
                condition=models.Q(handled_at__isnull=True)
                | (models.Q(outcome="unmatched") & ~models.Q(handled_note="")),
                name="bankline_handled_unmatched_with_note",
            ),
        ]
        indexes = [
            models.Index(
                fields=["outcome"], name="bankline_unmatched_idx", condition=models.Q(outcome="unmatched")
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.number}"


class VatTreatment(models.TextChoices):
    """How a self-billing invoice charges VAT: the distributor's VAT status when it was issued
    (distributors.models.VatStatus, copied: a later change never alters an invoice)."""

    NOT_REGISTERED = "none", _("Not registered for VAT")
    SMALL_BUSINESS = "kor", _("Small-business scheme (KOR): no VAT")
    NL = "nl", _("VAT-registered in the Netherlands: 21 % VAT")
    REVERSE_CHARGE = "eu", _("VAT-registered in another EU country: VAT reverse-charged")


class SelfBillingInvoice(models.Model):
    """The commission invoice the company issues on the distributor's behalf for one payout
    (self-billing, agreed in the distributor agreement), numbered without gaps per year. A snapshot:
    names, addresses, VAT status and numbers as they were when the payout batch was made.
    total = commission + VAT is a CHECK on PostgreSQL only (migration 0029: SQLite keeps floats)."""

    number = models.CharField(_("invoice number"), max_length=32, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    payout = models.OneToOneField(
        Payout, on_delete=models.PROTECT, related_name="invoice", verbose_name=_("payout")
    )
    distributor = models.ForeignKey(
        "distributors.Distributor", on_delete=models.PROTECT, related_name="+", verbose_name=_("distributor")
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period"))
    issued_on = models.DateField(_("issued on"))
    language = models.CharField(_("language"), max_length=8)
    # The supplier: the distributor.
    supplier_name = models.CharField(_("supplier's name"), max_length=200)
    supplier_address = models.TextField(_("supplier's address"), blank=True)
    supplier_country = models.CharField(_("supplier's country"), max_length=2)
    vat_treatment = models.CharField(_("VAT status"), max_length=4, choices=VatTreatment.choices)
    supplier_vat_number = models.CharField(_("supplier's VAT number"), max_length=20, blank=True)
    # The customer, who issues the invoice: the company (settings COMPANY_*).
    customer_name = models.CharField(_("customer's name"), max_length=200)
    customer_address = models.TextField(_("customer's address"))
    customer_vat_number = models.CharField(_("customer's VAT number"), max_length=20)
    commission = models.DecimalField(_("commission (excl. VAT)"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)

    class Meta:
        verbose_name = _("self-billing invoice")
        verbose_name_plural = _("self-billing invoices")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="selfbillinginvoice_unique_sequence"),
            models.CheckConstraint(condition=models.Q(commission__gt=0), name="selfbillinginvoice_positive"),
            models.CheckConstraint(
                condition=models.Q(vat_amount__gte=0), name="selfbillinginvoice_vat_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(vat_treatment="nl") | models.Q(vat_amount=0),
                name="selfbillinginvoice_vat_only_nl",
            ),
        ]
        indexes = [models.Index(fields=["issued_on"], name="selfbillinginvoice_issued_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def reverse_charge(self) -> bool:
        return self.vat_treatment == VatTreatment.REVERSE_CHARGE
