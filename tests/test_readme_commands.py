"""The README's two commands: `make demo` (SQLite, no broker) and `make test`.

`make demo` ends in a server that never returns, so CI runs everything before it: the same
migrate and seed_demo on a fresh SQLite file, in a child process with the demo's environment.
"""

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
        return result.stdout

    manage("migrate", "--noinput")
    output = manage("seed_demo", "--if-empty", "--size", "300", "--months", "2")
    assert "admin login:        admin / admin" in output
    assert "distributor login:" in output
    assert "Seeded 300 distributors." in output
    # A second `make demo` finds the data and only prints the logins again.
    again = manage("seed_demo", "--if-empty")
    assert "not seeding again" in again and "admin login" in again
    assert "300 distributor(s) in 1 tree(s): OK" in manage("check_tree")
