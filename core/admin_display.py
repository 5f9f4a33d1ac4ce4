"""Admin columns and read-only rows that show a field through the formatting filters.

    payout_shown = column(Statement, "payout", money)

in a ModelAdmin gives a `payout_shown` column (and read-only field) labelled with the field's
verbose name, sortable by the field, and formatted per language (core.templatetags.formatting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models


def column(
    model: type[models.Model] | None,
    field: str,
    formatter: Callable[[Any], str],
    *,
    description: Any = None,
    ordering: str | None = None,
) -> Callable[[Any, Any], str]:
    """A ModelAdmin method showing `obj.<field>` through `formatter` (money, points, percent...)."""

    def show(modeladmin: Any, obj: Any) -> str:
        return formatter(getattr(obj, field, None))

    show.short_description = (  # type: ignore[attr-defined]
        description if description is not None else model._meta.get_field(field).verbose_name  # type: ignore[union-attr]
    )
    show.admin_order_field = ordering or field  # type: ignore[attr-defined]
    show.__name__ = f"{field}_shown"
    return show
