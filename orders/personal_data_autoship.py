"""Autoship in a person's GDPR export (collected by privacy.selectors): a distributor's
subscriptions (their own and those of their customers, which are theirs to know) and a customer's
own, each with its products and its dates (ordered, with the order, or skipped)."""

from __future__ import annotations

from django.db.models import QuerySet

from core.personal_data import PersonalDataPart, rows
from distributors.models import Distributor
from orders.models import AutoshipPaymentAttempt, AutoshipRun, Customer, Subscription, SubscriptionLine


def _attach(parents: list[dict], children: list[dict], key: str, name: str) -> None:
    by_parent: dict = {}
    for child in children:
        by_parent.setdefault(child.pop(key), []).append(child)
    for parent in parents:
        parent[name] = by_parent.get(parent["id"], [])


def _part(subscriptions: QuerySet[Subscription]) -> PersonalDataPart:
    found = rows(
        subscriptions.order_by("created_at", "id"),
        "id",
        "customer_id",
        "interval_unit",
        "interval_count",
        "weekday",
        "day_of_month",
        "status",
        "next_date",
        "paused_at",
        "pause_reason",
        "cancelled_at",
        "created_at",
    )
    ids = [s["id"] for s in found]
    lines = rows(
        SubscriptionLine.objects.filter(subscription_id__in=ids).order_by("id"),
        "subscription_id",
        "quantity",
        sku="product__sku",
    )
    runs = rows(
        AutoshipRun.objects.filter(subscription_id__in=ids).order_by("scheduled_for", "id"),
        "id",
        "subscription_id",
        "scheduled_for",
        "status",
        order_number="order__number",
    )
    attempts = rows(
        AutoshipPaymentAttempt.objects.filter(run__subscription_id__in=ids).order_by("run_id", "number"),
        "run_id",
        "number",
        "status",
        "due_at",
        "finished_at",
        "failure_reason",
    )
    _attach(runs, attempts, "run_id", "payment_attempts")
    _attach(found, lines, "subscription_id", "lines")
    _attach(found, runs, "subscription_id", "dates")
    return PersonalDataPart(sections={"autoships": found}, audit_targets={Subscription: ids})


def distributor_part(distributor: Distributor) -> PersonalDataPart:
    return _part(Subscription.objects.filter(distributor=distributor))


def customer_part(customer: Customer) -> PersonalDataPart:
    return _part(Subscription.objects.filter(customer=customer))
