"""Input serializers are strict: a field the client may not set is a 400, never silently ignored.

So `{"sponsor": 1}`, `{"rank": 9}` or `{"amount": "1000"}` in a request body fails loudly with
"unknown field" instead of looking accepted (mass assignment), and the schema says so
(`additionalProperties: false` on every strict input). A JSON body's scalars are strict too:
`0` is not a string nor a boolean and `"2"` is not an integer, as the schema's types say. Query
parameters are text by nature: their serializers derive from QueryInputSerializer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import ApplicationError, NotFound
from core.periods import parse_period, period_label

# What DRF's CharField takes: no NUL character; not blank also means not only whitespace.
TEXT_PATTERN = r"^[^\x00]*$"
NOT_BLANK_TEXT_PATTERN = r"^[^\x00]*[^\x00\s][^\x00]*$"

UNKNOWN_FIELD = gettext_lazy("Unknown field: it cannot be set through this endpoint.")
NOT_A_STRING = gettext_lazy("Send a string.")
NOT_A_BOOLEAN = gettext_lazy("Send true or false.")
NOT_AN_INTEGER = gettext_lazy("Send a whole number, not a string.")
NOT_A_NUMBER = gettext_lazy("Send a number.")


TEXT_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateTimeField,
    serializers.DateField,
)


def _json_type_error(field: serializers.Field, value: Any) -> Any:
    """The message when `value` is not of the JSON type the schema gives `field`, else None."""
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else NOT_A_BOOLEAN
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else NOT_AN_INTEGER
    if isinstance(field, serializers.FloatField):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else NOT_A_NUMBER
    if isinstance(field, TEXT_FIELDS) and not isinstance(field, serializers.MultipleChoiceField):
        return None if isinstance(value, str) else NOT_A_STRING
    return None


class StrictInputSerializer(serializers.Serializer):
    # A request body: unknown fields and scalars of the wrong JSON type are refused. (No docstring:
    # drf-spectacular would give it as the description of every input.)

    # JSON bodies carry typed scalars; query strings carry text (QueryInputSerializer).
    strict_types = True

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(name) for name in data if name not in writable and name not in self.ignored)
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
            if self.strict_types:
                wrong = {
                    name: [message]
                    for name, field in self.fields.items()
                    if name in data and (message := _json_type_error(field, data[name])) is not None
                }
                if wrong:
                    raise serializers.ValidationError(wrong)
            data = {name: value for name, value in data.items() if name not in self.ignored}
        return super().to_internal_value(data)

    @property
    def ignored(self) -> frozenset[str]:
        return frozenset()


class QueryInputSerializer(StrictInputSerializer):
    # Query parameters: unknown ones are refused, values are text. The page parameters
    # (core.api.pagination) are let through: the pagination validates them. Give it to
    # `extend_schema(parameters=[...])` so that the schema says exactly what it accepts.

    strict_types = False

    @property
    def ignored(self) -> frozenset[str]:
        from core.api.pagination import PAGE_PARAMETERS

        return frozenset(parameter.name for parameter in PAGE_PARAMETERS)


class TextInputExtension(OpenApiSerializerFieldExtension):
    """Every text input in the schema says what DRF refuses: a NUL character anywhere, and, where
    it may not be blank, nothing but whitespace (DRF trims it first)."""

    target_class = "rest_framework.serializers.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and schema.get("type") == "string" and "pattern" not in schema:
            if self.target.allow_blank:
                schema["pattern"] = TEXT_PATTERN
            elif self.target.trim_whitespace:
                schema["pattern"] = NOT_BLANK_TEXT_PATTERN
            else:
                schema["pattern"] = TEXT_PATTERN
        return schema


class StrictInputSerializerExtension(OpenApiSerializerExtension):
    """Every strict input in the schema: `additionalProperties: false`, and a list that may not be
    empty has `minItems: 1` (drf-spectacular writes neither)."""

    target_class = "core.api.serializers.StrictInputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        for name, field in self.target.fields.items():
            if isinstance(field, serializers.ListSerializer) and name in schema.get("properties", {}):
                prop = schema["properties"][name]
                if not field.allow_empty:
                    prop["minItems"] = max(1, prop.get("minItems", 0))
                # DRF's ListSerializer has max_length; its stub does not declare it.
                max_items: int | None = field.max_length  # type: ignore[attr-defined]
                if max_items is not None:
                    prop["maxItems"] = max_items
        return schema


# The largest id a bigint primary key holds: a larger one in input is a 400, never a database error.
MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    """The id of an object the client names (1 to MAX_ID)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


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
    """`{"number", "name"}` of a rank, with `names` of the plan that decided it: a run's
    (`commissions.selectors.ranks.rank_names(run.plan)`) or, for the live rank, `live_rank_names()`."""
    return {"number": number, "name": names.get(number) if number else None}


# A period the API takes: YYYY-MM in the years 2000-2099 (a sensible window, and the schema's).
PERIOD_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"


@extend_schema_field({"type": "string", "pattern": PERIOD_PATTERN, "example": "2026-10"})
class PeriodField(serializers.Field):
    """A commission period written YYYY-MM (e.g. 2026-10), as the first day of that month."""

    default_error_messages = {
        "invalid": gettext_lazy("Write the period as YYYY-MM, e.g. 2026-10 (years 2000-2099).")
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(PERIOD_PATTERN, data):
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
