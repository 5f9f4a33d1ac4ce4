from distributors.selectors import (
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
        page = downline_page(network["root"], page_size=4)
    assert page.total == 6
    assert page.num_pages == 2
    assert page.has_next
    assert [(d.first_name, d.depth) for d in page.items] == [
        ("Anna", 1),
        ("Bram", 2),
        ("Cor", 3),
        ("Dirk", 2),
    ]
    second = downline_page(network["root"], page=2, page_size=4)
    assert names(second.items) == ["Eva", "Fenna"]
    assert not second.has_next


def test_downline_page_depth_limit_and_search(network):
    assert names(downline_page(network["root"], max_depth=1).items) == ["Anna", "Eva"]
    assert names(downline_page(network["root"], search="visser").items) == ["Dirk"]
    assert names(downline_page(network["root"], search="de vries").items) == ["Anna"]
    code = network["fenna"].referral_code
    assert names(downline_page(network["root"], search=code.lower()).items) == ["Fenna"]
    assert downline_page(network["anna"], search="Fenna").total == 0
