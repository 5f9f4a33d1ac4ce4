"""A distributor's money and results: the period calendar, statements with every ledger line
explained ("why did I get this?"), payouts, and rank progress (what is missing for the next rank).

Only final closes are shown (a preview never reaches a distributor: commissions.selectors.statements
decides what is shown); the explanation comes from commissions.selectors.explanation, the reader the
admin pages and `manage.py explain` use too. One shape per
resource: a detail is its list item plus its children (a statement: its ledger lines, by cursor
pages, and its rank decision); every rank and title is `{"number", "name"}`.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from commissions.models import Payout, PayoutBatchStatus, PayoutStatus, Statement
from commissions.selectors.explanation import explain_distributor
from commissions.selectors.money_lines import statement_lines
from commissions.selectors.periods import period_calendar
from commissions.selectors.rank_progress import rank_progress_of
from commissions.selectors.ranks import rank_names, rank_names_by_plan
from commissions.selectors.statements import closed_period_statement_of, final_statements_of, payouts_of
from commissions.services.legs import LEGS_READ
from core.api.errors import error_responses
from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.pagination import (
    CURSOR_PARAMETERS,
    PAGE_PARAMETERS,
    PAGE_SIZE_PARAMETER,
    CursorRequest,
    cursor_page,
    cursor_paginated,
    cursor_request,
    page_request,
    paged_response,
    paginate_queryset,
    paginated,
)
from core.api.permissions import DistributorApi, actor
from core.api.serializers import QueryInputSerializer, RankSerializer, period_or_404, rank_data
from core.errors import NotFound
from core.money import MONEY, DecimalSize
from core.periods import period_label
from plans.models import PeriodStatus

PERMISSION_NOTE = "Only for a logged-in distributor, and only their own results and money."
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
PERIOD_PATH = OpenApiParameter(
    "period",
    {"type": "string", "pattern": PERIOD_PATTERN, "example": "2026-10"},
    location=OpenApiParameter.PATH,
    description="YYYY-MM",
)
VOLUME: DecimalSize = {"max_digits": 32, "decimal_places": 4}


# --- The period calendar


class PeriodSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM")
    starts_at = serializers.DateTimeField(help_text="Inclusive, company time zone.")
    ends_at = serializers.DateTimeField(help_text="Exclusive: the first moment of the next period.")
    status = serializers.ChoiceField(choices=PeriodStatus.choices)
    closed_at = serializers.DateTimeField(allow_null=True)
    is_current = serializers.BooleanField()


class PeriodListApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="periods_list",
        summary="The period calendar: months, their bounds and whether they are closed, newest first",
        description=(
            f"{PERMISSION_NOTE} Periods are calendar months in the company time zone, half-open "
            "[starts_at, ends_at). The current month is listed (open) even before anything is recorded."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(PeriodSerializer, "PeriodPage"), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        actor(request)
        page = page_request(request)
        months = period_calendar()
        return paged_response(
            request,
            items=months[page.offset : page.offset + page.page_size],
            total=len(months),
            page=page,
            serialize=lambda data: PeriodSerializer(data, many=True).data,
        )


# --- Statements


class StatementSerializer(serializers.Serializer):
    """A statement as the list gives it; the detail adds its children."""

    class Meta:
        ref_name = "Statement"

    period = serializers.CharField(help_text="YYYY-MM")
    paid_as_rank = RankSerializer(help_text="My paid-as rank in the period.")
    title = RankSerializer(help_text="My title (highest paid-as rank ever) after the period.")
    carried_in = serializers.DecimalField(**MONEY)
    personal = serializers.DecimalField(**MONEY)
    override = serializers.DecimalField(**MONEY)
    clawbacks = serializers.DecimalField(**MONEY)
    adjustments = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY)
    payout = serializers.DecimalField(**MONEY, help_text="Paid when net reaches the plan's minimum.")
    carried_out = serializers.DecimalField(**MONEY)


def _statement_item(statement: Statement, names: dict[int, str]) -> dict:
    """The list item; `names`: the rank names of the statement's run's plan (they change by plan)."""
    return {
        "period": period_label(statement.period.start),
        "paid_as_rank": rank_data(statement.paid_as_rank or 0, names),
        "title": rank_data(statement.title or 0, names),
        **{
            name: getattr(statement, name)
            for name in (
                "carried_in", "personal", "override", "clawbacks", "adjustments", "net", "payout",
                "carried_out",
            )
        },
    }  # fmt: skip


def _statement_items(statements: list[Statement]) -> list:
    """A page of statements, each rank named by its run's plan: one query for the page's plans."""
    by_plan = rank_names_by_plan(s.run.plan_id for s in statements)
    return StatementSerializer(
        [_statement_item(s, by_plan[s.run.plan_id]) for s in statements], many=True
    ).data


class StatementListApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="statements_list",
        summary="My statements of closed periods, newest first",
        description=PERMISSION_NOTE,
        parameters=PAGE_PARAMETERS,
        responses={
            200: paginated(StatementSerializer, "StatementPage"),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request: Request) -> Response:
        page = page_request(request)
        statements = final_statements_of(actor(request))
        return paged_response(
            request,
            items=list(statements[page.offset : page.offset + page.page_size]),
            total=statements.count(),
            page=page,
            serialize=_statement_items,
        )


class RequirementSerializer(serializers.Serializer):
    label = serializers.CharField()
    required = serializers.CharField(source="required_text")
    actual = serializers.CharField(source="actual_text")
    met = serializers.BooleanField()
    detail = serializers.CharField()


@extend_schema_field(RankSerializer)
class RankField(serializers.Field):
    """A rank number rendered `{"number", "name"}`, with the names in the serializer's context."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: int) -> dict:
        return rank_data(value, self.context["rank_names"])


class LegSerializer(serializers.Serializer):
    """A frontline leg as in the period: name, rank and volume only."""

    distributor_id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    paid_as_rank = RankField()
    gv = serializers.DecimalField(**VOLUME)
    highest_rank = RankField(help_text="The highest paid-as rank anyone in the leg has.")


class RankCheckSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    met = serializers.BooleanField()
    requirements = RequirementSerializer(many=True)
    missing = RequirementSerializer(many=True, help_text="The requirements not met.")
    qualifying_gv = serializers.DecimalField(**VOLUME, allow_null=True)
    cap_per_leg = serializers.DecimalField(**VOLUME, allow_null=True)


class MoneyLineSerializer(serializers.Serializer):
    class Meta:
        ref_name = "StatementLine"

    kind = serializers.CharField()
    source_external_id = serializers.CharField(allow_null=True, help_text="Whose volume paid this line.")
    source_name = serializers.CharField(allow_null=True)
    source = serializers.CharField(source="source_text")
    level = serializers.IntegerField(help_text="Level of the source below me (0: my own customers).")
    rate = serializers.DecimalField(max_digits=16, decimal_places=10)
    base = serializers.DecimalField(max_digits=32, decimal_places=12, help_text="The CV the rate applies to.")
    amount = serializers.DecimalField(**MONEY)
    original_period = serializers.CharField(allow_null=True, help_text="Clawbacks: the period reversed.")
    reason = serializers.CharField(help_text="Adjustments: the reason given.")


StatementLinePage = cursor_paginated(MoneyLineSerializer, "StatementLinePage", count_help="Null: uncounted.")

# The legs shown with a rank decision: a leader's frontline can be thousands long. Of a longer
# frontline only these are read (the close stored the sums over every leg: commissions.services.legs).
LEGS_SHOWN = LEGS_READ


class ExplanationSerializer(serializers.Serializer):
    """A rank decision: volumes, eligibility, legs and every rank's requirements (no money lines)."""

    class Meta:
        ref_name = "Explanation"

    period = serializers.CharField()
    plan_version = serializers.CharField()
    plan_type = serializers.CharField()
    pcv = serializers.DecimalField(**VOLUME)
    ppc = serializers.DecimalField(**VOLUME)
    pv = serializers.DecimalField(**VOLUME)
    gv = serializers.DecimalField(**VOLUME)
    customer_cv = serializers.DecimalField(**VOLUME)
    own_cv = serializers.DecimalField(**VOLUME)
    rewardable_cv = serializers.DecimalField(**VOLUME)
    activity = RequirementSerializer()
    customer_requirement = RequirementSerializer(many=True)
    customer_requirement_met = serializers.BooleanField()
    eligibility = RequirementSerializer(many=True)
    override_eligible = serializers.BooleanField()
    active_frontline = serializers.IntegerField()
    leg_count = serializers.SerializerMethodField(help_text="All my frontline legs in the period.")
    legs = serializers.SerializerMethodField(
        help_text=f"The {LEGS_SHOWN} legs with the most GV (all of them when fewer), most GV first."
    )
    ranks = RankCheckSerializer(many=True)
    paid_as_rank = RankField()
    title = RankField()
    next_rank = RankCheckSerializer(allow_null=True, help_text="The next rank and what is missing for it.")
    notes = serializers.ListField(child=serializers.CharField())

    def get_leg_count(self, explanation) -> int:
        return explanation.leg_count

    @extend_schema_field(LegSerializer(many=True))
    def get_legs(self, explanation) -> list:
        shown = sorted(explanation.legs, key=lambda leg: (-leg.gv, leg.external_id))[:LEGS_SHOWN]
        return LegSerializer(shown, many=True, context=self.context).data


class StatementDetailSerializer(StatementSerializer):
    """A statement: the list item, its rank decision and the first page of its ledger lines."""

    class Meta:
        ref_name = "StatementDetail"

    explanation = ExplanationSerializer(
        allow_null=True, help_text="Null when I had no results in the period (only a balance carried)."
    )
    lines = StatementLinePage(
        help_text="The first page of my ledger lines; `next` continues at /statements/{period}/lines/."
    )


def _explanation(me, run) -> dict | None:
    try:
        explanation = explain_distributor(me, run, with_money=False, all_legs=False)
    except NotFound:  # a statement without results: a balance carried through the period
        return None
    return _explanation_data(explanation)


def _explanation_data(explanation) -> dict:
    # Ranks named by the run's own plan, as the explanation's texts are.
    return ExplanationSerializer(explanation, context={"rank_names": explanation.rank_names}).data


def _lines_page(
    request: Request, statement: Statement, page: CursorRequest, *, url: str | None = None
) -> dict:
    rows = statement_lines(
        statement.run,
        statement.distributor_id,
        after_key=page.after[0] if page.after else None,
        limit=page.page_size + 1,
    )
    return cursor_page(
        request,
        rows=rows,
        page=page,
        key=lambda row: [row[0]],
        serialize=lambda items: MoneyLineSerializer([line for _key, line in items], many=True).data,
        url=url,
    )


class StatementDetailApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="statements_retrieve",
        summary="My statement of a closed period: its totals, my rank decision and my ledger lines",
        description=(
            f"{PERMISSION_NOTE} The list item plus its children: `explanation` lists every rank's "
            "requirements against my numbers and `next_rank` what is missing; `lines` is the first "
            "cursor page of my ledger lines, each naming its source (a downline member or my own "
            "customers), level, rate and base (`page_size` sets its size; `next` continues at "
            "/statements/{period}/lines/). 404 while the period is not closed or I have no "
            "statement in it."
        ),
        parameters=[PERIOD_PATH, PAGE_SIZE_PARAMETER, IF_NONE_MATCH],
        responses={200: StatementDetailSerializer, 304: None, **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, period: str) -> Response:
        me = actor(request)
        page = cursor_request(request, (str,))
        statement = closed_period_statement_of(me, period_or_404(period))
        data = {
            **StatementSerializer(_statement_item(statement, rank_names(statement.run.plan))).data,
            "explanation": _explanation(me, statement.run),
            "lines": _lines_page(
                request, statement, page, url=reverse("api-statement-lines", kwargs={"period": period})
            ),
        }
        return etag_response(request, data)


class StatementLineListApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="statement_lines_list",
        summary="My ledger lines of a closed period, by cursor pages, in ledger order",
        description=(
            f"{PERMISSION_NOTE} Each line names its source, level, rate and base. Follow `next`. "
            "404 while the period is not closed or I have no statement in it."
        ),
        parameters=[PERIOD_PATH, *CURSOR_PARAMETERS],
        responses={
            200: StatementLinePage,
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def get(self, request: Request, period: str) -> Response:
        page = cursor_request(request, (str,))
        statement = closed_period_statement_of(actor(request), period_or_404(period))
        return Response(_lines_page(request, statement, page))


class ProgressApi(DistributorApi):
    class FilterSerializer(QueryInputSerializer):
        class Meta:
            ref_name = "ProgressFilter"

        month = serializers.ChoiceField(choices=["closed", "open"], required=False, default="closed")

    @extend_schema(
        tags=["me"],
        operation_id="me_progress",
        summary="My rank progress: rank, volumes, eligibility, what is missing",
        description=(
            f"{PERMISSION_NOTE} `month=closed` (the default): the `explanation` of my newest "
            "statement with results in a final close; 404 before the first close. `month=open`: "
            "the open month so far, from its newest preview close (the portal's rank report card; "
            "`period` says which month, and GET /me/ says when the preview ran); 404 while the "
            "open month has no preview with me in it."
        ),
        parameters=[
            OpenApiParameter(
                "month", {"type": "string", "enum": ["closed", "open"]}, description="Which month."
            ),
            IF_NONE_MATCH,
        ],
        responses={200: ExplanationSerializer, 304: None, **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        explanation = rank_progress_of(actor(request), open_month=filters.validated_data["month"] == "open")
        return etag_response(request, _explanation_data(explanation))


# --- Payouts


class PayoutSerializer(serializers.Serializer):
    reference = serializers.CharField()
    period = serializers.SerializerMethodField(help_text="YYYY-MM of the statement paid.")
    amount = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(source="batch.status", choices=PayoutBatchStatus.choices)
    paid_at = serializers.DateTimeField(source="batch.paid_at", allow_null=True)
    bank_status = serializers.ChoiceField(
        source="status",
        choices=PayoutStatus.choices,
        help_text="What the bank's statement says: sent, paid, or returned (the amount is back on my "
        "balance and paid with a later month).",
    )
    return_code = serializers.CharField(help_text="The bank's reason code of a return (AC04...), else empty.")

    def get_period(self, payout: Payout) -> str:
        return period_label(payout.batch.period.start)


class PayoutListApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="payouts_list",
        summary="My payouts, newest first",
        description=PERMISSION_NOTE,
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(PayoutSerializer, "PayoutPage"), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return paginate_queryset(request, payouts_of(actor(request)), serializer_class=PayoutSerializer)
