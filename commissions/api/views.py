"""A distributor's money and results: the period calendar, statements with every ledger line
explained ("why did I get this?"), payouts, and rank progress (what is missing for the next rank).

Only final closes are shown (a preview never reaches a distributor); the explanation comes from
commissions.explain, the reader the admin pages and `manage.py explain` use too.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commissions.explain import explain_distributor
from commissions.models import (
    CloseRunKind,
    CloseRunStatus,
    Payout,
    PayoutBatchStatus,
    Period,
    PeriodStatus,
    Statement,
)
from commissions.selectors import close_run_for_export
from core.api.errors import error_responses
from core.api.etags import IF_NONE_MATCH, etag_response
from core.api.pagination import PAGE_PARAMETERS, paginate_queryset, paginated
from core.api.permissions import IsDistributor, actor
from core.api.serializers import period_or_404
from core.errors import NotFound
from core.periods import period_bounds, period_label, period_of

PERMISSION_NOTE = "Only for a logged-in distributor, and only their own results and money."
PERIOD_PATH = OpenApiParameter(
    "period", str, location=OpenApiParameter.PATH, description="YYYY-MM", pattern=r"^\d{4}-(0[1-9]|1[0-2])$"
)
VOLUME = {"max_digits": 32, "decimal_places": 4}
MONEY = {"max_digits": 14, "decimal_places": 2}


class DistributorApi(APIView):
    permission_classes = [IsDistributor]


# --- The period calendar


class PeriodSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM")
    starts_at = serializers.DateTimeField(help_text="Inclusive, company time zone.")
    ends_at = serializers.DateTimeField(help_text="Exclusive: the first moment of the next period.")
    status = serializers.ChoiceField(choices=PeriodStatus.choices)
    closed_at = serializers.DateTimeField(allow_null=True)
    is_current = serializers.BooleanField()


def _period_row(start, status: str, closed_at, current) -> dict:
    starts_at, ends_at = period_bounds(start)
    return {
        "period": period_label(start),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "status": status,
        "closed_at": closed_at,
        "is_current": start == current,
    }


class PeriodListApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="periods_list",
        summary="The period calendar: months, their bounds and whether they are closed",
        description=(
            f"{PERMISSION_NOTE} Periods are calendar months in the company time zone, half-open "
            "[starts_at, ends_at). The current month is listed (open) even before anything is recorded."
        ),
        responses={200: PeriodSerializer(many=True), **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        actor(request)
        current = period_of(timezone.now())
        rows = {p.start: (p.status, p.closed_at) for p in Period.objects.order_by("-start")[:36]}
        rows.setdefault(current, (PeriodStatus.OPEN, None))
        data = [_period_row(start, *rows[start], current) for start in sorted(rows, reverse=True)]
        return Response(PeriodSerializer(data, many=True).data)


# --- Statements


class StatementSerializer(serializers.Serializer):
    period = serializers.SerializerMethodField(help_text="YYYY-MM")
    carried_in = serializers.DecimalField(**MONEY)
    personal = serializers.DecimalField(**MONEY)
    override = serializers.DecimalField(**MONEY)
    clawbacks = serializers.DecimalField(**MONEY)
    adjustments = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY)
    payout = serializers.DecimalField(**MONEY, help_text="Paid when net reaches the plan's minimum.")
    carried_out = serializers.DecimalField(**MONEY)

    def get_period(self, statement: Statement) -> str:
        return period_label(statement.period.start)


def _my_final_statements(me):
    # A preview never reaches a distributor: only the final close's statements are theirs.
    return (
        Statement.objects.filter(
            distributor=me, run__kind=CloseRunKind.FINAL, run__status=CloseRunStatus.SUCCEEDED
        )
        .select_related("period")
        .order_by("-period__start")
    )


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
        return paginate_queryset(
            request, _my_final_statements(actor(request)), serializer_class=StatementSerializer
        )


class RequirementSerializer(serializers.Serializer):
    label = serializers.CharField()
    required = serializers.CharField(source="required_text")
    actual = serializers.CharField(source="actual_text")
    met = serializers.BooleanField()
    detail = serializers.CharField()


class LegSerializer(serializers.Serializer):
    """A frontline leg as in the period: name, rank and volume only."""

    distributor_id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    paid_as_rank = serializers.IntegerField()
    gv = serializers.DecimalField(**VOLUME)
    highest_rank = serializers.IntegerField(help_text="The highest paid-as rank anyone in the leg has.")


class RankCheckSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    met = serializers.BooleanField()
    requirements = RequirementSerializer(many=True)
    missing = RequirementSerializer(many=True, help_text="The requirements not met.")
    qualifying_gv = serializers.DecimalField(**VOLUME, allow_null=True)
    cap_per_leg = serializers.DecimalField(**VOLUME, allow_null=True)


class MoneyLineSerializer(serializers.Serializer):
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


class MoneyGroupSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    total = serializers.DecimalField(**MONEY)
    lines = MoneyLineSerializer(many=True)


class ExplanationSerializer(serializers.Serializer):
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
    legs = LegSerializer(many=True)
    ranks = RankCheckSerializer(many=True)
    paid_as_rank = serializers.IntegerField()
    paid_as_name = serializers.CharField()
    title = serializers.IntegerField()
    next_rank = RankCheckSerializer(allow_null=True, help_text="The next rank and what is missing for it.")
    money = MoneyGroupSerializer(many=True)
    carried_in = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY)
    payout = serializers.DecimalField(**MONEY)
    carried_out = serializers.DecimalField(**MONEY)
    notes = serializers.ListField(child=serializers.CharField())


def _explanation_data(me, period_text: str) -> dict:
    start = period_or_404(period_text)
    try:
        run = close_run_for_export(period=start)
    except NotFound:
        raise NotFound(
            _("Period %(period)s is not closed yet; its statement follows the close.")
            % {"period": period_label(start)}
        ) from None
    return ExplanationSerializer(explain_distributor(me, run)).data


class StatementDetailApi(DistributorApi):
    @extend_schema(
        tags=["money"],
        operation_id="statements_retrieve",
        summary="My statement of a closed period, every ledger line explained, and my rank decision",
        description=(
            f"{PERMISSION_NOTE} Each money line names its source (a downline member or my own "
            "customers), level, rate and base; ranks list every requirement against my numbers and "
            "`next_rank` what is missing. 404 while the period is not closed or I had no results in it."
        ),
        parameters=[PERIOD_PATH, IF_NONE_MATCH],
        responses={200: ExplanationSerializer, 304: None, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, period: str) -> Response:
        return etag_response(request, _explanation_data(actor(request), period))


class ProgressApi(DistributorApi):
    @extend_schema(
        tags=["me"],
        operation_id="me_progress",
        summary="My rank progress as of the last closed period: rank, volumes, eligibility, what is missing",
        description=(
            f"{PERMISSION_NOTE} From the newest final close in which I have results; 404 before the "
            "first close."
        ),
        parameters=[IF_NONE_MATCH],
        responses={200: ExplanationSerializer, 304: None, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        me = actor(request)
        latest = _my_final_statements(me).first()
        if latest is None:
            raise NotFound(_("No closed period has results of yours yet."))
        return etag_response(request, _explanation_data(me, period_label(latest.period.start)))


# --- Payouts


class PayoutSerializer(serializers.Serializer):
    reference = serializers.CharField()
    period = serializers.SerializerMethodField(help_text="YYYY-MM of the statement paid.")
    amount = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(source="batch.status", choices=PayoutBatchStatus.choices)
    paid_at = serializers.DateTimeField(source="batch.paid_at", allow_null=True)

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
        payouts = (
            Payout.objects.filter(distributor=actor(request))
            .select_related("batch__period")
            .order_by("-batch__period__start", "-id")
        )
        return paginate_queryset(request, payouts, serializer_class=PayoutSerializer)
