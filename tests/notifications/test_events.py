"""Each event end to end: the domain's change → the receiver → the task → mail.outbox, in the
recipient's language, with the unsubscribe link and headers; switched off → nothing sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from distributors.services.enrollment import distributor_enroll
from notifications import tasks
from notifications.models import MailLanguage, Notification, NotificationPreference
from orders.models import AutoshipUnit, Subscription, SubscriptionLine
from orders.services.buyback import buyback_request_decide
from orders.services.demonstrations import demonstration_plan
from orders.signals import autoship_payment_failed

pytestmark = pytest.mark.django_db


def enroll_under(sponsor, email="nieuw@example.nl"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return distributor_enroll(sponsor=sponsor, first_name="Nina", last_name="Nieuw", email=email)


def only_mail_to(address):
    sent = [m for m in mail.outbox if m.to == [address]]
    assert len(sent) == 1, [m.to for m in mail.outbox]
    return sent[0]


def assert_unsubscribable(message):
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://office.example.com/notifications/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in message.body
    html = message.alternatives[0]
    assert html[1] == "text/html" and unsubscribe.strip("<>") in html[0]


def test_a_new_member_is_announced_to_the_sponsor_in_dutch_for_the_netherlands(net):
    recruit = enroll_under(net.anna)
    message = only_mail_to("anna@example.nl")
    assert "Nina Nieuw" in message.subject
    assert f"https://office.example.com/portal/team/members/{recruit.pk}/" in message.body
    assert_unsubscribable(message)
    row = Notification.objects.get(kind="new_frontline_member", email="anna@example.nl")
    assert (row.status, row.language, row.event_key) == ("sent", "nl", f"enrolled-{recruit.pk}")


def test_a_sponsor_who_enrols_the_member_themselves_is_not_told(net):
    with TestCase.captureOnCommitCallbacks(execute=True):
        distributor_enroll(
            sponsor=net.anna,
            first_name="Nina",
            last_name="Nieuw",
            email="nieuw@example.nl",
            actor=net.anna.user,
        )
    assert not Notification.objects.filter(kind="new_frontline_member").exists()


def test_the_stored_language_wins_over_the_country(net):
    MailLanguage.objects.create(email="anna@example.nl", language="en")
    enroll_under(net.anna)
    assert Notification.objects.get(email="anna@example.nl").language == "en"


def test_switched_off_nothing_is_sent(net):
    NotificationPreference.objects.create(email="anna@example.nl", kind="new_frontline_member", enabled=False)
    enroll_under(net.anna)
    assert mail.outbox == []
    assert Notification.objects.get(email="anna@example.nl").status == "skipped"


def test_a_preference_matches_the_address_whatever_its_case(net):
    NotificationPreference.objects.create(email="anna@example.nl", kind="new_frontline_member", enabled=False)
    net.anna.email = "Anna@Example.NL"
    net.anna.save(update_fields=["email"])
    enroll_under(net.anna)
    assert mail.outbox == []


def test_a_root_enrolment_tells_nobody(net):
    with TestCase.captureOnCommitCallbacks(execute=True):
        distributor_enroll(first_name="Eva", last_name="Eigen", email="eva@example.nl")
    assert mail.outbox == []


def test_the_buyback_decision_is_told_to_the_distributor(net):
    request = net.owned["anna"].buyback
    with TestCase.captureOnCommitCallbacks(execute=True):
        buyback_request_decide(request=request, approvals={}, actor=net.admin, reason="Opened packaging")
    message = only_mail_to("anna@example.nl")
    assert f"#{request.pk}" in message.subject
    assert "Opened packaging" in message.body
    assert f"/portal/buyback/{request.pk}/" in message.body
    assert_unsubscribable(message)


def test_demonstration_reminders_go_to_consultant_and_host_once(net):
    owned = net.owned["anna"]
    demonstration = demonstration_plan(
        consultant=net.anna, host=owned.host, held_at=timezone.now() + dt.timedelta(hours=20), place="Gouda"
    )
    tasks.demonstration_reminders()
    consultant = only_mail_to("anna@example.nl")
    host = only_mail_to(owned.host.email)
    assert "Gouda" in consultant.body and "Gouda" in host.body
    assert f"/portal/demonstrations/{demonstration.pk}/" in consultant.body
    assert "/portal/" not in host.body.split("--")[0]  # a host has no portal
    assert_unsubscribable(host)
    tasks.demonstration_reminders()  # beat again an hour later
    assert len(mail.outbox) == 2


def _subscription(net, next_date):
    owned = net.owned["anna"]
    subscription = Subscription.objects.create(
        distributor=net.anna,
        customer=owned.guest,
        interval_unit=AutoshipUnit.MONTHS,
        day_of_month=next_date.day,
        next_date=next_date,
    )
    SubscriptionLine.objects.create(subscription=subscription, product=net.product, quantity=2)
    return subscription


def test_autoship_coming_reminds_the_subscriber_days_before(net, settings):
    settings.NOTIFICATIONS_AUTOSHIP_NOTICE_DAYS = 3
    _subscription(net, timezone.localdate() + dt.timedelta(days=3))
    _subscription(net, timezone.localdate() + dt.timedelta(days=4))
    tasks.autoship_reminders()
    message = only_mail_to(net.owned["anna"].guest.email)
    assert "2 × Kitchen machine" in message.body
    assert len(mail.outbox) == 1
    tasks.autoship_reminders()
    assert len(mail.outbox) == 1


def test_a_failed_autoship_payment_is_told_with_the_next_attempt(net):
    subscription = _subscription(net, timezone.localdate() + dt.timedelta(days=10))
    order = net.owned["anna"].pending_order
    retry = timezone.now() + dt.timedelta(days=3)
    with TestCase.captureOnCommitCallbacks(execute=True):
        for _twice in range(2):  # a receiver firing twice sends once
            autoship_payment_failed.send(
                sender=Subscription, subscription=subscription, order=order, attempt=1, next_attempt_at=retry
            )
    message = only_mail_to(net.owned["anna"].guest.email)
    assert order.number in message.subject
    assert_unsubscribable(message)
