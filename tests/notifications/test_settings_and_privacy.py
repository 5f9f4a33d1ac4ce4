"""The mail backend from the environment (anymail when ANYMAIL_ESP is set), and a person's
notification settings and notifications in their data export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import TestCase

from distributors.services.enrollment import distributor_enroll
from notifications.models import NotificationPreference
from orders.models import Customer
from orders.personal_data import customer_erase
from privacy.selectors import customer_personal_data, distributor_personal_data

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import json; import backoffice.settings as settings; "
    "print(json.dumps([settings.EMAIL_BACKEND, settings.ANYMAIL]))"
)


def settings_with(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANYMAIL_", "EMAIL_BACKEND"))}
    clean.update(DJANGO_SETTINGS_MODULE="backoffice.settings", DEBUG="1", **env)
    out = subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_console_backend_by_default():
    assert settings_with() == ["django.core.mail.backends.console.EmailBackend", {}]


def test_anymail_is_picked_with_its_settings_from_the_environment():
    backend, anymail = settings_with(
        ANYMAIL_ESP="mailgun",
        ANYMAIL_MAILGUN_API_KEY="key-123",
        ANYMAIL_MAILGUN_SENDER_DOMAIN="mg.example.com",
    )
    assert backend == "anymail.backends.mailgun.EmailBackend"
    assert anymail == {"MAILGUN_API_KEY": "key-123", "MAILGUN_SENDER_DOMAIN": "mg.example.com"}


@pytest.mark.django_db
def test_the_export_holds_the_settings_and_the_notifications(net, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    NotificationPreference.objects.create(email="anna@example.nl", kind="rank_advancement", enabled=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        distributor_enroll(sponsor=net.anna, first_name="Nina", last_name="Nieuw", email="n@example.nl")
    data = distributor_personal_data(net.anna)
    assert data["notification_settings"]["preferences"][0]["kind"] == "rank_advancement"
    assert [n["kind"] for n in data["notifications"]] == ["new_frontline_member"]
    customer = customer_personal_data(net.owned["anna"].host)
    assert customer["notifications"] == []


@pytest.mark.django_db
def test_erasing_a_customer_erases_what_is_kept_under_their_address_unless_another_record_has_it(net):
    host = net.owned["anna"].host
    other = Customer.objects.create(distributor=net.bert, first_name="Also", email=host.email.upper())
    address = host.email.lower()
    NotificationPreference.objects.create(email=address, kind="demonstration_reminder", enabled=False)

    customer_erase(customer=host, actor=net.anna.user, reason="asked on 2 December")
    # The same address is another distributor's customer too: their opt-out keeps working.
    assert NotificationPreference.objects.filter(email=address).exists()

    customer_erase(customer=other, actor=net.bert.user, reason="asked on 2 December")
    assert not NotificationPreference.objects.filter(email=address).exists()
