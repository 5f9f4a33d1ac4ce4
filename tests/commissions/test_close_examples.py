"""S1 and S4 end to end: import the example files, close, export, compare with the expected CSVs."""

import io

import pytest
from django.core.management import CommandError, call_command

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


def test_a_preview_exports_the_same_statements_and_leaves_the_period_open():
    call_command("import_network", str(EXAMPLES / "s1"))
    default_plan()
    run = close("2026-10", preview=True)
    assert (run.kind, run.status, run.period.status) == ("preview", "succeeded", "open")
    assert_export_matches(export("2026-10", preview=True), expected("s1", "2026-10"))
    with pytest.raises(CommandError, match="2026-10 has no final close yet"):
        export("2026-10")


def test_the_export_writes_the_interface_columns_to_a_file(tmp_path):
    call_command("import_network", str(EXAMPLES / "s4"))
    default_plan()
    close("2026-10")
    target = tmp_path / "statements.csv"
    call_command("export_statements", "2026-10", str(target), stdout=io.StringIO())
    lines = target.read_text().splitlines()
    assert lines[0] == (
        "distributor_id,period,pv,gv,paid_as_rank,title,active,override_eligible,personal_commission,"
        "override_commission,clawbacks,adjustments,carried_in,net,payout,carried_out"
    )
    assert lines[1] == "P,2026-10,400,612.5,2,2,true,true,100.00,10.63,0.00,0.00,0.00,110.63,110.63,0.00"
