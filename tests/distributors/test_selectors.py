import pytest

from distributors.models import Distributor
from distributors.selectors import (
    AmbiguousReference,
    distributor_by_reference,
    downline_count,
    downline_counts_by_level,
    downline_page,
    is_in_downline,
    legs,
    upline,
)

from .factories import DistributorFactory


def names(items):
    return [d.first_name for d in items]


def test_upline_from_root_to_sponsor(network, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert names(upline(network["cor"])) == ["Root", "Anna", "Bram"]
    assert upline(network["root"]) == []


def test_downline_counts(network):
    assert downline_count(network["root"]) == 6
    assert downline_count(network["anna"]) == 3
    assert downline_count(network["cor"]) == 0
    assert downline_counts_by_level(network["root"]) == {1: 2, 2: 3, 3: 1}
    assert downline_counts_by_level(network["anna"]) == {1: 2, 2: 1}


def test_counts_use_fresh_numbers_not_the_instance(network):
    stale_root = network["root"]
    DistributorFactory(sponsor=network["cor"])
    assert downline_count(stale_root) == 7
    assert downline_counts_by_level(stale_root) == {1: 2, 2: 3, 3: 1, 4: 1}


def test_legs_biggest_first(network, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = legs(network["root"])
    assert [(leg.distributor.first_name, leg.downline_count, leg.size) for leg in result] == [
        ("Anna", 3, 4),
        ("Eva", 1, 2),
    ]


def test_is_in_downline(network):
    assert is_in_downline(network["anna"], network["cor"])
    assert not is_in_downline(network["anna"], network["fenna"])
    assert not is_in_downline(network["anna"], network["anna"])
    assert not is_in_downline(network["cor"], network["anna"])


def test_downline_page_in_tree_order_with_depth(network, django_assert_num_queries):
    with django_assert_num_queries(2):
        page = downline_page(network["root"], limit=4)
    assert page.total == 6
    assert [(d.first_name, d.depth) for d in page.items] == [
        ("Anna", 1),
        ("Bram", 2),
        ("Cor", 3),
        ("Dirk", 2),
    ]


def test_downline_pages_by_key_not_offset(network, django_assert_num_queries):
    first = downline_page(network["root"], limit=4)
    with django_assert_num_queries(2):
        second = downline_page(network["root"], after_lft=first.items[-1].lft, limit=4)
    assert names(second.items) == ["Eva", "Fenna"]
    assert second.total == 6
    # A member added before the cursor meanwhile does not shift the next page (OFFSET would).
    DistributorFactory(sponsor=network["anna"], first_name="Anouk")
    again = downline_page(network["root"], after_lft=first.items[-1].lft, limit=4)
    assert names(again.items) == ["Anouk", "Eva", "Fenna"]


def test_downline_search_never_matches_e_mail(network):
    """An e-mail address is not shown to the upline, so a search may not match it: with words
    ANDed, `<external id> <guessed address>` told whether the guess was right."""
    dirk = network["dirk"]
    assert downline_page(network["root"], search=dirk.email).items == []
    assert downline_page(network["root"], search=f"{dirk.external_id} {dirk.email}").items == []
    assert downline_page(network["root"], search=f"{dirk.external_id} example").items == []
    assert names(downline_page(network["root"], search=dirk.external_id).items) == ["Dirk"]


def test_downline_page_depth_limit_and_search(network):
    assert names(downline_page(network["root"], max_depth=1).items) == ["Anna", "Eva"]
    assert names(downline_page(network["root"], search="visser").items) == ["Dirk"]
    assert names(downline_page(network["root"], search="de vries").items) == ["Anna"]
    code = network["fenna"].referral_code
    assert names(downline_page(network["root"], search=code.lower()).items) == ["Fenna"]
    assert downline_page(network["anna"], search="Fenna").items == []
    # A filtered downline is not counted (that would read every row of a big one on every page).
    assert downline_page(network["root"], search="visser").total is None


def test_a_search_takes_its_words_literally_and_a_partial_external_id_finds_nobody(network):
    # LIKE's wildcards are escaped: "%" and "_" are characters, not "anything".
    assert downline_page(network["root"], search="%").items == []
    assert downline_page(network["root"], search="_").items == []
    assert names(downline_page(network["root"], search="ViSsEr").items) == ["Dirk"]
    # An external id or a referral code matches whole: only names match in part.
    assert downline_page(network["root"], search=network["dirk"].external_id[:-1]).items == []


def test_a_reference_names_one_distributor_or_is_refused_naming_all(network):
    anna, cor = network["anna"], network["cor"]
    assert distributor_by_reference(f" {anna.external_id} ") == anna
    assert distributor_by_reference(str(anna.pk)) == anna
    assert distributor_by_reference(anna.referral_code.lower()) == anna
    assert distributor_by_reference("no-such-one") is None
    assert distributor_by_reference("") is None
    Distributor.objects.filter(pk=cor.pk).update(external_id=str(anna.pk))
    with pytest.raises(AmbiguousReference) as refused:
        distributor_by_reference(str(anna.pk))
    assert f"Anna de Vries (id {anna.pk}," in refused.value.message
    assert f"Cor Smit (id {cor.pk}, external id {anna.pk}," in refused.value.message
    assert distributor_by_reference(cor.referral_code) == cor
