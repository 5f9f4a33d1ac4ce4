"""What every app's part of a person's GDPR export is made of (the `privacy` app collects them).

A part is plain JSON (decimals as strings, times in ISO 8601) read with a fixed number of queries,
one per kind of record, whatever the history's size; it names the records about the person, whose
audit entries belong in the export too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.dispatch import Signal

# Sent INSIDE an erasure's transaction (distributors and customers), with `instance` (the record
# erased, not yet pseudonymised) and `emails` (the addresses the erased person had). A receiver in
# an app above (notifications keys its records by address) erases what it holds under them, in the
# same transaction: the erasure commits whole or not at all.
personal_data_erased = Signal()

# The first name every erasure writes (distributors and customers): "Erased #<id>".
ERASED_FIRST_NAME = "Erased"


@dataclass(frozen=True)
class PersonalDataPart:
    """One app's part of a person's export.

    `sections` are its keys of the export, in the order they appear there; `audit_targets` the
    records about the person (model -> ids) whose audit entries the export holds; `login_id` the
    person's login, whose own acts the export holds too.
    """

    sections: dict[str, Any]
    audit_targets: dict[type[models.Model], list[Any]] = field(default_factory=dict)
    login_id: int | None = None


def plain(value: Any) -> Any:
    """A value as JSON has it: decimals as strings (exact), dates and times in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def rows(queryset: models.QuerySet, *fields: str, **renamed: str) -> list[dict[str, Any]]:
    """One query: the rows' fields as plain JSON; `renamed` maps an output key to a lookup."""
    lookups = {**{f: f for f in fields}, **renamed}
    return [
        {key: plain(row[lookup]) for key, lookup in lookups.items()}
        for row in queryset.values(*lookups.values())
    ]


def grouped(items: Iterable[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    """Children by their parent's id, the parent id taken out of each child."""
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        out[item.pop(key)].append(item)
    return out
