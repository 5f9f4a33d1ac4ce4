"""Home demonstrations (compensation-plan §7): plan, add guests, take orders, close, host rewards.

The close is the moment the party's orders count: they become paid with the close as their
commission date, QPS is frozen on the demonstration and the host's reward is issued as a
HostCredit voucher (redeemed through order_create(host_credit=...)).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.periods import next_period, period_bounds, period_of
from core.services import audit_record
from core.templatetags.formatting import timestamp
from distributors.models import Distributor, DistributorStatus
from orders.models import (
    Customer,
    CustomerKind,
    Demonstration,
    DemonstrationGuest,
    DemonstrationStatus,
    HostCredit,
    Order,
    OrderStatus,
)
from orders.rules import OrderRules, current_rules, host_rewards
from orders.selectors.demonstrations import demonstration_qps

from .common import FROZEN_PERIOD_STATUSES, ensure_period_open

# How far ahead a demonstration may be planned.
PLAN_AHEAD = dt.timedelta(days=365)


def demonstration_window(*, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The [earliest, latest] moments a demonstration may be held at, as planned now.

    Not before the open period: the first month after the last closed (or closing) one, and no
    earlier than the month of `close_within_days` ago (an older one could no longer be closed).
    At most a year ahead.
    """
    from plans.models import Period

    now = now or timezone.now()
    earliest = period_of(now - dt.timedelta(days=current_rules().close_within_days))
    last_frozen = (
        Period.objects.filter(status__in=FROZEN_PERIOD_STATUSES)
        .order_by("-start")
        .values_list("start", flat=True)
    ).first()
    if last_frozen is not None:
        earliest = max(earliest, next_period(last_frozen))
    return period_bounds(earliest)[0], now + PLAN_AHEAD


def _day(moment: dt.datetime) -> str:
    """The company-time day of `moment` in the reader's date format (`4 maart 2026`, `March 4, 2026`)."""
    return timestamp(timezone.localtime(moment).date())


def ensure_in_window(held_at: dt.datetime) -> None:
    earliest, latest = demonstration_window()
    if not earliest <= held_at <= latest:
        raise ApplicationError(
            _(
                "A demonstration is held from %(earliest)s (the open period) up to a year ahead, "
                "until %(latest)s."
            )
            % {
                "earliest": _day(earliest),
                "latest": timestamp(latest),
            },
            field="held_at",
        )


@transaction.atomic
def demonstration_plan(
    *,
    consultant: Distributor,
    host: Customer,
    held_at: dt.datetime,
    place: str = "",
    video_link: str = "",
    booked_from: Demonstration | None = None,
    actor: Any = None,
) -> Demonstration:
    """Plan a demonstration at a host's home (or by video); `booked_from` records that the host
    booked it as a guest of another demonstration."""
    if consultant.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot plan demonstrations.") % {"name": consultant.name},
            field="consultant",
        )
    if host.distributor_id != consultant.pk:
        raise ApplicationError(
            _("%(host)s is a customer of another distributor; a host is a customer of the consultant.")
            % {"host": host},
            field="host",
        )
    if timezone.is_naive(held_at):
        raise ApplicationError(_("The date of the demonstration needs a time zone."), field="held_at")
    ensure_in_window(held_at)
    if not (place.strip() or video_link.strip()):
        raise ApplicationError(
            _("Say where the demonstration is held: a place or a video link."), field="place"
        )
    if booked_from is not None:
        if not DemonstrationGuest.objects.filter(demonstration=booked_from, customer=host).exists():
            raise ApplicationError(
                _("%(host)s was not a guest of the demonstration this one is booked from.") % {"host": host},
                field="booked_from",
            )
        if booked_from.consultant_id != consultant.pk:
            raise ApplicationError(
                _("A booking stays with the consultant of the demonstration."), field="booked_from"
            )
    demonstration = Demonstration.objects.create(
        consultant=consultant,
        host=host,
        held_at=held_at,
        place=place.strip(),
        video_link=video_link.strip(),
        booked_from=booked_from,
    )
    if host.kind == CustomerKind.RETAIL:
        Customer.objects.filter(pk=host.pk).update(kind=CustomerKind.HOST)
        host.kind = CustomerKind.HOST
    audit_record(actor=actor, action="demonstration.plan", target=demonstration)
    return demonstration


@transaction.atomic
def demonstration_add_guest(
    *, demonstration: Demonstration, customer: Customer, actor: Any = None
) -> DemonstrationGuest:
    """Add a guest (a customer of the consultant); adding the same guest twice changes nothing."""
    demonstration = Demonstration.objects.select_for_update(no_key=True).get(pk=demonstration.pk)
    if demonstration.status != DemonstrationStatus.PLANNED:
        raise Conflict(_("Guests are added to a planned demonstration only."), field="customer")
    if customer.distributor_id != demonstration.consultant_id:
        raise ApplicationError(
            _(
                "%(customer)s is a customer of another distributor; register the guest with the consultant's "
                "referral link first."
            )
            % {"customer": customer},
            field="customer",
        )
    if customer.pk == demonstration.host_id:
        raise ApplicationError(_("The host is not a guest of her own demonstration."), field="customer")
    guest, _created = DemonstrationGuest.objects.get_or_create(demonstration=demonstration, customer=customer)
    return guest


@transaction.atomic
def demonstration_close(
    *, demonstration: Demonstration, actor: Any = None, at: dt.datetime | None = None
) -> Demonstration:
    """Close a demonstration: its orders count now, QPS is fixed, the host gets her voucher.

    Orders still pending become paid (paid_at kept when recorded, else the close), with the
    close as commission date. Refused twice, before the demonstration was held, more than
    `close_within_days` after it, and in a closed period.
    """
    rules = current_rules()
    demonstration = Demonstration.objects.select_for_update(no_key=True).get(pk=demonstration.pk)
    at = at or timezone.now()
    if demonstration.status == DemonstrationStatus.CLOSED:
        assert demonstration.closed_at is not None  # a closed demonstration has its close time
        raise Conflict(
            _("This demonstration was already closed on %(date)s.") % {"date": _day(demonstration.closed_at)}
        )
    if demonstration.status != DemonstrationStatus.PLANNED:
        raise Conflict(_("A cancelled demonstration cannot be closed."))
    if at < demonstration.held_at:
        raise ApplicationError(_("A demonstration cannot be closed before it is held."), field="at")
    deadline = demonstration.held_at + dt.timedelta(days=rules.close_within_days)
    if at > deadline:
        raise Conflict(
            _(
                "A demonstration must be closed within %(days)s days of being held; this one was held on "
                "%(held)s and could be closed until %(deadline)s. Cancel it or ask an administrator."
            )
            % {
                "days": rules.close_within_days,
                "held": _day(demonstration.held_at),
                "deadline": timestamp(deadline),
            },
            field="at",
        )
    period = ensure_period_open(at, field="at", what=_("The close of the demonstration"))

    Order.objects.filter(demonstration=demonstration, status=OrderStatus.PENDING).update(
        status=OrderStatus.PAID,
        paid_at=Coalesce("paid_at", Value(at)),
        commission_date=at,
        commission_period=period,
        updated_at=timezone.now(),
    )
    qps = demonstration_qps(demonstration, before=at)
    demonstration.status = DemonstrationStatus.CLOSED
    demonstration.closed_at = at
    demonstration.qps = qps
    demonstration.save(update_fields=["status", "closed_at", "qps", "updated_at"])

    credit, items = host_rewards(qps, rules)
    voucher = host_voucher(demonstration, credit=credit, items=items, at=at, rules=rules)
    if voucher is not None:
        voucher.save(force_insert=True)
    audit_record(
        actor=actor,
        action="demonstration.close",
        target=demonstration,
        data={"qps": str(qps), "host_credit": str(credit), "half_price_items": items},
    )
    return demonstration


def host_voucher(
    demonstration: Demonstration, *, credit: Decimal, items: int, at: dt.datetime, rules: OrderRules
) -> HostCredit | None:
    """The host's voucher (unsaved) for a demonstration closed at `at` with this reward (host_rewards
    of its QPS): valid `credit_valid_days` from the close; None when the reward is nothing."""
    if credit <= 0 and items <= 0:
        return None
    return HostCredit(
        demonstration=demonstration,
        host_id=demonstration.host_id,
        amount=credit,
        half_price_items=items,
        issued_at=at,
        expires_at=at + dt.timedelta(days=rules.credit_valid_days),
    )


@transaction.atomic
def demonstration_cancel(
    *, demonstration: Demonstration, actor: Any = None, reason: str = ""
) -> Demonstration:
    """Call off a planned demonstration; its pending orders are cancelled with it."""
    demonstration = Demonstration.objects.select_for_update(no_key=True).get(pk=demonstration.pk)
    if demonstration.status != DemonstrationStatus.PLANNED:
        raise Conflict(
            _("The demonstration is %(status)s, not planned.")
            % {"status": demonstration.get_status_display().lower()}
        )
    now = timezone.now()
    Order.objects.filter(demonstration=demonstration, status=OrderStatus.PENDING).update(
        status=OrderStatus.CANCELLED, cancelled_at=now, updated_at=now
    )
    HostCredit.objects.filter(
        redeemed_order__demonstration=demonstration, redeemed_order__status=OrderStatus.CANCELLED
    ).update(redeemed_order=None, redeemed_at=None)
    demonstration.status = DemonstrationStatus.CANCELLED
    demonstration.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="demonstration.cancel", target=demonstration, reason=reason)
    return demonstration
