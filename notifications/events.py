"""What each event tells whom: the domain's records turned into `Mail`s (one per recipient).

Each function reads what it needs by id (the tasks call them with ids) and gives the mails; an
event key names the event, so the same event always gives the same key (delivery.py sends it once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse

from commissions.models import CloseRun, CloseRunKind, CloseRunStatus, DistributorPeriod, Statement
from commissions.selectors.ranks import rank_names
from core.accounts.mail import public_url
from core.periods import period_label
from distributors.models import Distributor
from orders.models import BuybackRequest, BuybackStatus, Demonstration, DemonstrationStatus, Order
from orders.selectors.autoship import subscriptions_due_on

from .delivery import Mail
from .models import NotificationKind as Kind

# Who hears that a close finished: staff who may start one (the period admin's close actions).
CLOSE_PERMISSION = ("plans", "change_period")


def _portal(name: str, *args: object) -> str:
    return public_url(reverse(f"portal:{name}", args=args))


def new_frontline_member(distributor_id: int) -> list[Mail]:
    recruit = Distributor.objects.select_related("sponsor").filter(pk=distributor_id).first()
    if recruit is None or recruit.sponsor is None:
        return []
    sponsor = recruit.sponsor
    return [
        Mail(
            kind=Kind.NEW_FRONTLINE_MEMBER,
            event_key=f"enrolled-{recruit.pk}",
            email=sponsor.email,
            name=sponsor.first_name,
            country=sponsor.country,
            context={"member_name": recruit.name, "team_url": _portal("team-member", recruit.pk)},
        )
    ]


def buyback_decided(request_id: int) -> list[Mail]:
    request = BuybackRequest.objects.select_related("distributor").filter(pk=request_id).first()
    if request is None or request.decided_at is None:
        return []
    distributor = request.distributor
    return [
        Mail(
            kind=Kind.BUYBACK_DECIDED,
            event_key=f"buyback-{request.pk}",
            email=distributor.email,
            name=distributor.first_name,
            country=distributor.country,
            context={
                "request_id": request.pk,
                "status": BuybackStatus(request.status).label,  # lazy: in the mail's language
                "rejected": request.status == BuybackStatus.REJECTED,
                "refund_total": request.refund_total,
                "reason": request.decision_reason,
                "url": _portal("buyback-detail", request.pk),
            },
        )
    ]


def autoship_payment_failed(
    order_id: int, attempt: int, next_attempt_at: dt.datetime | None, subscription_id: int
) -> list[Mail]:
    from orders.models import Subscription

    subscription = (
        Subscription.objects.select_related("distributor", "customer").filter(pk=subscription_id).first()
    )
    order = Order.objects.filter(pk=order_id).only("number").first()
    if subscription is None or order is None:
        return []
    return [
        Mail(
            kind=Kind.AUTOSHIP_PAYMENT_FAILED,
            event_key=f"autoship-payment-{order.pk}-{attempt}",
            email=subscription.subscriber_email,
            name=subscription.subscriber_name,
            country=subscription.distributor.country,
            context={
                "order_number": order.number,
                "attempt": attempt,
                "next_attempt_at": next_attempt_at,
                "own": subscription.is_own,
                "distributor_name": subscription.distributor.name,
            },
        )
    ]


def autoship_coming(day: dt.date) -> Iterator[Mail]:
    for subscription in subscriptions_due_on(day).iterator(chunk_size=500):
        yield Mail(
            kind=Kind.AUTOSHIP_COMING,
            event_key=f"autoship-coming-{subscription.pk}-{day.isoformat()}",
            email=subscription.subscriber_email,
            name=subscription.subscriber_name,
            country=subscription.distributor.country,
            context={
                "day": day,
                "products": [f"{line.quantity} × {line.product.name}" for line in subscription.lines.all()],
                "own": subscription.is_own,
                "distributor_name": subscription.distributor.name,
            },
        )


def demonstration_reminders(now: dt.datetime, hours: int) -> Iterator[Mail]:
    """To the consultant and the host of every planned demonstration held in the next `hours`."""
    soon = Demonstration.objects.filter(
        status=DemonstrationStatus.PLANNED, held_at__gt=now, held_at__lte=now + dt.timedelta(hours=hours)
    ).select_related("consultant", "host")
    for demonstration in soon.order_by("held_at", "pk").iterator(chunk_size=500):
        # A demonstration moved to another time gets a reminder of its new time.
        key = f"demonstration-{demonstration.pk}-{demonstration.held_at:%Y%m%d%H%M}"
        consultant, host = demonstration.consultant, demonstration.host
        common = {
            "held_at": demonstration.held_at,
            "place": demonstration.place,
            "video_link": demonstration.video_link,
            "consultant_name": consultant.name,
            "host_name": str(host),
        }
        yield Mail(
            kind=Kind.DEMONSTRATION_REMINDER,
            event_key=key,
            email=consultant.email,
            name=consultant.first_name,
            country=consultant.country,
            context={**common, "role": "consultant", "url": _portal("demonstration", demonstration.pk)},
        )
        if host.email:
            yield Mail(
                kind=Kind.DEMONSTRATION_REMINDER,
                event_key=key,
                email=host.email,
                name=host.first_name or str(host),
                country=consultant.country,
                context={**common, "role": "host"},
            )


def final_run(run_id: int) -> CloseRun | None:
    return (
        CloseRun.objects.select_related("period", "plan")
        .filter(pk=run_id, kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED)
        .first()
    )


def close_finished(run: CloseRun) -> list[Mail]:
    """To every active staff member who may start a close (or a superuser)."""
    permission = Permission.objects.filter(
        content_type__app_label=CLOSE_PERMISSION[0], codename=CLOSE_PERMISSION[1]
    ).first()
    may_close = Q(is_superuser=True)
    if permission is not None:
        may_close |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    staff = (
        get_user_model()
        .objects.filter(may_close, is_active=True, is_staff=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    summary = run.summary or {}
    return [
        Mail(
            kind=Kind.CLOSE_FINISHED,
            event_key=f"close-run-{run.pk}",
            email=user.email,
            name=user.first_name or user.get_username(),
            context={
                "period": run.period.start,
                "run_id": run.pk,
                "distributors": summary.get("distributors"),
                "url": public_url(reverse("admin:commissions_closerun_change", args=[run.pk])),
            },
        )
        for user in staff
    ]


def distributor_id_bounds(run: CloseRun) -> tuple[int, int] | None:
    """The lowest and highest distributor id of the run's results (one query)."""
    ids = (
        DistributorPeriod.objects.filter(run=run)
        .order_by("distributor_id")
        .values_list("distributor_id", flat=True)
    )
    first, last = ids.first(), ids.last()
    return None if first is None or last is None else (first, last)


def _previous_final_run(run: CloseRun) -> CloseRun | None:
    return (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED, period__start__lt=run.period.start
        )
        .order_by("-period__start")
        .first()
    )


def close_chunk(run: CloseRun, low: int, high: int) -> list[Mail]:
    """Statement ready and rank advancement for the run's distributors with low <= id < high."""
    in_chunk = {"run": run, "distributor_id__gte": low, "distributor_id__lt": high}
    mails: list[Mail] = []
    month = period_label(run.period.start)
    statements = Statement.objects.filter(**in_chunk).select_related("distributor").order_by("distributor_id")
    for statement in statements:
        distributor = statement.distributor
        mails.append(
            Mail(
                kind=Kind.STATEMENT_READY,
                event_key=f"statement-run-{run.pk}",
                email=distributor.email,
                name=distributor.first_name,
                country=distributor.country,
                context={
                    "period": run.period.start,
                    "net": statement.net,
                    "payout": statement.payout,
                    "carried_out": statement.carried_out,
                    "url": _portal("statement", month),
                },
            )
        )
    # Rank advancement: a title (highest rank) above the one of the previous final close.
    titles = dict(
        DistributorPeriod.objects.filter(**in_chunk, title__gt=0).values_list("distributor_id", "title")
    )
    previous_run = _previous_final_run(run)
    before: dict[int, int] = {}
    if previous_run is not None and titles:
        before = dict(
            DistributorPeriod.objects.filter(run=previous_run, distributor_id__in=list(titles)).values_list(
                "distributor_id", "title"
            )
        )
    advanced = {pk: title for pk, title in titles.items() if title > before.get(pk, 0)}
    if advanced:
        names = rank_names(run.plan)
        for distributor in Distributor.objects.filter(pk__in=list(advanced)).order_by("pk"):
            title = advanced[distributor.pk]
            mails.append(
                Mail(
                    kind=Kind.RANK_ADVANCEMENT,
                    event_key=f"rank-run-{run.pk}",
                    email=distributor.email,
                    name=distributor.first_name,
                    country=distributor.country,
                    context={
                        "rank_name": names.get(title, str(title)),
                        "period": run.period.start,
                        "url": _portal("dashboard"),
                    },
                )
            )
    return mails
