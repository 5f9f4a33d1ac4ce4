"""The portal's Team section: overview (legs, referral link, QR), the tree a frontline at a time,
the searchable list, a member's page, enrolling a recruit, and the public referral page /join/.

    root ─ anna (self) ─ anton ─ arie ─ aafke        bert (other leg) ─ bob        ursula (unrelated)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.api.pagination import encode_cursor
from core.api.throttles import EmailCheckThrottle
from core.periods import period_label, period_of
from distributors.addresses import uniform_message
from distributors.models import Distributor
from orders.models import Customer
from tests.commissions.closing import close

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


# --- Overview


def test_overview_shows_legs_referral_link_qr_and_share_links(net, portal, django_assert_max_num_queries):
    client = portal("root")
    with django_assert_max_num_queries(12):
        response = client.get("/portal/team/")
    assert response.status_code == 200
    page = html(response)
    # Legs: anna's leg (anna, anton, arie, aafke) first, then bert's.
    assert page.index("Anna Vries") < page.index("Bert Bakker")
    assert net.root.referral_code in page
    link = f"{settings.PUBLIC_URL}/join/{net.root.referral_code}/"
    assert link in page
    assert '<svg role="img"' in page and 'class="qr"' in page  # the QR code, inline
    assert "https://wa.me/?text=" in page and "mailto:?subject=" in page
    assert "@example.nl" not in page.replace(net.root.email, "")  # nobody's e-mail


def test_the_referral_link_leads_to_a_working_page(net, portal):
    page = html(portal("anna").get("/portal/team/"))
    assert f"/join/{net.anna.referral_code}/" in page
    assert Client().get(f"/join/{net.anna.referral_code}/").status_code == 200


# --- The tree


def test_tree_shows_my_frontline_with_sizes_and_whether_they_have_children(net, portal):
    response = portal("root").get("/portal/team/tree/")
    assert response.status_code == 200
    page = html(response)
    assert "Anna Vries" in page and "Bert Bakker" in page and "Anton" not in page
    # anna has 3 below: an expandable node that loads her frontline on demand.
    assert f'hx-get="/portal/team/tree/{net.anna.pk}/"' in page
    assert "3 below" in page and "1 below" in page


def test_children_of_my_own_members_only(net, portal, django_assert_max_num_queries):
    client = portal("anna")
    with django_assert_max_num_queries(8):
        response = client.get(f"/portal/team/tree/{net.anton.pk}/")
    assert response.status_code == 200
    assert "Arie Akker" in html(response) and "Aafke" not in html(response)
    # A leaf: no node to open.
    leaf = html(client.get(f"/portal/team/tree/{net.arie.pk}/"))
    assert "Aafke Akker" in leaf and "nobody below" in leaf and "<details" not in leaf
    for other in (net.bert, net.bob, net.root, net.ursula):  # another leg, my upline, another tree
        assert client.get(f"/portal/team/tree/{other.pk}/").status_code == 404
    assert client.get("/portal/team/tree/999999/").status_code == 404


def test_children_come_in_keyset_pages(net, portal, monkeypatch):
    monkeypatch.setattr("portal.views.team.PAGE_SIZE", 1)
    client = portal("root")
    first = html(client.get(f"/portal/team/tree/{net.root.pk}/"))
    assert "Anna Vries" in first and "Bert Bakker" not in first
    second = html(client.get(f"/portal/team/tree/{net.root.pk}/", {"cursor": encode_cursor([net.anna.lft])}))
    assert "Bert Bakker" in second and "Anna Vries" not in second
    assert client.get(f"/portal/team/tree/{net.root.pk}/", {"cursor": "forged"}).status_code == 400


# --- The list


def names(response) -> list[str]:
    return [item.member.first_name for item in response.context["page"].members]


def test_list_in_tree_order_with_api_fields_no_contact_data(net, portal, django_assert_max_num_queries):
    client = portal("root")
    with django_assert_max_num_queries(10):
        response = client.get("/portal/team/members/")
    assert response.status_code == 200
    assert names(response) == ["Anna", "Anton", "Arie", "Aafke", "Bert", "Bob"]
    page = html(response)
    assert net.aafke.external_id in page
    assert "@example.nl" not in page and net.aafke.phone not in page


def test_search_matches_name_external_id_and_referral_code_never_e_mail(net, portal):
    client = portal("root")
    for query in ("aafke akker", net.aafke.external_id, net.aafke.referral_code.lower()):
        assert names(client.get("/portal/team/members/", {"q": query})) == ["Aafke"], query
    for query in ("aafke@example.nl", "example.nl", f"{net.aafke.external_id} aafke@example.nl"):
        assert names(client.get("/portal/team/members/", {"q": query})) == [], query


def test_filters_rank_and_new_this_month(net, portal):
    Distributor.objects.filter(pk=net.arie.pk).update(rank=2)
    Distributor.objects.exclude(pk__in=[net.bob.pk, net.aafke.pk]).update(
        enrolled_at=timezone.now() - dt.timedelta(days=70)
    )
    client = portal("root")
    assert names(client.get("/portal/team/members/", {"rank": "2"})) == ["Arie"]
    assert names(client.get("/portal/team/members/", {"new": "on"})) == ["Aafke", "Bob"]
    assert names(client.get("/portal/team/members/", {"new": "on", "q": "bob"})) == ["Bob"]
    bad = client.get("/portal/team/members/", {"rank": "99"})
    assert bad.status_code == 200 and bad.context["form"].errors["rank"] and bad.context["page"] is None


def test_active_filter_and_figures_come_from_the_newest_preview(net, portal):
    run = close(period_label(period_of(timezone.now())), preview=True)
    assert run.status == "succeeded"
    client = portal("root")
    response = client.get("/portal/team/members/")
    figures = {item.member.first_name: item.figures for item in response.context["page"].members}
    assert figures["Anna"] is not None and figures["Anna"].gv >= figures["Anna"].pv
    active = names(client.get("/portal/team/members/", {"active": "yes"}))
    inactive = names(client.get("/portal/team/members/", {"active": "no"}))
    assert sorted(active + inactive) == sorted(figures)
    assert set(active) == {name for name, row in figures.items() if row.active}


def test_list_pages_are_keyset_pages_that_keep_the_filters(net, portal, monkeypatch):
    monkeypatch.setattr("portal.views.team.PAGE_SIZE", 2)
    client = portal("root")
    first = client.get("/portal/team/members/", {"q": "akker"})  # Akker and Bakker
    assert names(first) == ["Anton", "Arie"]
    second = client.get("/portal/team/members/?" + first.context["next_query"])
    assert names(second) == ["Aafke", "Bert"] and "q=akker" in second.context["next_query"]
    third = client.get("/portal/team/members/?" + second.context["next_query"])
    assert names(third) == ["Bob"] and third.context["next_query"] is None


def test_an_htmx_filter_answers_with_the_results_only(net, portal):
    response = portal("root").get("/portal/team/members/", {"q": "bob"}, HTTP_HX_REQUEST="true")
    page = html(response)
    assert "Bob Bakker" in page and "<html" not in page


# --- One member


def test_member_page_within_my_downline_only(net, portal, django_assert_max_num_queries):
    client = portal("anna")
    with django_assert_max_num_queries(10):
        response = client.get(f"/portal/team/members/{net.anton.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert "Anton Akker" in page and net.anton.referral_code in page and "Arie Akker" in page
    assert net.anton.email not in page and net.anton.phone not in page
    for other in (net.anna, net.root, net.bert, net.bob, net.ursula):
        assert client.get(f"/portal/team/members/{other.pk}/").status_code == 404


# --- Enrolling


ENROLMENT = {
    "first_name": "Roos",
    "last_name": "Rekruut",
    "email": "roos@example.nl",
    "phone": "+31 6 5555 0000",
    "country": "NL",
}


def test_enrol_happy_path_sends_the_invitation(net, portal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = portal("anna").post("/portal/team/enroll/", ENROLMENT)
    recruit = Distributor.objects.get(email="roos@example.nl")
    assert response.status_code == 302 and response["Location"] == f"/portal/team/members/{recruit.pk}/"
    assert recruit.sponsor_id == net.anna.pk and recruit.user is not None
    assert not recruit.user.has_usable_password()
    assert [message.to for message in mail.outbox] == [["roos@example.nl"]]


def test_enrol_refusal_is_a_field_error_and_keeps_what_was_typed(net, portal):
    before = Distributor.objects.count()
    response = portal("anna").post("/portal/team/enroll/", {**ENROLMENT, "email": net.bob.email})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [uniform_message()]
    page = html(response)
    assert 'value="Roos"' in page and 'value="+31 6 5555 0000"' in page and net.bob.email in page
    assert Distributor.objects.count() == before and mail.outbox == []


def test_enrol_bad_input_is_a_form_error_and_writes_nothing(net, portal):
    before = Distributor.objects.count()
    response = portal("anna").post("/portal/team/enroll/", {**ENROLMENT, "email": "nope", "country": "N"})
    assert set(response.context["form"].errors) == {"email", "country"}
    assert Distributor.objects.count() == before


def test_enrol_shares_the_apis_e_mail_check_limit(net, portal, api, monkeypatch):
    monkeypatch.setattr(EmailCheckThrottle, "THROTTLE_RATES", {"email_check": "2/hour"})
    # One allowance for the API and the portal: an enrolment through the API, one here...
    api("anna").post("/api/v1/enrollments/", {**ENROLMENT, "email": "eerst@example.nl"}, format="json")
    client = portal("anna")
    client.post("/portal/team/enroll/", {**ENROLMENT, "email": "bad"})
    # ...and the third attempt is refused with a word on the form, what was typed kept.
    response = client.post("/portal/team/enroll/", ENROLMENT)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert 'value="Roos"' in html(response)
    assert not Distributor.objects.filter(email="roos@example.nl").exists()


# --- The public referral page


SIGN_UP = {"first_name": "Vera", "last_name": "Visser", "email": "vera@example.nl", "consent": "on"}


def test_join_makes_the_visitor_the_distributors_customer(net):
    url = f"/join/{net.anna.referral_code.lower()}/"
    response = Client().post(url, SIGN_UP)
    assert response.status_code == 302 and response["Location"] == f"/join/{net.anna.referral_code}/thanks/"
    vera = Customer.objects.get(email="vera@example.nl")
    assert vera.distributor_id == net.anna.pk
    # The consent counts once confirmed from the address (double opt-in, tests/portal/test_join.py);
    # until then the words the visitor agreed to wait beside the moment they asked.
    assert vera.contact_consent_at is None and vera.contact_consent_requested_at is not None
    assert vera.contact_consent_requested_text == (
        "I agree that this distributor contacts me about their products and offers."
    )
    assert Client().get(response["Location"]).status_code == 200


def test_join_records_the_consent_in_the_words_the_visitor_read(net):
    Client().post(f"/join/{net.anna.referral_code}/", SIGN_UP, HTTP_ACCEPT_LANGUAGE="nl")
    vera = Customer.objects.get(email="vera@example.nl")
    assert vera.contact_consent_requested_text.startswith("Ik ga ermee akkoord")


def test_join_never_tells_whether_an_address_is_known(net):
    taken = [net.bob.email, net.owned["bert"].host.email, net.anna.email]
    for email in taken:
        response = Client().post(f"/join/{net.anna.referral_code}/", {**SIGN_UP, "email": email})
        assert response.status_code == 302 and response["Location"].endswith("/thanks/"), email
    assert not Customer.objects.filter(distributor=net.anna, email__in=taken).exists()


def test_join_needs_consent_a_valid_code_and_a_csrf_token(net):
    response = Client().post(f"/join/{net.anna.referral_code}/", {**SIGN_UP, "consent": ""})
    assert response.status_code == 200 and response.context["form"].errors["consent"]
    assert 'value="vera@example.nl"' in html(response)
    assert not Customer.objects.filter(email="vera@example.nl").exists()
    assert Client().get("/join/NOSUCHCODE/").status_code == 404
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/join/{net.anna.referral_code}/", SIGN_UP).status_code == 403


def test_join_is_throttled_per_visitor(net):
    client = Client()
    for number in range(10):
        client.post(f"/join/{net.anna.referral_code}/", {**SIGN_UP, "email": f"v{number}@example.nl"})
    response = client.post(f"/join/{net.anna.referral_code}/", SIGN_UP)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not Customer.objects.filter(email="vera@example.nl").exists()


def test_join_throttle_ignores_x_forwarded_for(net):
    """The visitor writes X-Forwarded-For: a new one per sign-up must not bring a new allowance."""
    client = Client()
    for number in range(10):
        client.post(
            f"/join/{net.anna.referral_code}/",
            {**SIGN_UP, "email": f"x{number}@example.nl"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{number}",
        )
    response = client.post(f"/join/{net.anna.referral_code}/", SIGN_UP, HTTP_X_FORWARDED_FOR="10.0.1.1")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not Customer.objects.filter(email="vera@example.nl").exists()


def test_the_referral_link_is_on_the_public_address_whatever_the_host(net, portal, settings):
    settings.PUBLIC_URL = "https://shop.example.com/"
    settings.ALLOWED_HOSTS = ["*"]
    page = html(portal("anna").get("/portal/team/", HTTP_HOST="evil.example"))
    assert f"https://shop.example.com/join/{net.anna.referral_code}/" in page
    assert "evil.example" not in page


def test_legs_read_only_the_shown_rows_and_count_all(net):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from commissions.selectors.team import team_legs

    with CaptureQueriesContext(connection) as queries:
        shown, count = team_legs(net.root, run=None, limit=1)
    assert [member.member.pk for member in shown] == [net.anna.pk]  # the biggest leg
    assert shown[0].member.downline_size == 3
    assert count == 2
    legs_query = next(q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"])
    assert "LIMIT 1" in legs_query
    # All shown: no count query needed.
    shown, count = team_legs(net.root, run=None, limit=100)
    assert ([member.member.pk for member in shown], count) == ([net.anna.pk, net.bert.pk], 2)


def test_the_member_filter_drops_no_newer_filter_and_cannot_be_resent_while_loading(net, portal):
    page = html(portal("anna").get("/portal/team/members/"))
    assert 'hx-sync="this:replace"' in page and 'hx-disabled-elt="find button[type=submit]"' in page
