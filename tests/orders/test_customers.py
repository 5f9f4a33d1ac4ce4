import pytest

from core.errors import AddressUnavailable, ApplicationError, Conflict, NotFound
from distributors.models import DistributorStatus
from orders.models import CustomerKind
from orders.selectors.customers import customers_of_distributor
from orders.services import customer_register

from .factories import DistributorFactory

pytestmark = pytest.mark.django_db


def test_a_referral_code_credits_the_new_customer_to_its_distributor(consultant):
    customer = customer_register(
        referral_code=consultant.referral_code.lower(), first_name="Eva", email="Eva@x.nl"
    )
    assert customer.distributor == consultant
    assert customer.email == "eva@x.nl"
    assert customer.kind == CustomerKind.RETAIL
    assert list(customers_of_distributor(distributor=consultant)) == [customer]


def test_an_unknown_referral_code_is_refused():
    with pytest.raises(NotFound, match="referral code 'NOPE'") as err:
        customer_register(referral_code="NOPE", first_name="Eva")
    assert err.value.field == "referral_code"


def test_a_distributor_can_never_be_their_own_customer(consultant):
    with pytest.raises(ApplicationError, match="never be their own customer"):
        customer_register(distributor=consultant, first_name="Me", email=consultant.email.upper())


def test_another_distributor_is_never_a_customer(consultant):
    # The refusal does not say why (privacy.md): the same as for another distributor's customer.
    other = DistributorFactory()
    with pytest.raises(AddressUnavailable, match="cannot be used here") as err:
        customer_register(distributor=consultant, email=other.email)
    assert err.value.reason == "distributor"


def test_a_customer_stays_with_the_distributor_who_brought_them(consultant):
    customer_register(distributor=consultant, email="eva@x.nl")
    with pytest.raises(Conflict, match="already your customer"):
        customer_register(distributor=consultant, email="eva@x.nl")
    with pytest.raises(AddressUnavailable, match="cannot be used here") as err:
        customer_register(distributor=DistributorFactory(), email="eva@x.nl")
    assert err.value.reason == "customer_of_another_distributor"


def test_a_household_member_is_registered_as_such(consultant):
    customer = customer_register(distributor=consultant, first_name="Partner", household_of=consultant)
    assert customer.household_of == consultant


def test_a_terminated_distributor_takes_no_customers():
    gone = DistributorFactory(status=DistributorStatus.TERMINATED)
    with pytest.raises(ApplicationError, match="terminated"):
        customer_register(distributor=gone, first_name="Eva")
