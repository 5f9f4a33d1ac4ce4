"""A customer's consent to be contacted, given on a public form, is a double opt-in.

customer_register records it as requested (its words and time) and e-mails the address a signed
link after commit; customer_contact_consent_confirm records the consent once that link is opened
within JOIN_CONFIRM_DAYS. The link answers one request of one customer at one address: an
erased customer, a newer request or another address make it confirm nothing. The GDPR export
shows the request; erasure clears it. Staff see the state in the admin.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from core.models import AuditEntry
from orders.models import Customer
from orders.personal_data import customer_erase
from orders.services.customers import (
    CONSENT_SALT,
    ConsentConfirmation,
    contact_consent_link_send,
    contact_consent_token,
    customer_contact_consent_confirm,
    customer_contact_consent_request,
    customer_register,
)
from privacy.selectors import customer_personal_data

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db

WORDS = "I agree that this distributor contacts me about their products and offers."


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.PUBLIC_URL = "https://shop.example.nl"
    settings.JOIN_CONFIRM_DAYS = 7


@pytest.fixture
def register(consultant, django_capture_on_commit_callbacks):
    def make(email: str = "eva@example.nl", **extra) -> Customer:
        with django_capture_on_commit_callbacks(execute=True):
            return customer_register(
                distributor=consultant, first_name="Eva", email=email, contact_consent=WORDS, **extra
            )

    return make


def token_in(message) -> str:
    return re.search(r"https://shop\.example\.nl/join/confirm/(\S+)/", message.body).group(1)


def confirm(token: str, **kwargs) -> ConsentConfirmation:
    return customer_contact_consent_confirm(token=token, **kwargs)


# --- Registering asks


def test_registering_with_a_consent_asks_for_it_and_records_none(register):
    eva = register()
    stored = Customer.objects.get(pk=eva.pk)
    assert (stored.contact_consent_at, stored.contact_consent_text) == (None, "")
    assert stored.contact_consent_requested_text == WORDS
    assert stored.contact_consent_requested_at is not None
    [message] = mail.outbox
    assert message.to == ["eva@example.nl"]
    assert message.subject == "Confirm that Carla may contact you"


def test_registering_without_a_consent_asks_nothing(consultant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        eva = customer_register(distributor=consultant, first_name="Eva", email="eva@example.nl")
    assert (callbacks, mail.outbox) == ([], [])
    assert (eva.contact_consent_requested_at, eva.contact_consent_requested_text) == (None, "")


def test_a_consent_needs_an_address_to_confirm_it_from(consultant):
    with pytest.raises(ApplicationError, match="confirmed from an e-mail address") as err:
        customer_register(distributor=consultant, first_name="Eva", contact_consent=WORDS)
    assert err.value.field == "email"
    assert not Customer.objects.filter(first_name="Eva").exists()


def test_a_refused_registration_sends_nothing(consultant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            customer_register(distributor=consultant, email="eva@example.nl", contact_consent=WORDS)
            raise RuntimeError("the request failed after the registration")
    assert (callbacks, mail.outbox) == ([], [])


def test_words_await_confirmation_only_with_a_request_time_and_until_confirmed(consultant):
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(distributor=consultant, contact_consent_requested_text=WORDS)
    with pytest.raises(IntegrityError), transaction.atomic():
        now = timezone.now()
        CustomerFactory(
            distributor=consultant,
            contact_consent_requested_at=now,
            contact_consent_requested_text=WORDS,
            contact_consent_at=now,
        )


# --- Confirming


def test_the_link_records_the_consent_once(register):
    eva = register()
    token = token_in(mail.outbox[0])
    assert confirm(token) == ConsentConfirmation.CONFIRMED
    stored = Customer.objects.get(pk=eva.pk)
    assert stored.contact_consent_text == WORDS and stored.contact_consent_requested_text == ""
    assert (
        stored.contact_consent_at >= stored.contact_consent_requested_at == eva.contact_consent_requested_at
    )
    assert confirm(token) == ConsentConfirmation.ALREADY_CONFIRMED
    assert Customer.objects.get(pk=eva.pk).contact_consent_at == stored.contact_consent_at
    [entry] = AuditEntry.objects.filter(action="customer.contact_consent_confirm")
    assert (entry.target_id, entry.actor_id) == (str(eva.pk), None)


def test_the_link_works_for_join_confirm_days(register, settings):
    settings.JOIN_CONFIRM_DAYS = 3
    eva = register()
    token = token_in(mail.outbox[0])
    asked = eva.contact_consent_requested_at
    assert confirm(token, now=asked + dt.timedelta(days=3, seconds=1)) == ConsentConfirmation.EXPIRED
    assert Customer.objects.get(pk=eva.pk).contact_consent_at is None
    assert confirm(token, now=asked + dt.timedelta(days=3)) == ConsentConfirmation.CONFIRMED


def test_an_expired_link_says_expired_whatever_became_of_its_customer(register, admin_user):
    eva = register()
    token = token_in(mail.outbox[0])
    later = eva.contact_consent_requested_at + dt.timedelta(days=8)
    customer_erase(customer=eva, actor=admin_user, reason="Asked by phone")
    assert confirm(token, now=later) == ConsentConfirmation.EXPIRED


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "",
        lambda token: signing.dumps({"c": 1}, salt=CONSENT_SALT),  # a payload we never sign
        lambda token: signing.dumps([1, 2, 3], salt=CONSENT_SALT),
        lambda token: signing.dumps(signing.loads(token, salt=CONSENT_SALT), salt="portal.host-link"),
    ],
    ids=["changed", "empty", "incomplete", "not-a-mapping", "other-salt"],
)
def test_a_forged_link_confirms_nothing(register, forge):
    eva = register()
    assert confirm(forge(token_in(mail.outbox[0]))) == ConsentConfirmation.INVALID
    assert Customer.objects.get(pk=eva.pk).contact_consent_at is None


def test_a_link_of_an_erased_customer_confirms_nothing(register, admin_user):
    eva = register()
    token = token_in(mail.outbox[0])
    customer_erase(customer=eva, actor=admin_user, reason="Asked by phone")
    assert confirm(token) == ConsentConfirmation.INVALID
    stored = Customer.objects.get(pk=eva.pk)
    assert (stored.contact_consent_at, stored.contact_consent_text) == (None, "")


def test_a_link_of_a_deleted_customer_confirms_nothing(register):
    eva = register()
    token = token_in(mail.outbox[0])
    Customer.objects.filter(pk=eva.pk).delete()
    assert confirm(token) == ConsentConfirmation.INVALID


def test_a_link_sent_to_another_address_confirms_nothing(register):
    eva = register()
    token = token_in(mail.outbox[0])
    Customer.objects.filter(pk=eva.pk).update(email="someone.else@example.nl")
    assert confirm(token) == ConsentConfirmation.INVALID


def test_only_the_newest_request_s_link_confirms(register, consultant, django_capture_on_commit_callbacks):
    eva = register()
    first = token_in(mail.outbox[0])
    Customer.objects.filter(pk=eva.pk).update(
        contact_consent_requested_at=timezone.now() - dt.timedelta(days=8)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_contact_consent_request(
            distributor=consultant, email="EVA@example.nl", contact_consent=WORDS, language="en"
        )
    assert confirm(first) == ConsentConfirmation.INVALID  # still young, but superseded
    assert confirm(token_in(mail.outbox[1])) == ConsentConfirmation.CONFIRMED


# --- Asking again (a second sign-up with a known address)


def test_asking_again_sends_a_link_only_when_none_works_and_none_was_given(
    register, consultant, django_capture_on_commit_callbacks
):
    def again(email: str = "eva@example.nl", distributor=consultant) -> bool:
        with django_capture_on_commit_callbacks(execute=True):
            return customer_contact_consent_request(
                distributor=distributor, email=email, contact_consent=WORDS, language="en"
            )

    eva = register()
    assert again() is False  # the first link still works
    Customer.objects.filter(pk=eva.pk).update(
        contact_consent_requested_at=timezone.now() - dt.timedelta(days=8)
    )
    assert again() is True
    assert len(mail.outbox) == 2
    confirm(token_in(mail.outbox[1]))
    Customer.objects.filter(pk=eva.pk).update(
        contact_consent_requested_at=timezone.now() - dt.timedelta(days=8)
    )
    assert again() is False  # confirmed: nothing to ask
    assert again(email="nobody@example.nl") is False
    other = CustomerFactory(email="other@example.nl")  # another distributor's customer
    assert again(email=other.email) is False
    assert Customer.objects.get(pk=other.pk).contact_consent_requested_at is None
    assert len(mail.outbox) == 2


def test_a_moot_link_is_not_sent(register):
    eva = register()
    asked = eva.contact_consent_requested_at
    assert (
        contact_consent_link_send(
            customer_id=eva.pk, requested_at=asked - dt.timedelta(seconds=1), language="en"
        )
        is False
    )
    confirm(token_in(mail.outbox[0]))
    assert contact_consent_link_send(customer_id=eva.pk, requested_at=asked, language="en") is False
    assert contact_consent_link_send(customer_id=0, requested_at=asked, language="en") is False
    assert len(mail.outbox) == 1


def test_the_link_is_on_the_public_address(register):
    eva = register()
    expected = "https://shop.example.nl" + reverse(
        "join-confirm", kwargs={"token": contact_consent_token(eva)}
    )
    assert expected in mail.outbox[0].body


# --- GDPR: the export shows the request, erasure clears it


def test_the_access_export_shows_the_request_and_erasure_clears_it(register, admin_user):
    eva = register()
    profile = customer_personal_data(eva)["profile"]
    assert profile["contact_consent_at"] is None
    assert profile["contact_consent_requested_text"] == WORDS
    assert profile["contact_consent_requested_at"] == eva.contact_consent_requested_at.isoformat()
    json.dumps(profile)
    customer_erase(customer=eva, actor=admin_user, reason="Asked by phone")
    stored = Customer.objects.get(pk=eva.pk)
    assert (stored.contact_consent_requested_at, stored.contact_consent_requested_text) == (None, "")
    profile = customer_personal_data(stored)["profile"]
    assert (profile["contact_consent_requested_at"], profile["contact_consent_requested_text"]) == (None, "")


def test_erasure_clears_a_confirmed_consent_and_its_request(register, admin_user):
    eva = register()
    confirm(token_in(mail.outbox[0]))
    customer_erase(customer=eva, actor=admin_user, reason="Asked by phone")
    stored = Customer.objects.get(pk=eva.pk)
    assert (
        stored.contact_consent_at,
        stored.contact_consent_text,
        stored.contact_consent_requested_at,
        stored.contact_consent_requested_text,
    ) == (None, "", None, "")


# --- The admin shows the state


@pytest.fixture
def staff_client(client, admin_user, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client.force_login(admin_user)
    return client


def test_the_admin_shows_a_consent_awaiting_confirmation_and_a_confirmed_one(register, staff_client):
    eva = register()
    page = staff_client.get(reverse("admin:orders_customer_change", args=[eva.pk])).content.decode()
    assert "Awaiting confirmation: the link sent on" in page and WORDS in page
    Customer.objects.filter(pk=eva.pk).update(
        contact_consent_requested_at=timezone.now() - dt.timedelta(days=8)
    )
    page = staff_client.get(reverse("admin:orders_customer_change", args=[eva.pk])).content.decode()
    assert "Not confirmed: the link sent on" in page
    Customer.objects.filter(pk=eva.pk).update(contact_consent_requested_at=timezone.now())
    confirm(contact_consent_token(Customer.objects.get(pk=eva.pk)))
    page = staff_client.get(reverse("admin:orders_customer_change", args=[eva.pk])).content.decode()
    assert "Confirmed on" in page


def test_the_admin_filters_customers_by_consent(register, consultant, staff_client):
    eva = register()
    ida = register(email="ida@example.nl")
    confirm(token_in(mail.outbox[1]))
    plain = CustomerFactory(distributor=consultant)
    changelist = reverse("admin:orders_customer_changelist")

    def listed(value: str) -> set[int]:
        response = staff_client.get(changelist, {"contact_consent": value})
        return {customer.pk for customer in response.context["cl"].result_list}

    assert (listed("awaiting"), listed("confirmed"), listed("none")) == ({eva.pk}, {ida.pk}, {plain.pk})
