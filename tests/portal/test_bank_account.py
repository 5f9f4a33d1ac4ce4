"""Portal › My data › Bank account: enter it with each error on its field, and see why a payout is
held (on the statements too)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from commissions.services.payouts import payout_batch_create
from core.periods import parse_period
from distributors.demo import seed_bank_accounts
from distributors.models import BankAccount, Distributor
from tests.commissions.closing import EXAMPLES, close, default_plan

pytestmark = pytest.mark.django_db
URL = "/portal/me/bank-account/"


@pytest.fixture
def anna(db):
    call_command("import_network", str(EXAMPLES / "s1"), stdout=open("/dev/null", "w"))
    default_plan()
    assert close("2026-10").status == "succeeded"
    user = get_user_model().objects.create_user("a-login", password="x")
    Distributor.objects.filter(external_id="A").update(user=user)
    client = Client()
    client.force_login(user)
    return client


def test_the_page_is_in_my_data_and_saves_a_valid_account(anna):
    assert URL in anna.get("/portal/me/").content.decode()
    page = anna.get(URL)
    assert page.status_code == 200 and page.context["form"]["holder"].value() == "Anna A"
    refused = anna.post(URL, {"holder": "Anna A", "iban": "NL91ABNA0417164301", "bic": ""})
    assert refused.status_code == 400
    assert "look for a typing error in the IBAN" in refused.context["form"].errors["iban"][0]
    saved = anna.post(URL, {"holder": "Anna A", "iban": "NL91 ABNA 0417 1643 00", "bic": ""})
    assert saved.status_code == 302
    assert BankAccount.objects.get(distributor__external_id="A").iban == "NL91ABNA0417164300"


def test_a_held_payout_says_why_on_the_statements_and_the_bank_page(anna, admin_user):
    seed_bank_accounts()
    BankAccount.objects.filter(distributor__external_id="A").delete()
    payout_batch_create(period=parse_period("2026-10"), actor=admin_user)
    listing = anna.get("/portal/statements/").content.decode()
    assert "Held: bank account needed" in listing
    detail = anna.get("/portal/statements/2026-10/").content.decode()
    assert "You have not entered a bank account" in detail and URL in detail
    bank = anna.get(URL).content.decode()
    assert (
        "Payments that wait for your bank account" in bank and "You have not entered a bank account" in bank
    )
