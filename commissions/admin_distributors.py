"""The distributors' admin with the rank and title named by the plan: `2 · Senior Consultant`.

distributors/admin.py shows them as numbers, for the sponsor tree knows no plan. Above it, this
admin is that one with the numbers named in its columns, filters and change page (the names read
once per page: admin_ranks.RankNamesMixin), and nothing else changed; commissions/admin.py
registers it in place of the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from distributors.admin import DistributorAdmin
from distributors.models import Distributor

from .admin_ranks import RankNamesMixin, rank_column, rank_filter

NAMED_COLUMNS = {"rank": "rank_named", "title": "title_named"}
NAMED_FILTERS = {"rank": rank_filter("rank", _("rank")), "title": rank_filter("title", _("title"))}


def _named(fields: Sequence[Any]) -> list[Any]:
    """The fields with each rank number in its place replaced by the named column."""
    return [NAMED_COLUMNS.get(field, field) if isinstance(field, str) else field for field in fields]


class RankedDistributorAdmin(RankNamesMixin, DistributorAdmin):
    list_display = _named(DistributorAdmin.list_display)
    list_filter = [
        NAMED_FILTERS.get(field, field) if isinstance(field, str) else field
        for field in DistributorAdmin.list_filter
    ]
    readonly_fields = _named(DistributorAdmin.readonly_fields)

    rank_named = rank_column("rank", _("rank"))
    title_named = rank_column("title", _("title"))

    def get_fieldsets(self, request: HttpRequest, obj: Distributor | None = None) -> list[Any]:
        return [
            (title, {**options, "fields": _named(options["fields"])})
            for title, options in super().get_fieldsets(request, obj)
        ]
