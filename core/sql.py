"""Raw SQL that binds and reads values as the ORM does, on PostgreSQL and on SQLite (the demo).

The ORM adapts what it sends and converts what it reads; a cursor does neither. psycopg needs
nothing: it sends and returns aware datetimes, Decimals and booleans. SQLite has no timestamp,
numeric or boolean type: the ORM stores a timestamp as naive UTC text ('2026-10-31 23:30:00'), but
the driver binds an aware parameter as local text with an offset ('2026-11-01 00:00:00+01:00'),
which SQLite compares as text, an hour or two off at every period boundary; and a raw row comes
back with naive datetimes, ints and floats for numbers, 0/1 for booleans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field
from django.db.models.expressions import Col


def sql_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` for cursor.execute, every datetime in the form the ORM stores it on this database."""
    adapt = connection.ops.adapt_datetimefield_value
    return {name: adapt(value) if isinstance(value, dt.datetime) else value for name, value in params.items()}


def row_converter(fields: Sequence[Field | None]) -> Callable[[Sequence[Any]], tuple]:
    """A function that turns a raw row into what the ORM reads from columns of `fields` (None: a
    column kept as read): on SQLite aware datetimes, Decimals to the field's scale and booleans;
    on PostgreSQL, where the driver does all of it, the row unchanged.

    A computed column (a SUM, a difference) takes the field whose type it has."""
    columns: list[tuple[Col | None, list[Any]]] = []
    for field in fields:
        if field is None:
            columns.append((None, []))
            continue
        column = field.get_col("raw")  # what the ORM's compiler converts a plain column as
        columns.append(
            (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        )
    if not any(converters for _column, converters in columns):
        return tuple

    def convert(row: Sequence[Any]) -> tuple:
        values = []
        for value, (column, converters) in zip(row, columns, strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        return tuple(values)

    return convert
