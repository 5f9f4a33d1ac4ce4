"""Input serializers are strict: a field the client may not set is a 400, never silently ignored.

So `{"sponsor": 1}`, `{"rank": 9}` or `{"amount": "1000"}` in a request body fails loudly with
"unknown field" instead of looking accepted (mass assignment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import ApplicationError, NotFound
from core.periods import parse_period, period_label

UNKNOWN_FIELD = gettext_lazy("Unknown field: it cannot be set through this endpoint.")


class StrictInputSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(name) for name in data if name not in writable)
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)


class NamedContactSerializer(serializers.Serializer):
    """Another person's name and how to reach them (no address, no ids beyond what is shown)."""

    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField()


class RankSerializer(serializers.Serializer):
    """A rank or title as every response gives it: its number and its name in the plan.

    Build the data with `rank_data(number, names)`; 0 (no rank) has no name.
    """

    number = serializers.IntegerField(min_value=0, help_text="0 = no rank.")
    name = serializers.CharField(allow_null=True, help_text="The rank's name in the plan; null for 0.")


def rank_data(number: int, names: Mapping[int, str]) -> dict[str, Any]:
    """`{"number", "name"}` of a rank, with `names` from `commissions.selectors.rank_names()`."""
    return {"number": number, "name": names.get(number) if number else None}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-10"})
class PeriodField(serializers.Field):
    """A commission period written YYYY-MM (e.g. 2026-10), as the first day of that month."""

    default_error_messages = {
        "invalid": gettext_lazy("Write the period as YYYY-MM, e.g. 2026-10 (years 1-9998).")
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return parse_period(data)
        except (ApplicationError, ValueError):
            self.fail("invalid")

    def to_representation(self, value: Any) -> str:
        return period_label(value)


def period_or_404(text: str) -> Any:
    """The period named in a URL, or 404 (a path that names no period names nothing)."""
    try:
        return parse_period(text)
    except (ApplicationError, ValueError):
        raise NotFound(_("No such period; write it as YYYY-MM, e.g. 2026-10.")) from None
