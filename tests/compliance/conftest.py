"""Fixtures of the compliance tests; the buy-back admin is registered here until orders/admin.py
imports it (an import is a no-op the second time)."""

from __future__ import annotations

import datetime as dt

import pytest

import orders.admin_buyback  # noqa: F401
from tests.compliance.factories import make_distributor, make_line, make_result, make_run


@pytest.fixture
def population(db):
    utc = dt.UTC
    people = {name: make_distributor(name) for name in ("Anna", "Bert", "Cor", "Fenna", "Gijs")}
    people["Dirk"] = make_distributor("Dirk", enrolled_at=dt.datetime(2025, 6, 1, 10, tzinfo=utc))
    people["Eva"] = make_distributor("Eva", terminated_at=dt.datetime(2025, 5, 15, tzinfo=utc))
    make_distributor("Henk", terminated_at=dt.datetime(2024, 12, 1, tzinfo=utc))
    make_distributor("Ilse", enrolled_at=dt.datetime(2026, 1, 5, tzinfo=utc))
    p = people
    jan, feb, mar, apr = (make_run(dt.date(2025, m, 1)) for m in (1, 2, 3, 4))
    make_result(jan, p["Anna"], rank=2)
    make_result(feb, p["Anna"], rank=3)
    make_result(jan, p["Bert"], rank=1)
    make_result(mar, p["Cor"], rank=2)
    make_result(jan, p["Eva"], rank=1)
    make_result(jan, p["Gijs"], rank=3)
    make_line(jan, p["Anna"], "personal", "100.00")
    make_line(feb, p["Anna"], "override", "50.00", source=p["Cor"])
    make_line(mar, p["Cor"], "override", "40.00", source=p["Bert"])
    make_line(apr, p["Cor"], "clawback", "-10.00", source=p["Bert"])
    make_line(jan, p["Eva"], "personal", "20.00")
    make_line(jan, p["Fenna"], "clawback", "-5.00")
    make_line(jan, p["Gijs"], "personal", "600.00")
    make_line(apr, p["Gijs"], "override", "400.00", source=p["Anna"])
    # Neither a preview nor another year's close counts.
    preview = make_run(dt.date(2025, 5, 1), kind="preview")
    make_line(preview, p["Bert"], "personal", "999.00")
    make_result(preview, p["Bert"], rank=6)
    december = make_run(dt.date(2024, 12, 1))
    make_line(december, p["Anna"], "personal", "77.00")
    return people
