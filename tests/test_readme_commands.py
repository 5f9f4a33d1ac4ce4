"""The README's two commands: `make demo` (SQLite, no broker) and `make test`.

`make demo` ends in a server that never returns, so CI runs everything before it: the same
migrate and seed_demo on a fresh SQLite file, in a child process with the demo's environment.
"""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_names_the_two_commands_and_the_makefile_defines_them():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "make demo" in readme and "make test" in readme
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "runserver 127.0.0.1:8000" in makefile


@pytest.mark.slow
def test_the_demo_migrates_and_seeds_a_fresh_sqlite_database_and_prints_the_logins(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "DEBUG": "1",
        # The demo's settings, not the test run's (pytest-django exports DJANGO_SETTINGS_MODULE).
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        # No broker is configured: nothing may try to reach one (kombu's "No hostname was supplied").
        assert "hostname" not in result.stderr, result.stderr
        return result.stdout

    manage("migrate", "--noinput")
    output = manage("seed_demo", "--if-empty", "--size", "300", "--months", "2")
    assert "admin login:        admin / admin" in output
    assert "distributor login:" in output
    assert "Seeded 300 distributors." in output
    # The month before this one is closed after a preview and an adjustment, and its payouts are
    # batched (open: the bank has not paid it yet).
    closed = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    label = f"{closed:%Y-%m}"
    assert f"Previewed {label}:" in output and f"Closed {label}:" in output
    assert re.search(rf"^Payout batch PAY-{label}-001: \d+ payouts, [\d.]+ \(To pay\)\.$", output, re.M), (
        output
    )
    # A second `make demo` finds the data and only prints the logins again.
    again = manage("seed_demo", "--if-empty")
    assert "not seeding again" in again and "admin login" in again
    assert "300 distributor(s) in 1 tree(s): OK" in manage("check_tree")

    # The README's commands on the demo's SQLite: the income disclosure statement of the closed
    # month's year, and the comparison of that month's preview (run 1) with its final close (run 2).
    disclosure = tmp_path / "disclosure.csv"
    manage("income_disclosure", str(closed.year), "--csv", str(disclosure))
    rows = disclosure.read_text().splitlines()
    assert rows[0] == (
        "year,rank,rank_name,participants,share_of_participants,paid_anything,median_gross,"
        "mean_gross,lowest_gross,highest_gross,total_gross"
    )
    assert rows[1].startswith(f"{closed.year},all,All participants,")
    diff = tmp_path / "diff.csv"
    compared = manage("compare_runs", "1", "2", "--limit", "5", "--csv", str(diff))
    assert "changed 1: gainers 1, losers 0" in compared
    assert "adjustments 0.00 → 50.00 (+50.00)" in compared
    assert diff.read_text().splitlines()[1].startswith("D100000,")
