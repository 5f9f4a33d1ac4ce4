"""Portal › My data › Distributor agreement: read the current version in my language, confirm each
clause, accept; until then a notice on every page (the portal stays usable) and my held payouts say
why, with a link to accept."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from commissions.services.payouts import payout_batch_create
from core.periods import parse_period
from distributors.agreements import AcceptanceChannel, AgreementAcceptance
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor
from tests.commissions.closing import EXAMPLES, close, default_plan
from tests.distributors.agreement_helpers import published_version

pytestmark = pytest.mark.django_db
URL = "/portal/me/agreement/"
NOTICE = "Please accept the distributor agreement (version 1)"


def clauses_of(version) -> dict[str, str]:
    return {f"clause_{c.pk}": "on" for c in version.clauses.all()}


def test_without_a_version_there_is_nothing_to_accept_and_no_notice(portal):
    page = portal().get(URL)
    assert page.status_code == 200 and "no distributor agreement to accept yet" in page.content.decode()
    assert NOTICE not in portal().get("/portal/").content.decode()


def test_the_notice_is_on_every_page_until_i_accept_and_the_portal_stays_usable(portal, net):
    published_version(net.admin)
    client = portal()
    for url in ("/portal/", "/portal/team/", "/portal/statements/", "/portal/me/"):
        page = client.get(url)
        assert page.status_code == 200 and NOTICE in page.content.decode(), url
        assert URL in page.content.decode()
    assert NOTICE not in client.get(URL).content.decode()  # its own page explains it in full
    assert URL in client.get("/portal/me/").content.decode()  # linked from My data


def test_each_clause_must_be_confirmed_then_it_is_accepted_with_the_evidence(portal, net):
    version = published_version(net.admin)
    client = portal()
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="nl")
    text = page.content.decode()
    assert "Overeenkomst 1" in text and "Bepaling 1" in text and "Tekst 2." in text
    first, second = version.clauses.order_by("position")
    refused = client.post(URL, {"version": version.pk, f"clause_{first.pk}": "on"})
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        f"clause_{second.pk}": ["Confirm this clause to accept the agreement."]
    }
    assert not AgreementAcceptance.objects.exists()
    done = client.post(
        URL,
        {"version": version.pk, **clauses_of(version)},
        HTTP_ACCEPT_LANGUAGE="nl",
        HTTP_USER_AGENT="TestBrowser/1.0",
        REMOTE_ADDR="192.0.2.44",
    )
    assert done.status_code == 302
    acceptance = AgreementAcceptance.objects.get(distributor=net.anna)
    assert (acceptance.channel, acceptance.language, acceptance.ip_address, acceptance.user_agent) == (
        AcceptanceChannel.PORTAL, "nl", "192.0.2.44", "TestBrowser/1.0",
    )  # fmt: skip
    assert acceptance.accepted_by == net.anna.user and acceptance.text_hash == version.text_hash("nl")
    after = client.get(URL).content.decode()
    assert "You accepted version 1 on" in after and "Accept the agreement</button>" not in after
    assert NOTICE not in client.get("/portal/").content.decode()


def test_a_version_published_while_the_page_was_open_is_not_accepted_unread(portal, net):
    v1 = published_version(net.admin, 1)
    client = portal()
    published_version(net.admin, 2)
    response = client.post(URL, {"version": v1.pk, **clauses_of(v1)}, follow=True)
    assert "not the current one" in response.content.decode()
    assert not AgreementAcceptance.objects.exists()


def test_the_notice_costs_one_query(portal, net, django_assert_max_num_queries):
    published_version(net.admin)
    client = portal()
    client.get("/portal/me/")
    with django_assert_max_num_queries(9):
        assert client.get("/portal/me/").status_code == 200


@pytest.fixture
def a_held(db):
    call_command("import_network", str(EXAMPLES / "s1"), stdout=open("/dev/null", "w"))
    default_plan()
    assert close("2026-10").status == "succeeded"
    seed_bank_accounts()
    user = get_user_model().objects.create_user("a-login", password="x")
    Distributor.objects.filter(external_id="A").update(user=user)
    admin = get_user_model().objects.create_superuser("boss", "boss@example.nl", "x")
    published_version(admin)
    payout_batch_create(period=parse_period("2026-10"), actor=admin)
    client = Client()
    client.force_login(user)
    return client


def test_a_payout_held_for_the_agreement_says_why_with_a_link_to_accept(a_held):
    listing = a_held.get("/portal/statements/").content.decode()
    assert "Held: accept the agreement" in listing and URL in listing
    detail = a_held.get("/portal/statements/2026-10/").content.decode()
    assert "You have not accepted the current distributor agreement yet" in detail
    assert "Read and accept the agreement" in detail
