"""A distributor's bank account: one check of the IBAN and BIC (schwifty) behind the portal's
form, the API and the admin, each message on its field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.errors import ApplicationError, PermissionDenied
from core.models import AuditEntry
from distributors.bank import bank_account_set, bank_details_check
from distributors.models import BankAccount

from .factories import DistributorFactory


def errors_of(**details: str) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        bank_details_check(**details)
    return caught.value.message_dict


def test_a_valid_iban_is_kept_compact_and_its_bank_need_not_be_given():
    details = bank_details_check(holder="  Anna   de Vries ", iban="nl91 abna 0417 1643 00")
    assert (details.holder, details.iban, details.bic, details.bic_to_use) == (
        "Anna de Vries", "NL91ABNA0417164300", "", "ABNANL2A",
    )  # fmt: skip
    assert (
        bank_details_check(holder="B", iban="DE89370400440532013000", bic="cobadeffxxx").bic == "COBADEFFXXX"
    )


@pytest.mark.parametrize(
    "iban, message",
    [
        ("NL91ABNA0417164301", "check digits do not match"),
        ("NL91ABNA041716430", "too many or too few characters"),
        ("XX91ABNA0417164300", "code of a country"),
        ("hello", "not a valid IBAN"),
        ("", "Enter your IBAN"),
    ],
)
def test_a_wrong_iban_is_an_error_on_the_iban(iban, message):
    errors = errors_of(holder="Anna", iban=iban)
    assert list(errors) == ["iban"] and message in errors["iban"][0]


def test_the_bic_is_needed_only_where_the_iban_does_not_tell_the_bank_and_must_be_valid():
    # Switzerland: SEPA, but schwifty derives no BIC from the IBAN.
    assert "Enter the BIC" in errors_of(holder="A", iban="CH9300762011623852957")["bic"][0]
    assert (
        bank_details_check(holder="A", iban="CH9300762011623852957", bic="UBSWCHZH80A").bic == "UBSWCHZH80A"
    )
    assert "not a valid BIC" in errors_of(holder="A", iban="NL91ABNA0417164300", bic="AB")["bic"][0]
    assert "another country" in errors_of(holder="A", iban="NL91ABNA0417164300", bic="DEUTDEFF")["bic"][0]
    assert list(errors_of(holder="", iban="NL91ABNA0417164300")) == ["holder"]
    assert list(errors_of(holder="x" * 71, iban="NL91ABNA0417164300")) == ["holder"]


@pytest.mark.django_db
def test_the_service_checks_again_and_audits_without_the_number(admin_user):
    anna = DistributorFactory()
    with pytest.raises(ApplicationError) as caught:
        bank_account_set(distributor=anna, holder="Anna", iban="NL91ABNA0417164301", actor=admin_user)
    assert caught.value.field == "iban" and not BankAccount.objects.exists()
    with pytest.raises(PermissionDenied):
        bank_account_set(distributor=anna, holder="Anna", iban="NL91ABNA0417164300", actor=None)
    account = bank_account_set(distributor=anna, holder="Anna", iban="NL91ABNA0417164300", actor=admin_user)
    assert (account.iban, account.bic) == ("NL91ABNA0417164300", "")
    entry = AuditEntry.objects.get(action="distributor.bank_account_set")
    assert entry.data == {"created": True, "country": "NL"} and "0417" not in str(entry.data)


@pytest.mark.django_db
def test_the_admin_form_puts_each_error_on_its_field_and_saves_through_the_service(admin_client):
    anna = DistributorFactory()
    add = reverse("admin:distributors_bankaccount_add")
    refused = admin_client.post(add, {"distributor": anna.pk, "holder": "Anna", "iban": "NL91ABNA0417164301"})
    assert refused.status_code == 200
    assert "look for a typing error in the IBAN" in refused.context["adminform"].form.errors["iban"][0]
    saved = admin_client.post(
        add, {"distributor": anna.pk, "holder": "Anna", "iban": "NL91 ABNA 0417 1643 00"}
    )
    assert saved.status_code == 302
    assert BankAccount.objects.get(distributor=anna).iban == "NL91ABNA0417164300"
    assert AuditEntry.objects.filter(action="distributor.bank_account_set").count() == 1
