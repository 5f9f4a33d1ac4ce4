"""Raw SQL binds timestamps as the ORM stores them (core.sql), on SQLite (the demo) too."""

import datetime as dt

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

import core.sql
from core.periods import period_bounds
from core.sql import sql_params

# 00:30 on 1 November in Amsterdam: an order paid then counts in November, not in October.
PAID = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
OCTOBER_END = period_bounds(dt.date(2026, 10, 1))[1]  # 2026-11-01 00:00 Europe/Amsterdam


def test_on_sqlite_a_timestamp_after_the_period_end_is_after_it_in_raw_sql(monkeypatch, django_db_blocker):
    sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})[
        "default"
    ]
    monkeypatch.setattr(core.sql, "connection", sqlite)
    try:
        with django_db_blocker.unblock(), sqlite.cursor() as cursor:  # a database of its own
            cursor.execute("CREATE TABLE paid (at datetime NOT NULL)")
            # As the ORM writes a DateTimeField: naive UTC text.
            cursor.execute("INSERT INTO paid VALUES (%s)", [sqlite.ops.adapt_datetimefield_value(PAID)])
            query = "SELECT COUNT(*) FROM paid WHERE at < %(end)s"
            cursor.execute(query, {"end": OCTOBER_END})
            assert cursor.fetchone() == (1,)  # the driver's own binding puts it in October
            cursor.execute(query, sql_params({"end": OCTOBER_END}))
            assert cursor.fetchone() == (0,)
            cursor.execute(query, sql_params({"end": OCTOBER_END + dt.timedelta(minutes=31)}))
            assert cursor.fetchone() == (1,)
    finally:
        sqlite.close()


@pytest.mark.django_db
def test_on_postgresql_the_parameters_pass_unchanged_and_compare_exactly():
    params = {"end": OCTOBER_END, "period": dt.date(2026, 10, 1), "n": 3}
    assert sql_params(params) == params
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %(paid)s::timestamptz < %(end)s", sql_params({"paid": PAID, "end": OCTOBER_END})
        )
        assert cursor.fetchone() == (False,)
