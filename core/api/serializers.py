"""Input serializers are strict: a field the client may not set is a 400, never silently ignored.

So `{"sponsor": 1}`, `{"rank": 9}` or `{"amount": "1000"}` in a request body fails loudly with
"unknown field" instead of looking accepted (mass assignment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field: it cannot be set through this endpoint."


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
