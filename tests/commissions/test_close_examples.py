"""S1 and S4 end to end: import the example files, close, export, compare with the expected CSVs."""

import pytest
from django.core.management import call_command

from .closing import EXAMPLES, close, default_plan, expected, export

pytestmark = pytest.mark.django_db


def assert_export_matches(actual: list[dict[str, str]], wanted: list[dict[str, str]]) -> None:
    assert [row["distributor_id"] for row in actual] == [row["distributor_id"] for row in wanted]
    for got, want in zip(actual, wanted, strict=True):
        for column, value in want.items():
            assert got[column] == value, f"{want['distributor_id']} {column}: {got[column]} != {value}"


def test_s1_ranks_leg_cap_compression_and_overrides_match_the_expected_statements():
    call_command("import_network", str(EXAMPLES / "s1"))
    default_plan()
    run = close("2026-10")
    assert run.status == "succeeded", run.error
    assert_export_matches(export("2026-10"), expected("s1", "2026-10"))


def test_s4_october_overrides_and_november_clawbacks_match_the_expected_statements():
    call_command("import_network", str(EXAMPLES / "s4"))
    default_plan()
    assert close("2026-10").status == "succeeded"
    assert_export_matches(export("2026-10"), expected("s4", "2026-10"))
    november = close("2026-11")
    assert november.status == "succeeded", november.error
    assert_export_matches(export("2026-11"), expected("s4", "2026-11"))
