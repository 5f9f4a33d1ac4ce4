"""GET/PUT /api/v1/me/bank-account/: my bank account for payouts, checked as the portal checks it."""

from __future__ import annotations

import pytest

from distributors.models import BankAccount

URL = "/api/v1/me/bank-account/"
pytestmark = pytest.mark.django_db


def test_i_read_enter_and_change_my_bank_account(net, api):
    anna = api("anna")
    assert anna.get(URL).json() == {
        "holder": None,
        "iban": None,
        "bic": "",
        "updated_at": None,
        "returned": False,
    }
    response = anna.put(URL, {"holder": "Anna A", "iban": "NL91 ABNA 0417 1643 00"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["holder"], body["iban"], body["bic"], body["returned"]) == (
        "Anna A", "NL91ABNA0417164300", "", False,
    )  # fmt: skip
    assert anna.get(URL).json()["iban"] == "NL91ABNA0417164300"
    assert BankAccount.objects.get().distributor_id == net.anna.pk


def test_a_wrong_iban_or_bic_is_a_400_on_its_field(net, api):
    anna = api("anna")
    response = anna.put(URL, {"holder": "Anna", "iban": "NL91ABNA0417164301", "bic": "AB"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"iban", "bic"}
    assert "check digits" in fields["iban"][0] and "not a valid BIC" in fields["bic"][0]
    unknown = anna.put(URL, {"holder": "Anna", "iban": "NL91ABNA0417164300", "sponsor": 1}, format="json")
    assert unknown.status_code == 400 and "sponsor" in unknown.json()["error"]["fields"]
    assert not BankAccount.objects.exists()


def test_only_a_distributor_has_a_bank_account_here(net, api):
    assert api(None).get(URL).status_code == 401
    assert api("admin").get(URL).status_code == 403
