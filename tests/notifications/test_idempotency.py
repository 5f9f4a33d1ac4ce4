"""Nothing is sent twice for one event: a task run twice, a receiver firing twice, a worker killed
after sending (the row stays pending: never sent again); a backend that raised is sent on retry."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import TestCase

from distributors.models import Distributor
from distributors.services.enrollment import distributor_enroll
from distributors.signals import distributor_enrolled
from notifications import delivery, tasks
from notifications.delivery import Mail, deliver
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_the_task_run_twice_sends_once(net):
    with TestCase.captureOnCommitCallbacks(execute=False):
        recruit = distributor_enroll(
            sponsor=net.anna, first_name="Nina", last_name="Nieuw", email="n@example.nl"
        )
    tasks.new_frontline_member(recruit.pk)
    tasks.new_frontline_member(recruit.pk)
    assert len(mail.outbox) == 1


def test_a_receiver_firing_twice_sends_once(net):
    with TestCase.captureOnCommitCallbacks(execute=True):
        recruit = distributor_enroll(
            sponsor=net.anna, first_name="Nina", last_name="Nieuw", email="n@example.nl"
        )
        distributor_enrolled.send(sender=Distributor, distributor=recruit)
    assert len(mail.outbox) == 1


def test_a_worker_killed_after_sending_never_sends_again(net):
    with TestCase.captureOnCommitCallbacks(execute=False):
        recruit = distributor_enroll(
            sponsor=net.anna, first_name="Nina", last_name="Nieuw", email="n@example.nl"
        )
    # What a killed worker leaves: the row claimed (pending), the mail maybe handed over.
    Notification.objects.create(
        kind="new_frontline_member",
        event_key=f"enrolled-{recruit.pk}",
        email="anna@example.nl",
        language="nl",
    )
    tasks.new_frontline_member(recruit.pk)
    assert mail.outbox == []


def test_a_refused_mail_is_sent_by_the_next_attempt(net, monkeypatch):
    real_send = delivery.EmailMultiAlternatives.send

    def refuse(self, *args, **kwargs):
        raise ConnectionError("provider down")

    monkeypatch.setattr(delivery.EmailMultiAlternatives, "send", refuse)
    note = Mail(kind="buyback_decided", event_key="buyback-x", email="anna@example.nl", name="Anna")
    assert deliver(note) == "failed"
    assert Notification.objects.get(event_key="buyback-x").status == "failed"
    monkeypatch.setattr(delivery.EmailMultiAlternatives, "send", real_send)
    assert deliver(note) == "sent"
    assert deliver(note) == "duplicate"
    row = Notification.objects.get(event_key="buyback-x")
    assert (row.status, row.attempts, len(mail.outbox)) == ("sent", 2, 1)
