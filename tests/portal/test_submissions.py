"""One submission per form without JavaScript: the same form sent twice (a double tap, a reload of
the POST, a retry on a slow phone) creates one thing and the second goes where the first went.

Two sends at the same moment queue on the key's unique row, as the API's Idempotency-Key does
(portal.submissions uses its table and its insert; tests/api test the concurrent case)."""

from __future__ import annotations

import re

import pytest

from core.models import IdempotencyKey
from orders.models import Customer

pytestmark = pytest.mark.django_db


def token_of(page: str) -> str:
    match = re.search(r'name="submission" value="([0-9a-f]{32})"', page)
    assert match, "the form carries no submission token"
    return match.group(1)


def test_a_form_sent_twice_registers_one_customer_and_both_answers_go_to_it(portal, net):
    client = portal("anna")
    token = token_of(client.get("/portal/customers/new/").content.decode())
    data = {"first_name": "Vera", "last_name": "Visser", "email": "vera@example.nl", "kind": "retail"}
    data["submission"] = token
    first = client.post("/portal/customers/new/", data)
    second = client.post("/portal/customers/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Customer.objects.filter(email="vera@example.nl").count() == 1
    page = client.get(second["Location"]).content.decode()
    assert "This form was already sent" in page


def test_a_form_with_errors_keeps_nothing_so_the_corrected_form_goes_through(portal, net):
    client = portal("anna")
    token = token_of(client.get("/portal/customers/new/").content.decode())
    bad = {"email": "not an address", "kind": "retail", "submission": token}
    refused = client.post("/portal/customers/new/", bad)
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not IdempotencyKey.objects.exists()
    corrected = client.post(
        "/portal/customers/new/",
        {"first_name": "Vera", "email": "vera@example.nl", "kind": "retail", "submission": token},
    )
    assert corrected.status_code == 302
    assert Customer.objects.filter(email="vera@example.nl").count() == 1


def test_each_page_gives_a_new_token_and_another_distributors_token_is_theirs_alone(portal, net):
    anna, bob = portal("anna"), portal("bob")
    first = token_of(anna.get("/portal/customers/new/").content.decode())
    assert first != token_of(anna.get("/portal/customers/new/").content.decode())
    anna.post("/portal/customers/new/", {"first_name": "Vera", "kind": "retail", "submission": first})
    # The same token from someone else is their own first submission, not a replay of Anna's.
    wim = {"first_name": "Wim", "kind": "retail", "submission": first}
    response = bob.post("/portal/customers/new/", wim)
    assert response.status_code == 302
    assert Customer.objects.filter(first_name="Wim", distributor=net.bob).count() == 1


@pytest.mark.parametrize(
    "page",
    ["/portal/orders/new/", "/portal/buyback/", "/portal/demonstrations/plan/", "/portal/team/enroll/"],
)
def test_the_forms_that_create_something_carry_a_token(portal, net, page):
    token_of(portal("anna").get(page).content.decode())


def test_an_enrolment_sent_twice_enrols_one_recruit_and_sends_one_invitation(
    portal, net, mailoutbox, django_capture_on_commit_callbacks
):
    from distributors.models import Distributor

    client = portal("anna")
    token = token_of(client.get("/portal/team/enroll/").content.decode())
    data = {"first_name": "Rik", "last_name": "Rover", "email": "rik@example.nl", "country": "NL"}
    data["submission"] = token
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/portal/team/enroll/", data)
        second = client.post("/portal/team/enroll/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Distributor.objects.filter(email="rik@example.nl").count() == 1
    assert [message.to for message in mailoutbox] == [["rik@example.nl"]]
