"""Catalogue, customers, orders, returns, home demonstrations, host credit and buy-back.

Order lines copy price, QV and CV at the time of sale: later catalogue changes never change
history. Amounts are ex VAT, Decimal; QV are points, CV is money in the company currency.

Over 500 lines: Django keeps an app's models in one module, and this app has eleven of them.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.money import MONEY, DecimalSize
from distributors.models import Distributor
from orders.triggers import (
    ORDER_IN_FROZEN_PERIOD,
    ORDER_LINE_IN_FROZEN_PERIOD,
    RETURN_IN_FROZEN_PERIOD,
    frozen_period,
)

POINTS: DecimalSize = {"max_digits": 14, "decimal_places": 2}
# Per-unit volumes after a half-price or host-credit discount can need more than 2 decimals
# (75 QV on a quarter paid = 18.75; 12.5 CV half paid = 6.25); 4 keeps them exact.
UNIT_VOLUME: DecimalSize = {"max_digits": 16, "decimal_places": 4}


# The VAT rate of a product unless it says otherwise (the Dutch standard rate).
DEFAULT_VAT_RATE = Decimal("0.21")


class Product(TimeStampedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    retail_price = models.DecimalField(_("retail price"), **MONEY)
    wholesale_price = models.DecimalField(_("wholesale price"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default=DEFAULT_VAT_RATE)
    qv = models.DecimalField(_("QV (qualifying volume)"), **POINTS)
    cv = models.DecimalField(_("CV (commissionable value)"), **MONEY)
    commissionable = models.BooleanField(_("commissionable"), default=True)
    buyback_eligible = models.BooleanField(_("eligible for buy-back"), default=True)
    # Disclosed to buyers before sale; such products may be excluded from buy-back.
    is_seasonal = models.BooleanField(_("seasonal"), default=False)
    is_discontinued = models.BooleanField(_("discontinued"), default=False)
    is_promotional = models.BooleanField(_("promotional"), default=False)
    is_active = models.BooleanField(_("on sale"), default=True, db_index=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=models.Q(retail_price__gte=0), name="product_retail_nonneg"),
            models.CheckConstraint(
                condition=models.Q(wholesale_price__gte=0), name="product_wholesale_nonneg"
            ),
            models.CheckConstraint(condition=models.Q(qv__gte=0), name="product_qv_nonneg"),
            models.CheckConstraint(condition=models.Q(cv__gte=0), name="product_cv_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class CustomerKind(models.TextChoices):
    RETAIL = "retail", _("Retail customer")
    PREFERRED = "preferred", _("Preferred customer")
    HOST = "host", _("Host")


class Customer(TimeStampedModel):
    """An end customer, attributed to the distributor who is credited with their orders."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True, null=True, blank=True)
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="customers", verbose_name=_("distributor")
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email address"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.RETAIL
    )
    # A customer who is a distributor, or of a distributor's household, never counts as a
    # customer for the customer requirement (rules/compliance §2).
    household_of = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("household of"),
    )
    # Consent to be contacted by the distributor (the referral page's tick box, GDPR art. 7: the
    # controller must be able to show it): when, and the words the customer agreed to.
    contact_consent_at = models.DateTimeField(_("consented to contact at"), null=True, blank=True)
    contact_consent_text = models.TextField(_("consent given to"), blank=True)
    # A consent given on the public referral page counts only once it is confirmed from the
    # address itself (double opt-in, orders.services.customers): when it was asked, and its words
    # until then. The request time stays after the confirmation, as part of the proof.
    contact_consent_requested_at = models.DateTimeField(
        _("consent to contact requested at"), null=True, blank=True
    )
    # db_default: rows written outside the ORM (bench/generate_network.py's COPY) need no value.
    contact_consent_requested_text = models.TextField(
        _("consent awaiting confirmation"), blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            # Words await confirmation only with the time they were asked and until confirmed.
            models.CheckConstraint(
                condition=models.Q(contact_consent_requested_text="")
                | models.Q(contact_consent_requested_at__isnull=False, contact_consent_at__isnull=True),
                name="customer_consent_pending_only_while_unconfirmed",
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.external_id or gettext("customer %(id)s") % {"id": self.pk}


class OrderPurpose(models.TextChoices):
    CUSTOMER = "customer", _("Customer order")
    PERSONAL = "personal", _("Personal use")
    INVENTORY = "inventory", _("Inventory")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    PARTLY_RETURNED = "partly_returned", _("Partly returned")
    RETURNED = "returned", _("Returned")


class OrderChannel(models.TextChoices):
    """Where an order came from: entered by a distributor or staff (portal, API, admin, import), or
    placed by the customer online through a distributor's shop or a demonstration's shopping link."""

    DIRECT = "direct", _("Entered by the distributor or staff")
    SHOP = "shop", _("Online shop")
    DEMONSTRATION_LINK = "demonstration_link", _("Demonstration shopping link")


# An order can be returned (or handed back in a buy-back) while it is paid and not wholly returned.
RETURNABLE_STATUSES = (OrderStatus.PAID, OrderStatus.PARTLY_RETURNED)


class Order(TimeStampedModel):
    number = models.CharField(_("order number"), max_length=32, unique=True)
    external_id = models.CharField(_("external id"), max_length=64, unique=True, null=True, blank=True)
    # The distributor credited with the order: the seller of a customer order, the buyer of an
    # own (personal/inventory) order.
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="orders", verbose_name=_("distributor")
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=OrderPurpose.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    demonstration = models.ForeignKey(
        "orders.Demonstration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("demonstration"),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # When the order counts (compensation-plan §1): paid_at, or the demonstration's close for party orders;
    # commission_period is the first day of that month in the company time zone.
    commission_date = models.DateTimeField(_("commission date"), null=True, blank=True)
    commission_period = models.DateField(_("commission period"), null=True, blank=True, db_index=True)
    # Host credit redeemed on this order (product credit, carries no QV/CV).
    host_credit_redeemed = models.DecimalField(_("host credit redeemed"), default=Decimal("0"), **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    # db_default: rows written outside the ORM (bench/generate_network.py's COPY) need no value.
    channel = models.CharField(
        _("channel"),
        max_length=24,
        choices=OrderChannel.choices,
        default=OrderChannel.DIRECT,
        db_default=OrderChannel.DIRECT,
        db_index=True,
    )
    # A shop order's own contact data (orders.services.shop): where its confirmation and
    # withdrawal link went, and where the goods go. Personal data: erased with the customer.
    contact_email = models.EmailField(_("contact e-mail address"), blank=True, default="", db_default="")
    delivery_address = models.TextField(_("delivery address"), blank=True, default="", db_default="")
    # The shop the customer ordered in: what their pages and mail name, whose cooling-off period
    # applies. `distributor` is who is credited, which may differ (orders.services.shop) and is
    # never shown to the visitor.
    shop_distributor = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shop"),
    )
    # The checkout form's one-time token: a second POST of the same form finds this order.
    shop_submission = models.CharField(
        _("shop submission token"), max_length=32, null=True, blank=True, unique=True, editable=False
    )
    # When the shop confirmation was claimed for sending (at most once; orders.services.shop).
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["commission_period", "distributor"], name="order_period_dist_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(purpose="customer") | models.Q(customer__isnull=False),
                name="order_customer_order_has_customer",
            ),
            models.CheckConstraint(
                condition=models.Q(commission_date__isnull=True, commission_period__isnull=True)
                | models.Q(commission_date__isnull=False, commission_period__isnull=False),
                name="order_commission_date_and_period_together",
            ),
        ]
        # Nothing counts in, or leaves, a closing or closed period (orders/triggers.py).
        triggers = frozen_period(
            "order", ORDER_IN_FROZEN_PERIOD, declare=[("bad", "text"), ("bad_period", "date")]
        )

    def __str__(self) -> str:
        return self.number


# What one order line can record. Its quantity is an integer column, its whole-number volume and
# value columns (qv_units, cv_units, value_cents) are bigints, and a refund of it is a money amount
# (12 whole digits): a line past these limits would fail in the database instead of being refused.
MAX_LINE_QUANTITY = 1_000_000
LINE_TOTAL_LIMIT = Decimal("1000000000000")  # points, and money, in one line


def line_too_large(quantity: int, unit_points: Decimal, unit_price: Decimal) -> bool:
    """Whether `quantity` units at these points (the larger of QV and CV) and price are more than one
    order line can record."""
    return (
        quantity > MAX_LINE_QUANTITY
        or quantity * unit_points >= LINE_TOTAL_LIMIT
        or quantity * unit_price >= LINE_TOTAL_LIMIT
    )


def _scaled(unit: str, scale: int) -> Cast:
    """quantity x unit x scale as a whole number (rounded only to absorb SQLite's floats)."""
    return Cast(Round(F("quantity") * F(unit) * Value(scale)), models.BigIntegerField())


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"))
    # List price per unit at the time of sale (retail for customers, wholesale for distributors).
    unit_list_price = models.DecimalField(_("list price per unit"), **MONEY)
    # What was actually paid per unit, ex VAT (after half-price or host credit).
    unit_price = models.DecimalField(_("price paid per unit"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default=Decimal("0"))
    # Volumes per unit as sold: zero for non-commissionable products, scaled to the paid share
    # for half-price items and host-credit redemptions.
    unit_qv = models.DecimalField(_("QV per unit"), **UNIT_VOLUME)
    unit_cv = models.DecimalField(_("CV per unit"), **UNIT_VOLUME)
    commissionable = models.BooleanField(_("commissionable"), default=True)
    half_price = models.BooleanField(_("half-price"), default=False)
    # Whether the product was disclosed as seasonal/discontinued/promotional before this sale,
    # which may exclude it from buy-back.
    excluded_from_buyback = models.BooleanField(_("excluded from buy-back"), default=False)
    buyback_eligible = models.BooleanField(_("eligible for buy-back"), default=True)
    # The line's QV and CV in ten-thousandths and its value in cents, kept by the database. The
    # monthly close sums ten million of them: integer sums cost a fraction of numeric products
    # (1M distributors: 22.6 s -> 14.8 s for the aggregation, ADR 0007). Exact: the unit columns
    # have 4 and 2 decimals.
    qv_units = models.GeneratedField(
        expression=_scaled("unit_qv", 10_000),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=_("QV (ten-thousandths)"),
    )
    cv_units = models.GeneratedField(
        expression=_scaled("unit_cv", 10_000),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=_("CV (ten-thousandths)"),
    )
    value_cents = models.GeneratedField(
        expression=_scaled("unit_price", 100),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=_("value (cents)"),
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="orderline_price_nonneg"),
        ]
        triggers = frozen_period("orderline", ORDER_LINE_IN_FROZEN_PERIOD, declare=[("bad", "bigint")])

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class ReturnKind(models.TextChoices):
    RETURN = "return", _("Return")
    CANCELLATION = "cancellation", _("Cancellation (cooling-off)")
    BUYBACK = "buyback", _("Inventory buy-back")


class Return(TimeStampedModel):
    """A refund of some units of one order. It counts by its refund date (compensation-plan §2, §8)."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="returns", verbose_name=_("order")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReturnKind.choices, default=ReturnKind.RETURN)
    refunded_at = models.DateTimeField(_("refunded at"))
    # Period of the refund (company time zone); a refund after the order's own period is
    # settled by clawback lines in the close of this period.
    refund_period = models.DateField(_("refund period"), db_index=True)
    refund_amount = models.DecimalField(_("refund amount"), **MONEY)
    reason = models.TextField(_("reason"), blank=True)
    external_key = models.CharField(_("external key"), max_length=128, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-refunded_at", "-id"]
        triggers = frozen_period("return", RETURN_IN_FROZEN_PERIOD, declare=[("bad_period", "date")])

    def __str__(self) -> str:
        return gettext("%(kind)s of %(order)s on %(date)s") % {
            "kind": self.get_kind_display(),
            "order": self.order,
            "date": f"{self.refunded_at:%Y-%m-%d}",
        }


class ReturnLine(models.Model):
    return_record = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="lines", verbose_name=_("return")
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="return_lines", verbose_name=_("order line")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    refund_amount = models.DecimalField(_("refund amount"), **MONEY)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="returnline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return gettext("%(quantity)s × line %(line)s") % {
            "quantity": self.quantity,
            "line": self.order_line_id,
        }


class DemonstrationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Demonstration(TimeStampedModel):
    """A home demonstration (party): a consultant, a host, guests and their orders (compensation-plan §7)."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True, null=True, blank=True)
    consultant = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="demonstrations", verbose_name=_("consultant")
    )
    host = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="hosted_demonstrations", verbose_name=_("host")
    )
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=255, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DemonstrationStatus.choices,
        default=DemonstrationStatus.PLANNED,
        db_index=True,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Booked at another demonstration, where the new host came as a guest.
    booked_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
        verbose_name=_("booked from"),
    )
    # Set at close: qualified party sales and the host rewards they earned.
    qps = models.DecimalField(_("qualified party sales (QPS)"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("demonstration")
        verbose_name_plural = _("demonstrations")
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return gettext("Demonstration at %(host)s on %(date)s") % {
            "host": self.host,
            "date": f"{self.held_at:%Y-%m-%d}",
        }


class DemonstrationGuest(models.Model):
    demonstration = models.ForeignKey(
        Demonstration, on_delete=models.CASCADE, related_name="guests", verbose_name=_("demonstration")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("demonstration guest")
        verbose_name_plural = _("demonstration guests")
        constraints = [
            models.UniqueConstraint(fields=["demonstration", "customer"], name="guest_once_per_demonstration")
        ]

    def __str__(self) -> str:
        return gettext("Guest %(customer)s of demonstration %(demonstration)s") % {
            "customer": self.customer_id,
            "demonstration": self.demonstration_id,
        }


class HostCredit(TimeStampedModel):
    """The host's reward for a closed demonstration: product credit and half-price items.

    Redeemable in one order within the plan's validity (60 days by default).
    """

    demonstration = models.OneToOneField(
        Demonstration, on_delete=models.PROTECT, related_name="host_credit", verbose_name=_("demonstration")
    )
    host = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="host_credits", verbose_name=_("host")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    half_price_items = models.PositiveSmallIntegerField(_("half-price items"), default=0)
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    redeemed_order = models.OneToOneField(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="host_credit_voucher",
        verbose_name=_("redeemed in order"),
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("host credit")
        verbose_name_plural = _("host credits")

    def __str__(self) -> str:
        return gettext("Host credit %(amount)s for %(host)s") % {"amount": self.amount, "host": self.host}


class BuybackStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    PARTLY_APPROVED = "partly_approved", _("Partly approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class BuybackRequest(TimeStampedModel):
    """A distributor asks the company to take back unsold stock (rules/compliance §3)."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="buyback_requests", verbose_name=_("distributor")
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BuybackStatus.choices,
        default=BuybackStatus.REQUESTED,
        db_index=True,
    )
    reason = models.TextField(_("reason"), blank=True)
    with_termination = models.BooleanField(_("with termination"), default=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    refund_total = models.DecimalField(_("refund total"), default=Decimal("0"), **MONEY)

    class Meta:
        verbose_name = _("buy-back request")
        verbose_name_plural = _("buy-back requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return gettext("Buy-back #%(id)s of %(distributor)s") % {
            "id": self.pk,
            "distributor": self.distributor,
        }


class BuybackLine(models.Model):
    request = models.ForeignKey(
        BuybackRequest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("buy-back request")
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="buyback_lines", verbose_name=_("order line")
    )
    quantity = models.PositiveIntegerField(_("quantity asked"))
    approved_quantity = models.PositiveIntegerField(_("approved quantity"), default=0)
    unit_refund = models.DecimalField(_("refund per unit"), **MONEY)

    class Meta:
        verbose_name = _("buy-back line")
        verbose_name_plural = _("buy-back lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="buybackline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return gettext("%(quantity)s × line %(line)s") % {
            "quantity": self.quantity,
            "line": self.order_line_id,
        }


# Autoship lives in its own module (this one is long enough); Django finds models imported here.
from orders.models_autoship import (  # noqa: E402
    AutoshipPaymentAttempt,
    AutoshipRun,
    AutoshipRunStatus,
    AutoshipStatus,
    AutoshipUnit,
    PaymentAttemptStatus,
    Subscription,
    SubscriptionLine,
    Weekday,
)

__all__ = [
    "AutoshipPaymentAttempt",
    "AutoshipRun",
    "AutoshipRunStatus",
    "AutoshipStatus",
    "AutoshipUnit",
    "PaymentAttemptStatus",
    "Subscription",
    "SubscriptionLine",
    "Weekday",
]
