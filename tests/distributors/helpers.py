from distributors.selectors import tree_check


def assert_tree_ok():
    report = tree_check()
    assert report.problems == []
    assert report.ok
