"""The sponsor tree.

The `sponsor` link is the truth. django-mptt's lft/rght/tree_id/level are a derived index
that `distributors.tree.renumber_trees()` can always rebuild from it; code outside this app
never touches them and reads the tree through `distributors.selectors`.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey


class DistributorStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    HOLD = "hold", _("On hold")
    TERMINATED = "terminated", _("Terminated")


class Distributor(MPTTModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="distributor",
        verbose_name=_("user account"),
    )
    sponsor = TreeForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="frontline",
        verbose_name=_("sponsor"),
    )
    # Unique and indexed through Meta, not unique=True/db_index=True: on PostgreSQL those add a
    # second, varchar_pattern_ops index per column that no query uses, and every index is written
    # again when the close or a tree move updates a row (see Meta.indexes).
    external_id = models.CharField(_("external id"), max_length=64)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email address"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    country = models.CharField(_("country"), max_length=2, default="NL")
    status = models.CharField(
        _("status"), max_length=16, choices=DistributorStatus.choices, default=DistributorStatus.ACTIVE
    )
    enrolled_at = models.DateTimeField(_("enrolled at"))
    terminated_at = models.DateTimeField(_("terminated at"), null=True, blank=True)
    referral_code = models.CharField(_("referral code"), max_length=16)
    # Paid-as rank of the last closed period, and the highest paid-as rank ever (the title).
    # Not indexed: only an admin filter reads it, and the close rewrites it for most rows.
    rank = models.PositiveSmallIntegerField(_("paid-as rank"), default=0)
    title = models.PositiveSmallIntegerField(_("title (highest rank)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Plain manager first, so ordinary queries carry none of mptt's tree ordering.
    objects = models.Manager()
    tree = TreeManager()

    # mptt's tree fields, declared here so mptt does not add its single-column tree_id index:
    # the composite (tree_id, lft) index below serves every tree query (ADR 0001).
    # lft and rght are sparse labels (distributors.tree, ADR 0011): bigint, with room between them.
    lft = models.PositiveBigIntegerField(_("tree left"), editable=False)
    rght = models.PositiveBigIntegerField(_("tree right"), editable=False)
    tree_id = models.PositiveIntegerField(_("tree id"), editable=False)
    level = models.PositiveIntegerField(_("depth in the tree"), editable=False)
    # Everyone below (all levels): with sparse labels no longer (rght - lft - 1) / 2. Kept along the
    # sponsor chain by every structural write (distributors.tree.sizes_add) and checked by tree_check.
    downline_size = models.PositiveIntegerField(_("downline size"), default=0, editable=False)

    class MPTTMeta:
        parent_attr = "sponsor"

    class Meta:
        verbose_name = _("distributor")
        verbose_name_plural = _("distributors")
        ordering = ["id"]
        # Support staff open the portal as a distributor sees it (distributors.support).
        permissions = [
            ("view_portal_as", _("Can open the portal as the distributor (read-only)")),
            ("act_in_portal_as", _("Can act in the portal as the distributor")),
        ]
        # Every index here is written for each row the close's rank update or a tree renumbering
        # changes (those updates are not HOT), so only what a query uses: e-mail is looked up
        # case-insensitively (iexact is UPPER(email) = UPPER(%s)); country has too few values to
        # be worth one.
        indexes = [
            # django-mptt 0.20 with Django 5.2 does not emit this index in migrations.
            models.Index(fields=["tree_id", "lft"], name="distributor_tree_lft_idx"),
            # The last label before a sponsor's rght, and a relabelled window's labels (ADR 0011).
            models.Index(fields=["tree_id", "rght"], name="distributor_tree_rght_idx"),
            models.Index(fields=["last_name", "first_name"], name="distributor_name_idx"),
            models.Index(Upper("email"), name="distributor_email_upper_idx"),
            models.Index(fields=["status"], name="distributor_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="distributor_external_id_unique"),
            models.UniqueConstraint(fields=["referral_code"], name="distributor_referral_code_unique"),
            models.CheckConstraint(
                condition=~models.Q(sponsor=models.F("id")), name="distributor_not_own_sponsor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.external_id})"

    def get_descendant_count(self) -> int:
        # django-mptt's is (rght - lft - 1) // 2, which sparse labels do not give (ADR 0011).
        return self.downline_size

    def is_leaf_node(self) -> bool:
        return not self.downline_size

    def save(self, *args, **kwargs):
        """A new distributor is placed last in its sponsor's frontline with free labels
        (distributors.tree.place_new), never by django-mptt's insert, which shifts half the tree;
        a sponsor changes only through distributors.services.moves.distributor_move."""
        from .tree import place_new, sizes_add

        if self._state.adding and not self.lft:
            numbers = place_new(self.sponsor_id)
            self.tree_id, self.lft, self.rght, self.level = (
                numbers.tree_id,
                numbers.lft,
                numbers.rght,
                numbers.level,
            )
            self.downline_size = 0
            models.Model.save(self, *args, **kwargs)
            if self.sponsor_id is not None:
                sizes_add(self.sponsor_id, 1)
            return
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or {"sponsor", "sponsor_id"} & set(update_fields):
                stored = Distributor.objects.filter(pk=self.pk).values_list("sponsor_id", flat=True).first()
                if stored != self.sponsor_id:
                    raise ValueError(
                        "A sponsor changes only through distributors.services.moves.distributor_move."
                    )
        models.Model.save(self, *args, **kwargs)

    def delete(self, *args, **kwargs):
        """Only a distributor without a downline can be deleted (PROTECT); the sizes above follow."""
        from .tree import sizes_add

        sponsor_id = self.sponsor_id
        result = models.Model.delete(self, *args, **kwargs)
        if sponsor_id is not None:
            sizes_add(sponsor_id, -1)
        return result

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class SponsorChange(models.Model):
    """History of every change of sponsor: a move by an admin, or a roll-up on termination."""

    class Kind(models.TextChoices):
        # "Move" is also the button that does it (a verb); here it names the change.
        MOVE = "move", pgettext_lazy("sponsor change", "Move")
        TERMINATION_ROLLUP = "termination_rollup", _("Roll-up on termination")

    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="sponsor_changes", verbose_name=_("distributor")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    old_sponsor = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("old sponsor"),
    )
    new_sponsor = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new sponsor"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("sponsor change")
        verbose_name_plural = _("sponsor changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return gettext("%(kind)s of distributor %(distributor)s on %(date)s") % {
            "kind": self.get_kind_display(),
            "distributor": self.distributor_id,
            "date": f"{self.changed_at:%Y-%m-%d}",
        }


class ErasureRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class ErasureRequest(models.Model):
    """A distributor asks for their personal data to be erased (GDPR art. 17, rules/compliance §8).

    The distributor only asks; staff decide in the admin (terminate, then erase with
    `distributors.personal_data.distributor_erase`, or decline with a reason). One pending request per
    distributor, kept by the database.
    """

    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="erasure_requests", verbose_name=_("distributor")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ErasureRequestStatus.choices, default=ErasureRequestStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handled by"),
    )
    note = models.TextField(_("note"), blank=True, help_text=_("Why it was declined, or what was done."))

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["distributor"],
                condition=models.Q(status="pending"),
                name="one_pending_erasure_request",
            )
        ]

    def __str__(self) -> str:
        # No name: this text stays in the audit trail after the person is erased.
        return gettext("Erasure request #%(id)s") % {"id": self.pk}


class BankAccount(models.Model):
    """Where the company pays a distributor's commissions (SEPA credit transfers).

    Written only through `distributors.bank.bank_account_set`, which checks the IBAN and BIC
    (schwifty); the payout batch copies it onto each payout, so a later change never alters what
    was sent. `returned_at` marks an account whose last payment the bank returned: payouts to it are
    held until the distributor saves their details again.
    """

    distributor = models.OneToOneField(
        Distributor, on_delete=models.CASCADE, related_name="bank_account", verbose_name=_("distributor")
    )
    holder = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(
        _("BIC"), max_length=11, blank=True, help_text=_("Empty when the bank follows from the IBAN.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    returned_at = models.DateTimeField(_("payment returned at"), null=True, blank=True)
    return_reason = models.CharField(_("bank's reason for the return"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["distributor"]

    def __str__(self) -> str:
        return gettext("Bank account of distributor %(distributor)s") % {"distributor": self.distributor_id}


# The distributor agreement's models live in their own module; imported here so Django finds them.
from .agreements import AgreementAcceptance, AgreementClause, AgreementVersion  # noqa: E402, F401

# The distributor's VAT status for self-billing invoices (distributors.tax).
from .tax import VatRegistration, VatStatus  # noqa: E402, F401
