import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from distributors.models import Distributor, DistributorStatus, SponsorChange

from .factories import DistributorFactory
from .helpers import assert_tree_ok

CHANGELIST = reverse("admin:distributors_distributor_changelist")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_changelist_queries_do_not_grow_with_rows(admin_client, network, django_assert_max_num_queries):
    admin_client.get(CHANGELIST)  # warm the session and content types
    with django_assert_max_num_queries(12) as small:
        assert admin_client.get(CHANGELIST).status_code == 200
    for _ in range(20):
        DistributorFactory(sponsor=network["eva"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert network["fenna"].email in response.content.decode()


def test_search_by_referral_code_and_id(admin_client, network):
    response = admin_client.get(CHANGELIST, {"q": network["fenna"].referral_code})
    assert list(response.context["cl"].result_list) == [network["fenna"]]
    response = admin_client.get(CHANGELIST, {"q": str(network["dirk"].pk)})
    assert network["dirk"] in list(response.context["cl"].result_list)
    response = admin_client.get(CHANGELIST, {"q": "visser"})
    assert list(response.context["cl"].result_list) == [network["dirk"]]


def test_change_page_renders_history(admin_client, network, staff):
    from distributors.services import distributor_move

    distributor_move(distributor=network["dirk"], new_sponsor=network["eva"], actor=staff, reason="Why not")
    url = reverse("admin:distributors_distributor_change", args=[network["dirk"].pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Why not" in response.content.decode()


def test_change_form_cannot_change_the_sponsor(admin_client, network):
    dirk = network["dirk"]
    url = reverse("admin:distributors_distributor_change", args=[dirk.pk])
    response = admin_client.post(
        url,
        {
            "first_name": "Dirk",
            "last_name": "Visser-Smit",
            "email": dirk.email,
            "phone": "",
            "country": "NL",
            "external_id": dirk.external_id,
            "user": "",
            "sponsor": network["fenna"].pk,
            "sponsor_changes-TOTAL_FORMS": "0",
            "sponsor_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    dirk = Distributor.objects.get(pk=dirk.pk)
    assert dirk.last_name == "Visser-Smit"
    assert dirk.sponsor_id == network["anna"].pk
    assert_tree_ok()


def test_add_enrolls_through_the_service(admin_client, network):
    url = reverse("admin:distributors_distributor_add")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "sponsor": network["cor"].pk,
            "first_name": "Jan",
            "last_name": "Peters",
            "email": "jan@example.nl",
            "country": "NL",
        },
    )
    assert response.status_code == 302
    jan = Distributor.objects.get(email="jan@example.nl")
    assert (jan.sponsor_id, jan.level, len(jan.referral_code)) == (network["cor"].pk, 4, 8)
    assert_tree_ok()


def test_add_reports_a_refusal(admin_client, network):
    response = admin_client.post(
        reverse("admin:distributors_distributor_add"),
        {
            "sponsor": network["cor"].pk,
            "first_name": "X",
            "last_name": "Y",
            "email": network["anna"].email,
            "country": "NL",
        },
        follow=True,
    )
    assert "Not enrolled. email: A distributor with this email address already exists." in (
        response.content.decode()
    )
    assert Distributor.objects.count() == 7


def test_move_action_asks_then_moves(admin_client, network):
    data = {"action": "move_action", ACTION_CHECKBOX_NAME: [network["bram"].pk, network["anna"].pk]}
    response = admin_client.post(CHANGELIST, data)
    assert response.status_code == 200
    assert "New sponsor" in response.content.decode()
    response = admin_client.post(
        CHANGELIST,
        {**data, "apply": "1", "new_sponsor": network["fenna"].referral_code, "reason": "Regrouping"},
        follow=True,
    )
    page = response.content.decode()
    assert "Move to another sponsor: 2 distributor(s) done." in page
    assert Distributor.objects.get(pk=network["bram"].pk).sponsor_id == network["fenna"].pk
    assert Distributor.objects.get(pk=network["anna"].pk).sponsor_id == network["fenna"].pk
    assert SponsorChange.objects.filter(reason="Regrouping").count() == 2
    assert_tree_ok()


def test_move_action_reports_a_refusal(admin_client, network):
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "move_action",
            ACTION_CHECKBOX_NAME: [network["anna"].pk],
            "apply": "1",
            "new_sponsor": str(network["cor"].pk),
            "reason": "Oops",
        },
        follow=True,
    )
    assert "own downline" in response.content.decode()
    assert Distributor.objects.get(pk=network["anna"].pk).sponsor_id == network["root"].pk


def test_terminate_action(admin_client, network):
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "terminate_action",
            ACTION_CHECKBOX_NAME: [network["anna"].pk],
            "apply": "1",
            "reason": "Inactive for a year",
        },
        follow=True,
    )
    assert "Terminate: 1 distributor(s) done." in response.content.decode()
    assert Distributor.objects.get(pk=network["anna"].pk).status == DistributorStatus.TERMINATED
    assert Distributor.objects.get(pk=network["bram"].pk).sponsor_id == network["root"].pk
    assert_tree_ok()
