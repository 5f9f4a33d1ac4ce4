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
    assert network["fenna"].external_id in response.content.decode()


def test_search_by_referral_code_and_id(admin_client, network):
    response = admin_client.get(CHANGELIST, {"q": network["fenna"].referral_code})
    assert list(response.context["cl"].result_list) == [network["fenna"]]
    response = admin_client.get(CHANGELIST, {"q": str(network["dirk"].pk)})
    assert network["dirk"] in list(response.context["cl"].result_list)
    response = admin_client.get(CHANGELIST, {"q": "visser"})
    assert list(response.context["cl"].result_list) == [network["dirk"]]


def test_change_page_renders_history(admin_client, network, staff):
    from distributors.services.moves import distributor_move

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


def test_move_action_refuses_an_ambiguous_sponsor_reference(admin_client, network):
    # Fenna's internal id is Cor's external id: the move names both (by id) and moves nobody.
    fenna, cor = network["fenna"], network["cor"]
    Distributor.objects.filter(pk=cor.pk).update(external_id=str(fenna.pk))
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "move_action",
            ACTION_CHECKBOX_NAME: [network["bram"].pk],
            "apply": "1",
            "new_sponsor": str(fenna.pk),
            "reason": "Regrouping",
        },
    )
    form = response.context["form"]
    assert form.errors["new_sponsor"] == [
        f"'{fenna.pk}' names more than one distributor: "
        f"{cor.name} (id {cor.pk}, external id {fenna.pk}, referral code {cor.referral_code}); "
        f"{fenna.name} (id {fenna.pk}, external id {fenna.external_id}, "
        f"referral code {fenna.referral_code}). "
        "Type the referral code of the one you mean."
    ]
    assert Distributor.objects.get(pk=network["bram"].pk).sponsor_id == network["bram"].sponsor_id
    assert not SponsorChange.objects.exists()


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


# --- what a clerk reads: ranks by name, their records one click away ---------------------------


def test_ranks_and_titles_are_named_on_the_list_the_filter_and_the_page(admin_client, network):
    anna = network["anna"]
    Distributor.objects.filter(pk=anna.pk).update(rank=2, title=3)

    listing = admin_client.get(CHANGELIST).content.decode()
    assert '<td class="field-rank_named">2 · Senior Consultant</td>' in listing
    assert '<td class="field-title_named">3 · Team Leader</td>' in listing
    assert "0 · No rank" in listing
    assert ">2 · Senior Consultant</a>" in listing  # the rank filter offers names

    filtered = admin_client.get(CHANGELIST, {"rank": "2"})
    assert [d.pk for d in filtered.context["cl"].result_list] == [anna.pk]

    page = admin_client.get(reverse("admin:distributors_distributor_change", args=[anna.pk])).content.decode()
    assert "2 · Senior Consultant" in page and "3 · Team Leader" in page


def test_the_distributor_page_links_to_their_records(admin_client, network):
    anna = network["anna"]
    page = admin_client.get(reverse("admin:distributors_distributor_change", args=[anna.pk])).content.decode()
    own = f"?distributor__id__exact={anna.pk}"
    links = [
        reverse("admin:orders_order_changelist") + own,
        reverse("admin:orders_customer_changelist") + own,
        reverse("admin:distributors_distributor_changelist") + f"?downline_of={anna.pk}",
        reverse("admin:commissions_statement_changelist") + own,
        reverse("admin:commissions_payout_changelist") + own,
        reverse("admin:orders_buybackrequest_changelist") + own,
        reverse("admin:commissions_ledgerline_changelist") + own,
        reverse("admin:distributors_sponsorchange_changelist") + own,
        reverse("admin:core_auditentry_changelist")
        + f"?target_type=distributors.distributor&amp;target_id={anna.pk}",
        reverse("admin:distributors_distributor_change", args=[network["root"].pk]),  # the sponsor
    ]
    for link in links:
        assert f'href="{link}"' in page, link
        assert admin_client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_the_downline_link_lists_exactly_the_subtree(admin_client, network):
    response = admin_client.get(CHANGELIST, {"downline_of": network["anna"].pk})
    shown = {d.first_name for d in response.context["cl"].result_list}
    assert shown == {"Bram", "Dirk", "Cor"}
    assert "Anna de Vries" in response.content.decode()  # the active filter names whose downline

    nobody = admin_client.get(CHANGELIST, {"downline_of": "999999"})
    assert nobody.status_code == 200 and list(nobody.context["cl"].result_list) == []
    assert list(admin_client.get(CHANGELIST, {"downline_of": "x"}).context["cl"].result_list) == []
