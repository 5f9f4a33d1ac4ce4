"""GET /api/v1/downline/: cursor pages in tree order, a search that reveals nothing hidden, and
ranks with their names (the network of tests/api/conftest.py: root has six below it)."""

from __future__ import annotations

import pytest

from core.api.pagination import encode_cursor
from distributors.models import Distributor

pytestmark = pytest.mark.django_db


def test_search_is_no_oracle_for_a_members_e_mail(net, api):
    """`?search=<external id> <guessed address>` answered 1 for the right guess and 0 for a wrong
    one: e-mail is not shown to the upline, so it is not searchable either."""
    root = api("root")
    right = root.get("/api/v1/downline/", {"search": f"{net.aafke.external_id} aafke@example.nl"}).json()
    wrong = root.get("/api/v1/downline/", {"search": f"{net.aafke.external_id} other@example.nl"}).json()
    assert right["results"] == wrong["results"] == []
    assert root.get("/api/v1/downline/", {"search": "aafke@example"}).json()["results"] == []
    assert root.get("/api/v1/downline/", {"search": "example.nl"}).json()["results"] == []
    # What the page shows stays searchable: names, external id, referral code.
    by_name = root.get("/api/v1/downline/", {"search": "aafke akker"}).json()["results"]
    by_code = root.get("/api/v1/downline/", {"search": net.aafke.referral_code.lower()}).json()["results"]
    by_id = root.get("/api/v1/downline/", {"search": net.aafke.external_id}).json()["results"]
    found = [[row["id"] for row in rows] for rows in (by_name, by_code, by_id)]
    assert found == [[net.aafke.pk]] * 3
    # Every field searched is one the item shows (the referral code too).
    assert by_code[0]["referral_code"] == net.aafke.referral_code


def test_cursor_pages_walk_the_whole_downline_in_tree_order(net, api):
    root = api("root")
    first = root.get("/api/v1/downline/?page_size=4").json()
    assert set(first) == {"count", "page_size", "next", "results"}
    assert (first["count"], first["page_size"]) == (6, 4)
    assert [row["first_name"] for row in first["results"]] == ["Anna", "Anton", "Arie", "Aafke"]
    second = root.get(first["next"]).json()
    assert [row["first_name"] for row in second["results"]] == ["Bert", "Bob"]
    assert (second["count"], second["next"]) == (6, None)


def test_filtered_pages_keep_their_filters_and_are_not_counted(net, api):
    first = api("root").get("/api/v1/downline/?max_depth=2&page_size=1").json()
    assert first["count"] is None
    names = [row["first_name"] for row in first["results"]]
    url = first["next"]
    while url:
        page = api("root").get(url).json()
        names += [row["first_name"] for row in page["results"]]
        url = page["next"]
    assert names == ["Anna", "Anton", "Bert", "Bob"]


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        encode_cursor([1])[:-2] + "xx",  # tampered signature
        encode_cursor(["personal"]),  # a statement lines cursor: another key type
        encode_cursor([1, 2]),  # another key length
        encode_cursor([True]),
    ],
)
def test_a_malformed_cursor_is_a_400_on_cursor(net, api, cursor):
    response = api("root").get("/api/v1/downline/", {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["cursor"]


def test_page_numbers_and_bad_sizes_are_refused(net, api):
    assert api("root").get("/api/v1/downline/?page=2").status_code == 400
    assert api("root").get("/api/v1/downline/?page_size=0").status_code == 400
    assert api("root").get("/api/v1/downline/?page_size=10000").json()["page_size"] == 100


def test_a_deep_page_costs_what_the_first_does(net, api, django_assert_max_num_queries):
    last_but_one = Distributor.objects.get(pk=net.bert.pk).lft
    client = api("root")
    with django_assert_max_num_queries(5):
        page = client.get("/api/v1/downline/", {"cursor": encode_cursor([last_but_one])}).json()
    assert [row["first_name"] for row in page["results"]] == ["Bob"]


def test_ranks_and_titles_carry_their_names(net, api):
    Distributor.objects.filter(pk=net.anton.pk).update(rank=2, title=3)
    row = api("anna").get("/api/v1/downline/").json()["results"][0]
    assert (row["first_name"], row["rank"], row["title"]) == (
        "Anton",
        {"number": 2, "name": "Senior Consultant"},
        {"number": 3, "name": "Team Leader"},
    )
    member = api("anna").get(f"/api/v1/downline/{net.arie.pk}/").json()
    assert (member["rank"], member["title"]) == ({"number": 0, "name": None}, {"number": 0, "name": None})
    me = api("anton").get("/api/v1/me/").json()
    assert (me["rank"]["name"], me["title"]["name"]) == ("Senior Consultant", "Team Leader")
