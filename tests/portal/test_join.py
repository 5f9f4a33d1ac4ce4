"""The referral page's consent to be contacted is a double opt-in.

Signing up on /join/<code>/ makes the visitor a customer at once, but their consent counts only
once they open the signed link e-mailed to the address, within JOIN_CONFIRM_DAYS. The e-mail
leaves after the sign-up commits, in the visitor's language; the thank-you page stays the same
whether the address was new or known. Mail goes through Django's locmem backend (mail.outbox).

    root ─ anna (self) ─ anton ─ arie ─ aafke        bert (other leg) ─ bob        ursula (unrelated)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from orders.models import Customer
from orders.personal_data import customer_erase
from orders.services.customers import contact_consent_token
from portal.host_links import host_link_token

pytestmark = pytest.mark.django_db

SIGN_UP = {"first_name": "Vera", "last_name": "Visser", "email": "vera@example.nl", "consent": "on"}
CONSENT_EN = "I agree that this distributor contacts me about their products and offers."
SITE = "https://shop.example.nl"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.PUBLIC_URL = SITE + "/"
    settings.DEFAULT_FROM_EMAIL = "Backoffice <noreply@example.nl>"
    settings.JOIN_CONFIRM_DAYS = 7


def html(response) -> str:
    return response.content.decode()


def link_in(message) -> str:
    """The path of the confirmation link in an e-mail."""
    return re.search(rf"{re.escape(SITE)}(/join/confirm/\S+/)", message.body).group(1)


@pytest.fixture
def sign_up(net, django_capture_on_commit_callbacks):
    """Post the referral page of anna as a visitor (after commit callbacks run, as in production)."""

    def post(language: str = "en", **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(
                f"/join/{net.anna.referral_code}/", {**SIGN_UP, **fields}, HTTP_ACCEPT_LANGUAGE=language
            )

    return post


# --- Signing up asks; it does not record a consent


def test_a_sign_up_makes_a_customer_whose_consent_awaits_confirmation(net, sign_up):
    before = timezone.now()
    response = sign_up()
    assert response.status_code == 302 and response["Location"] == f"/join/{net.anna.referral_code}/thanks/"
    vera = Customer.objects.get(email="vera@example.nl")
    assert vera.distributor_id == net.anna.pk
    assert (vera.contact_consent_at, vera.contact_consent_text) == (None, "")
    assert vera.contact_consent_requested_text == CONSENT_EN
    assert before <= vera.contact_consent_requested_at <= timezone.now()


def test_the_e_mail_leaves_after_commit_in_plain_text_with_a_link_to_the_public_address(
    net, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        Client().post(f"/join/{net.anna.referral_code}/", SIGN_UP)
    assert (len(callbacks), mail.outbox) == (1, [])  # nothing leaves before the sign-up commits
    callbacks[0]()
    [message] = mail.outbox
    assert message.to == ["vera@example.nl"]
    assert message.from_email == "Backoffice <noreply@example.nl>"
    assert message.subject == "Confirm that Anna may contact you"
    assert not message.alternatives  # plain text only
    assert message.body.startswith("Hello Vera,")
    assert f'"{CONSENT_EN}"' in message.body
    assert "The link works for 7 days." in message.body
    assert link_in(message).startswith("/join/confirm/")


def test_the_e_mail_and_the_words_are_in_the_visitors_language(sign_up):
    sign_up(language="nl")
    vera = Customer.objects.get(email="vera@example.nl")
    assert vera.contact_consent_requested_text.startswith("Ik ga ermee akkoord")
    [message] = mail.outbox
    with translation.override("nl"):
        assert message.subject == gettext("Confirm that %(name)s may contact you") % {"name": "Anna"}
    assert message.body.startswith("Hallo Vera,")
    assert vera.contact_consent_requested_text in message.body


def test_the_thank_you_page_asks_to_open_the_link(net, sign_up):
    page = html(Client().get(sign_up()["Location"]))
    assert "open the link in the e-mail we are sending to your address" in page
    assert "The link works for 7 days." in page


# --- Opening the link


def test_opening_the_link_records_the_consent_in_the_words_the_visitor_read(sign_up):
    sign_up(language="nl")
    requested = Customer.objects.get(email="vera@example.nl").contact_consent_requested_at
    response = Client().get(link_in(mail.outbox[0]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.context["outcome"] == "confirmed"
    assert "your consent is recorded" in html(response)
    assert response["X-Robots-Tag"] == "noindex, nofollow" and response["Cache-Control"] == "no-store"
    vera = Customer.objects.get(email="vera@example.nl")
    assert vera.contact_consent_at is not None and vera.contact_consent_at >= requested
    assert vera.contact_consent_text.startswith("Ik ga ermee akkoord")
    # The request time stays as part of the proof; the words moved to the consent.
    assert (vera.contact_consent_requested_at, vera.contact_consent_requested_text) == (requested, "")


def test_a_second_opening_says_it_is_confirmed_and_changes_nothing(sign_up):
    sign_up()
    link = link_in(mail.outbox[0])
    Client().get(link)
    confirmed_at = Customer.objects.get(email="vera@example.nl").contact_consent_at
    response = Client().get(link)
    assert response.status_code == 200 and response.context["outcome"] == "already_confirmed"
    assert "You have already confirmed" in html(response)
    assert Customer.objects.get(email="vera@example.nl").contact_consent_at == confirmed_at


def test_a_head_request_confirms_nothing(sign_up):
    sign_up()
    assert Client().head(link_in(mail.outbox[0])).status_code == 405
    assert Customer.objects.get(email="vera@example.nl").contact_consent_at is None


def test_an_expired_link_says_so_and_records_nothing(sign_up):
    sign_up()
    vera = Customer.objects.get(email="vera@example.nl")
    vera.contact_consent_requested_at = timezone.now() - dt.timedelta(days=7, minutes=1)
    vera.save(update_fields=["contact_consent_requested_at"])
    response = Client().get(f"/join/confirm/{contact_consent_token(vera)}/")
    assert response.status_code == 410 and response.context["outcome"] == "expired"
    assert "This link has expired" in html(response)
    assert Customer.objects.get(pk=vera.pk).contact_consent_at is None


@pytest.mark.parametrize("kind", ["changed", "cut short", "nonsense", "a host link"])
def test_a_tampered_link_gets_a_clear_page_not_an_error(net, sign_up, kind):
    sign_up()
    token = link_in(mail.outbox[0]).split("/")[-2]
    token = {
        "changed": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        "cut short": token[:20],
        "nonsense": "not-a-token",
        "a host link": host_link_token(net.owned["anna"].demonstration),
    }[kind]
    response = Client().get(f"/join/confirm/{token}/")
    assert response.status_code == 404 and response.context["outcome"] == "invalid"
    assert "This link does not work" in html(response)
    assert Customer.objects.get(email="vera@example.nl").contact_consent_at is None


def test_a_link_of_an_erased_customer_looks_like_any_broken_link(net, sign_up):
    sign_up()
    link = link_in(mail.outbox[0])
    vera = Customer.objects.get(email="vera@example.nl")
    customer_erase(customer=vera, actor=net.anna.user, reason="Asked by phone")
    erased = Client().get(link)
    broken = Client().get("/join/confirm/not-a-token/")
    assert (erased.status_code, erased.context["outcome"]) == (broken.status_code, broken.context["outcome"])
    assert erased.templates[0].name == broken.templates[0].name
    stored = Customer.objects.get(pk=vera.pk)
    assert (stored.contact_consent_at, stored.contact_consent_requested_at) == (None, None)


# --- A known address: the same page, nothing that tells


def test_a_known_address_gets_the_same_page_and_no_e_mail(net, sign_up):
    taken = [net.bob.email, net.owned["bert"].host.email, net.anna.email]
    for email in taken:
        response = sign_up(email=email)
        assert response.status_code == 302 and response["Location"].endswith("/thanks/"), email
    assert mail.outbox == []
    bobs_host = Customer.objects.get(pk=net.owned["bert"].host.pk)
    assert (bobs_host.contact_consent_requested_at, bobs_host.contact_consent_requested_text) == (None, "")


def test_signing_up_again_while_the_link_works_sends_no_second_e_mail(sign_up):
    sign_up()
    again = sign_up()
    assert again.status_code == 302 and again["Location"].endswith("/thanks/")
    assert len(mail.outbox) == 1


def test_signing_up_again_after_confirming_sends_nothing(sign_up):
    sign_up()
    Client().get(link_in(mail.outbox[0]))
    sign_up()
    assert len(mail.outbox) == 1


def test_signing_up_again_after_the_link_expired_sends_a_new_one(sign_up):
    sign_up()
    old_link = link_in(mail.outbox[0])
    Customer.objects.filter(email="vera@example.nl").update(
        contact_consent_requested_at=timezone.now() - dt.timedelta(days=8)
    )
    sign_up(language="nl")
    assert len(mail.outbox) == 2
    assert Client().get(old_link).context["outcome"] in ("expired", "invalid")
    assert Client().get(link_in(mail.outbox[1])).context["outcome"] == "confirmed"
    vera = Customer.objects.get(email="vera@example.nl")
    assert vera.contact_consent_text.startswith("Ik ga ermee akkoord")
    assert Customer.objects.filter(email="vera@example.nl").count() == 1


def test_a_customer_the_distributor_entered_confirms_from_their_own_address(net, sign_up):
    gijs = Customer.objects.get(pk=net.owned["anna"].guest.pk)
    assert (gijs.contact_consent_at, gijs.contact_consent_requested_at) == (None, None)
    response = sign_up(email=gijs.email.upper())
    assert response["Location"].endswith("/thanks/")
    [message] = mail.outbox
    assert message.to == [gijs.email]
    # The greeting is the stored name, never the one the visitor typed; the sign-up changes no name.
    assert message.body.startswith(f"Hello {gijs.first_name},") and "Vera" not in message.body
    Client().get(link_in(message))
    stored = Customer.objects.get(pk=gijs.pk)
    assert (stored.first_name, stored.last_name) == (gijs.first_name, gijs.last_name)
    assert stored.contact_consent_text == CONSENT_EN
