"""Ranks and titles in the admin as a clerk reads them: `2 · Senior Consultant`, never a bare number.

The names come from the plan that decided the rank, read once per page: a row of a run (a result
row) takes its run's plan (`RankNamesMixin.rank_plan_id`), the live rank and title of a distributor
the plan of the last close (`commissions.selectors.ranks.live_rank_names`). A changelist hands them to
every row (`RankNamesMixin`), a change page keeps them on its object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from commissions.selectors.ranks import live_rank_names, rank_names_by_plan
from core.templatetags.formatting import rank


def hand_rank_names(modeladmin: Any, objects: Iterable[Any]) -> None:
    """Give each object the names of the plan that decided its ranks: one query for the live names,
    one for the plans of the page's runs."""
    objects = list(objects)
    plan_of = getattr(modeladmin, "rank_plan_id", None) or (lambda obj: None)
    plans = {obj.pk: plan_of(obj) for obj in objects}
    by_plan = rank_names_by_plan(plans.values())
    live = live_rank_names() if None in plans.values() else {}
    for obj in objects:
        plan_id = plans[obj.pk]
        obj.__dict__["_rank_names"] = live if plan_id is None else by_plan.get(plan_id, {})


def rank_names_of(obj: Any, modeladmin: Any = None) -> dict[int, str]:
    """The rank names of `obj`, looked up once per object (or once per changelist, see below)."""
    if "_rank_names" not in obj.__dict__:
        hand_rank_names(modeladmin, [obj])
    return obj.__dict__["_rank_names"]


class _RankNamesChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        hand_rank_names(self.model_admin, self.result_list)


class RankNamesMixin:
    """A ModelAdmin whose rank columns read the names once per page, not once per row.

    Rows of a run override `rank_plan_id(obj)` to return the run's plan id; the default (None)
    names the live rank and title by the last close's plan.
    """

    def rank_plan_id(self, obj: Any) -> int | None:
        return None

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _RankNamesChangeList


def rank_column(field: str, description: Any) -> Any:
    """A ModelAdmin method showing the rank number in `field` with its name."""

    def show(modeladmin: Any, obj: Any) -> str:
        return rank(getattr(obj, field), rank_names_of(obj, modeladmin))

    show.short_description = description  # type: ignore[attr-defined]
    show.admin_order_field = field  # type: ignore[attr-defined]
    show.__name__ = f"{field}_named"
    return show


def rank_filter(field: str, title: Any = None) -> type[admin.SimpleListFilter]:
    """A list filter on `field` offering the ranks by number and name (the names of the last
    close's plan: the numbers filter rows of every plan alike)."""

    class RankFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            names = live_rank_names()
            return [(str(number), rank(number, names)) for number in sorted({0, *names})]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if value is None:
                return queryset
            if not value.isdigit():
                return queryset.none()
            return queryset.filter(**{field: int(value)})

    RankFilter.title = title if title is not None else _("rank")
    RankFilter.__name__ = f"RankFilter_{field}"
    return RankFilter
