"""A hypothesis state machine over the life of three months (issue 16): staff enroll, move and
terminate distributors, orders are placed, paid, returned and bought back, previews and final closes
run, a final close crashes (mid-compute, mid-chunk, or its worker gone before finalize) and is
resumed, finished by the watchdog or discarded by an operator.

After every step:
- every succeeded run's statements equal its ledger (per kind), and net = carried in + the lines;
- a final close carries in exactly what the close before it carried out;
- a closed period never changes: its final run's ledger and results, its orders and returns;
- each period's status agrees with its final runs (closed: one succeeded with its compliance report;
  closing: one under way or failed; open: none) and a discarded run left no rows;
- the sponsor tree passes tree_check.
And in the rules: a refusal (ApplicationError) changes nothing; orders, payments and returns dated
into a closing or closed month are refused; a final close succeeds exactly when the periods allow
it and computes the ledger and results its preview computed just before; a resumed crashed close
ends with the ledger and results of the preview of the same inputs; closing a closed period again
is refused and changes nothing; a preview writes no rank or title.

Everything runs in-process inside the test transaction (tests/commissions/closing.py `close`); each
example runs in a savepoint rolled back at its end, on top of the S1 example network imported once.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, assume, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from commissions.close import chunks as close_chunks
from commissions.close import close_run_discard, close_watchdog
from commissions.close import compute as close_compute
from commissions.models import (
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Statement,
)
from compliance.models import ComplianceReport
from core.errors import ApplicationError
from core.periods import next_period, period_label
from distributors.models import Distributor, DistributorStatus, SponsorChange
from distributors.selectors import tree_check
from distributors.services.enrollment import distributor_enroll
from distributors.services.moves import distributor_move
from distributors.services.status import distributor_terminate
from orders.models import BuybackRequest, Customer, Order, OrderLine, OrderStatus, Return
from orders.selectors.orders import returned_quantities
from orders.services.buyback import buyback_request_create, buyback_request_decide
from orders.services.orders import order_create, order_pay
from orders.services.returns import order_return
from plans.models import Period, PeriodStatus

from .closing import EXAMPLES, SimulatedCrash, close, default_plan, finalize_never, ledger_tuples

MONTHS = (dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1))
ZONE = ZoneInfo(django_settings.TIME_ZONE)
LINE_SLOTS = {
    "personal": "personal",
    "override": "override",
    "clawback": "clawbacks",
    "adjustment": "adjustments",
}
# Where a final close is made to crash (see crash_close): after storing N chunks of its compute,
# while writing chunk N, or after every chunk is written but before finalize (the worker is gone).
CRASHES = ("compute", "chunk", "finalize")


def results(run: CloseRun) -> list[tuple]:
    return sorted(
        DistributorPeriod.objects.filter(run=run).values_list(
            "distributor__external_id", "sponsor_id_in_period", "pv", "gv", "paid_as_rank", "title", "active"
        )
    )


def statements(run: CloseRun) -> list[tuple]:
    return sorted(
        Statement.objects.filter(run=run).values_list(
            "distributor__external_id", "carried_in", "personal", "override", "clawbacks", "adjustments",
            "net", "payout", "carried_out",
        )
    )  # fmt: skip


def ranks_and_titles() -> dict[int, tuple[int, int]]:
    return {pk: (rank, title) for pk, rank, title in Distributor.objects.values_list("pk", "rank", "title")}


def period_status(month: dt.date) -> str:
    return Period.objects.filter(start=month).values_list("status", flat=True).first() or PeriodStatus.OPEN


def world() -> tuple:
    """Everything a refused action must leave as it was."""
    return (
        list(
            Distributor.objects.order_by("pk").values_list(
                "pk", "sponsor_id", "status", "tree_id", "lft", "rght", "level", "rank", "title"
            )
        ),
        list(Order.objects.order_by("pk").values_list("pk", "status", "paid_at", "commission_period")),
        list(Return.objects.order_by("pk").values_list("pk", "order_id", "refund_period", "refund_amount")),
        list(BuybackRequest.objects.order_by("pk").values_list("pk", "status")),
        SponsorChange.objects.count(),
        list(Period.objects.order_by("start").values_list("start", "status")),
        list(CloseRun.objects.order_by("pk").values_list("pk", "kind", "status", "phase", "chunks_done")),
        LedgerLine.objects.count(),
        Statement.objects.count(),
        DistributorPeriod.objects.count(),
        ComplianceReport.objects.count(),
    )


def final_run(month: dt.date) -> CloseRun | None:
    return (
        CloseRun.objects.filter(period__start=month, kind=CloseRunKind.FINAL)
        .exclude(status=CloseRunStatus.DISCARDED)
        .first()
    )


class CloseMachine(RuleBasedStateMachine):
    staff = None  # set by the test: a staff user created outside the examples' savepoints

    def __init__(self):
        super().__init__()
        # Each example starts from the imported S1 network and rolls back everything it did.
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.now = timezone.now()
        self.enrolled = 0
        self.fingerprints: dict[dt.date, tuple] = {}
        # The final close that crashed and waits for a resume or a discard: its month, the
        # preview computed on the same inputs just before it started, the ranks and titles
        # before it, and how it crashed.
        self.crashed: dict | None = None

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------------

    def moment(self, month: dt.date, day: int, hour: int) -> dt.datetime | None:
        """A moment in `month` that is not in the future (None if the whole month is)."""
        candidate = dt.datetime(month.year, month.month, min(day, 28), hour, tzinfo=ZONE)
        latest = self.now - dt.timedelta(minutes=10)
        start = dt.datetime(month.year, month.month, 1, tzinfo=ZONE)
        if start > latest:
            return None
        return min(candidate, latest)

    def pick(self, queryset, index: int):
        rows = list(queryset.order_by("pk"))
        return rows[index % len(rows)] if rows else None

    def attempt(self, action, *, refused: bool | None = None, match: str | None = None):
        """Run `action`; a refusal (ApplicationError) must change nothing. `refused`: whether it must
        be refused (True), must succeed (False), or may do either (None)."""
        before = world()
        try:
            result = action()
        except ApplicationError as error:
            assert refused is not False, f"refused unexpectedly: {error.message}"
            event(f"{getattr(action, '__qualname__', 'action').split('.')[1]}: refused")
            if match is not None:
                assert match in error.message, error.message
            assert world() == before, "a refused action changed something"
            return None
        assert refused is not True, "should have been refused"
        event(f"{getattr(action, '__qualname__', 'action').split('.')[1]}: done")
        return result

    def expected_final_close(self, month: dt.date) -> bool:
        """Whether close_start accepts a new final close of `month` (periods close in order)."""
        if period_status(month) != PeriodStatus.OPEN:
            return False
        if Period.objects.filter(
            start__gt=month, status__in=[PeriodStatus.CLOSED, PeriodStatus.CLOSING]
        ).exists():
            return False
        # Every month closes, in order, one without orders too: the month after the newest closed
        # one, or before any close the first month anything was written into (a Period row or an
        # order); a month before a closed one takes no writes, so nothing opens there again.
        closed = Period.objects.filter(start__lt=month, status=PeriodStatus.CLOSED).order_by("-start").first()
        if closed is not None:
            return next_period(closed.start) == month
        return not (
            Period.objects.filter(start__lt=month).exists()
            or Order.objects.filter(commission_period__lt=month).exists()
        )

    def next_closable(self) -> dt.date | None:
        return next((month for month in MONTHS if self.expected_final_close(month)), None)

    def record_closed(self, month: dt.date) -> None:
        run = final_run(month)
        assert run is not None and run.status == CloseRunStatus.SUCCEEDED, run
        assert run.period.status == PeriodStatus.CLOSED
        self.fingerprints[month] = self.fingerprint(month)

    def fingerprint(self, month: dt.date) -> tuple:
        run = final_run(month)
        return (
            run.pk,
            run.status,
            ledger_tuples(run),
            statements(run),
            results(run),
            ComplianceReport.objects.filter(run=run).count(),
            sorted(Order.objects.filter(commission_period=month).values_list("pk", flat=True)),
            sorted(Return.objects.filter(refund_period=month).values_list("pk", "refund_amount")),
        )

    # --- staff on the tree -------------------------------------------------------------------------

    @rule(sponsor=st.integers(0, 100), backdated=st.booleans())
    def enroll(self, sponsor, backdated):
        sponsor_row = self.pick(Distributor.objects.all(), sponsor)
        self.enrolled += 1
        number = self.enrolled
        enrolled_at = self.moment(MONTHS[0], 2, 9) if backdated else None
        node = self.attempt(
            lambda: distributor_enroll(
                sponsor=sponsor_row,
                first_name="New",
                last_name=f"N{number}",
                email=f"new{number}@example.nl",
                external_id=f"N{number}",
                enrolled_at=enrolled_at,
                actor=self.staff,
            ),  # fmt: skip
            refused=sponsor_row.status == DistributorStatus.TERMINATED,
        )
        if node is not None:
            assert node.sponsor_id == sponsor_row.pk

    @rule(who=st.integers(0, 100), to=st.integers(0, 100))
    def move(self, who, to):
        node = self.pick(Distributor.objects.all(), who)
        target = self.pick(Distributor.objects.all(), to)
        moved = self.attempt(
            lambda: distributor_move(distributor=node, new_sponsor=target, actor=self.staff, reason="asked")
        )
        if moved is not None:
            assert moved.sponsor_id == target.pk

    @rule(who=st.integers(0, 100))
    def terminate(self, who):
        node = self.pick(Distributor.objects.exclude(status=DistributorStatus.TERMINATED), who)
        assume(node is not None)
        root_with_frontline = node.sponsor_id is None and Distributor.objects.filter(sponsor=node).exists()
        done = self.attempt(
            lambda: distributor_terminate(distributor=node, actor=self.staff, reason="left"),
            refused=root_with_frontline,
        )
        if done is not None:
            assert done.status == DistributorStatus.TERMINATED

    # --- orders ------------------------------------------------------------------------------------

    @rule(
        who=st.integers(0, 100),
        month=st.sampled_from(MONTHS),
        day=st.integers(1, 28),
        purpose=st.sampled_from(["personal", "inventory", "customer"]),
        quantity=st.integers(1, 4),
        paid=st.booleans(),
    )
    def order(self, who, month, day, purpose, quantity, paid):
        distributor = self.pick(Distributor.objects.all(), who)
        paid_at = self.moment(month, day, 12)
        assume(paid_at is not None)
        customer = Customer.objects.filter(distributor=distributor).order_by("pk").first()
        assume(purpose != "customer" or customer is not None)
        frozen = paid and period_status(month) != PeriodStatus.OPEN
        created = self.attempt(
            lambda: order_create(
                distributor=distributor,
                purpose=purpose,
                customer=customer if purpose == "customer" else None,
                lines=[("TM1", quantity)],
                paid_at=paid_at if paid else None,
                actor=self.staff,
            ),  # fmt: skip
            refused=frozen or distributor.status == DistributorStatus.TERMINATED,
        )
        if created is not None and paid:
            assert created.commission_period == month

    @rule(which=st.integers(0, 100), month=st.sampled_from(MONTHS), day=st.integers(1, 28))
    def pay(self, which, month, day):
        pending = self.pick(Order.objects.filter(status=OrderStatus.PENDING, demonstration=None), which)
        assume(pending is not None)
        paid_at = self.moment(month, day, 15)
        assume(paid_at is not None)
        frozen = period_status(month) != PeriodStatus.OPEN
        paid = self.attempt(
            lambda: order_pay(order=pending, paid_at=paid_at, actor=self.staff),
            refused=frozen,
            match="which is clos" if frozen else None,
        )
        if paid is not None:
            assert (paid.status, paid.commission_period) == (OrderStatus.PAID, month)

    def refund_moment(self, order: Order, month: dt.date, day: int) -> dt.datetime | None:
        refunded_at = self.moment(month, day, 18)
        if refunded_at is None or refunded_at <= order.paid_at:
            refunded_at = order.paid_at + dt.timedelta(minutes=5)
        if refunded_at > self.now:
            return None
        return refunded_at

    @rule(
        which=st.integers(0, 100),
        month=st.sampled_from(MONTHS),
        day=st.integers(1, 28),
        quantity=st.integers(1, 3),
    )
    def return_units(self, which, month, day, quantity):
        order = self.pick(
            Order.objects.filter(status__in=[OrderStatus.PAID, OrderStatus.PARTLY_RETURNED]), which
        )
        assume(order is not None)
        refunded_at = self.refund_moment(order, month, day)
        assume(refunded_at is not None)
        line = OrderLine.objects.filter(order=order).order_by("pk").first()
        returned = returned_quantities(order).get(line.pk, 0)
        frozen = period_status(refunded_at.astimezone(ZONE).date().replace(day=1)) != PeriodStatus.OPEN
        self.attempt(
            lambda: order_return(
                order=order,
                lines=[(line, quantity)],
                refunded_at=refunded_at,
                reason="changed mind",
                actor=self.staff,
            ),  # fmt: skip
            refused=True if frozen or quantity > line.quantity - returned else False,
        )

    @rule(
        which=st.integers(0, 100),
        month=st.sampled_from(MONTHS),
        day=st.integers(1, 28),
        terminate=st.booleans(),
    )
    def buy_back(self, which, month, day, terminate):
        order = self.pick(
            Order.objects.filter(
                status__in=[OrderStatus.PAID, OrderStatus.PARTLY_RETURNED],
                purpose__in=["personal", "inventory"],
            ),
            which,
        )
        assume(order is not None)
        at = self.refund_moment(order, month, day)
        assume(at is not None)
        line = OrderLine.objects.filter(order=order).order_by("pk").first()
        request = self.attempt(
            lambda: buyback_request_create(
                distributor=order.distributor,
                lines=[(line, 1)],
                with_termination=terminate,
                actor=self.staff,
                at=at,
            )  # fmt: skip
        )
        if request is None:
            return
        frozen = period_status(at.astimezone(ZONE).date().replace(day=1)) != PeriodStatus.OPEN
        decided = self.attempt(
            lambda: buyback_request_decide(request=request, approvals="all", actor=self.staff, at=at),
            refused=True if frozen else None,  # with a termination, a root with a frontline is refused
        )
        if decided is not None:
            assert Return.objects.filter(external_key__startswith=f"buyback-{request.pk}-").count() == 1

    # --- closes ------------------------------------------------------------------------------------

    @rule(month=st.sampled_from(MONTHS))
    def preview(self, month):
        before = ranks_and_titles()
        run = self.attempt(
            lambda: close(period_label(month), preview=True),
            refused=period_status(month) != PeriodStatus.OPEN,
        )
        if run is not None:
            assert (run.kind, run.status) == (CloseRunKind.PREVIEW, CloseRunStatus.SUCCEEDED)
            assert ranks_and_titles() == before, "a preview wrote ranks or titles"

    @rule(month=st.sampled_from(MONTHS))
    def final_close(self, month):
        """Close any month: accepted exactly when the periods allow it, with its preview's ledger."""
        assume(period_status(month) != PeriodStatus.CLOSING)  # that is a resume (see resume)
        expected = self.expected_final_close(month)
        reference = None
        if expected:
            preview = close(period_label(month), preview=True)
            reference = (ledger_tuples(preview), results(preview))
        run = self.attempt(lambda: close(period_label(month)), refused=not expected)
        if run is None:
            return
        assert (run.kind, run.status, run.period.status) == ("final", "succeeded", "closed")
        assert (ledger_tuples(run), results(run)) == reference, "the final close differs from its preview"
        self.record_closed(month)

    @rule(month=st.sampled_from(MONTHS))
    def close_again(self, month):
        """Closing a closed period again is refused and changes nothing."""
        assume(period_status(month) == PeriodStatus.CLOSED)
        self.attempt(lambda: close(period_label(month)), refused=True, match="already closed")
        self.attempt(lambda: close(period_label(month), preview=True), refused=True, match="already closed")

    @precondition(lambda self: self.crashed is None)
    @rule(where=st.sampled_from(CRASHES), after=st.integers(0, 3))
    def crash_close(self, where, after):
        """Start the next final close and let its worker die (see CRASHES)."""
        month = self.next_closable()
        assume(month is not None)
        label = period_label(month)
        preview = close(label, preview=True)
        crashed = {
            "month": month,
            "where": where,
            "ledger": ledger_tuples(preview),
            "results": results(preview),
            "ranks": ranks_and_titles(),
        }
        with pytest.MonkeyPatch.context() as patch:
            if where == "compute":
                real_encode, encoded = close_compute.encode_payload, []

                def encode_then_crash(run, payload, *, distributors):
                    if len(encoded) == after:
                        raise SimulatedCrash(f"worker died after storing {after} chunks")
                    encoded.append(distributors)
                    return real_encode(run, payload, distributors=distributors)

                patch.setattr(close_compute, "encode_payload", encode_then_crash)
            elif where == "chunk":
                real_write = close_chunks.write_chunk_rows

                def write_then_crash(run, number, payload):
                    real_write(run, number, payload)
                    if number == after:
                        raise SimulatedCrash(f"worker died in chunk {number}")

                patch.setattr(close_chunks, "write_chunk_rows", write_then_crash)
            else:
                finalize_never(patch)
            try:
                run = close(label)
            except SimulatedCrash:
                run = final_run(month)
        if run.status == CloseRunStatus.SUCCEEDED:  # the crash point was past the last chunk
            assert (ledger_tuples(run), results(run)) == (crashed["ledger"], crashed["results"])
            self.record_closed(month)
            return
        expected_status = CloseRunStatus.RUNNING if where == "finalize" else CloseRunStatus.FAILED
        assert (run.status, run.period.status) == (expected_status, PeriodStatus.CLOSING)
        assert not ComplianceReport.objects.filter(run=run).exists()
        event(f"crash_close: crashed in {where}")
        self.crashed = crashed

    @precondition(lambda self: self.crashed is not None)
    @rule(by_watchdog=st.booleans())
    def resume(self, by_watchdog):
        """Run the close again (or let the watchdog find a run whose worker is gone): it finishes
        with the ledger of its preview, whatever staff did since the crash."""
        month, label = self.crashed["month"], period_label(self.crashed["month"])
        run = final_run(month)
        if by_watchdog:
            CloseRun.objects.filter(pk=run.pk).update(progress_at=self.now - dt.timedelta(hours=2))
            acted = close_watchdog()
            run.refresh_from_db()
            if self.crashed["where"] != "finalize":
                # A run that failed on an exception waits for a person: the watchdog leaves it be.
                assert (acted, run.status) == ([], CloseRunStatus.FAILED)
                return
            assert acted == [run.pk]
        else:
            run = close(label)
        assert (run.status, run.period.status) == (CloseRunStatus.SUCCEEDED, PeriodStatus.CLOSED)
        assert ledger_tuples(run) == self.crashed["ledger"], "the resumed close differs from its preview"
        assert results(run) == self.crashed["results"]
        event(f"resume: {'watchdog' if by_watchdog else 'rerun'} after a crash in {self.crashed['where']}")
        self.crashed = None
        self.record_closed(month)

    @precondition(lambda self: self.crashed is not None)
    @rule()
    def discard(self):
        """The operator's way out: the crashed run's rows and ranks are gone, the month is open."""
        month = self.crashed["month"]
        run = final_run(month)
        self.attempt(lambda: close_run_discard(period=month, reason="", actor=self.staff), refused=True)
        discarded = close_run_discard(period=month, reason="worker gone", actor=self.staff)
        assert (discarded.pk, discarded.status) == (run.pk, CloseRunStatus.DISCARDED)
        assert period_status(month) == PeriodStatus.OPEN
        now = ranks_and_titles()
        assert {pk: now[pk] for pk in self.crashed["ranks"]} == self.crashed["ranks"]
        self.crashed = None

    # --- invariants --------------------------------------------------------------------------------

    @invariant()
    def statements_equal_the_ledger(self):
        succeeded = CloseRun.objects.filter(status=CloseRunStatus.SUCCEEDED).values_list("pk", flat=True)
        sums: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)
        for run_id, distributor_id, kind, amount in (
            LedgerLine.objects.filter(run_id__in=list(succeeded))
            .values_list("run_id", "distributor_id", "kind")
            .annotate(amount=Sum("amount"))
            .values_list("run_id", "distributor_id", "kind", "amount")
        ):
            sums[(run_id, distributor_id)][LINE_SLOTS[kind]] = amount
        seen = set()
        for row in Statement.objects.filter(run_id__in=list(succeeded)).values():
            key = (row["run_id"], row["distributor_id"])
            seen.add(key)
            lines = sums.get(key, {})
            for slot in LINE_SLOTS.values():
                assert row[slot] == lines.get(slot, Decimal("0")), (key, slot, row, lines)
            total = row["carried_in"] + sum(row[slot] for slot in LINE_SLOTS.values())
            assert row["net"] == total, row
            assert row["payout"] + row["carried_out"] == row["net"], row
        assert set(sums) <= seen, f"lines without a statement: {set(sums) - seen}"

    @invariant()
    def each_close_carries_in_what_the_one_before_carried_out(self):
        finals = list(
            CloseRun.objects.filter(kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED).order_by(
                "period__start"
            )
        )
        carried: dict[int, Decimal] = {}
        for run in finals:
            rows = dict(Statement.objects.filter(run=run).values_list("distributor_id", "carried_in"))
            assert {k: v for k, v in rows.items() if v} == {k: v for k, v in carried.items() if v}, run
            carried = dict(Statement.objects.filter(run=run).values_list("distributor_id", "carried_out"))

    @invariant()
    def closed_periods_never_change(self):
        for month, fingerprint in self.fingerprints.items():
            assert period_status(month) == PeriodStatus.CLOSED
            assert self.fingerprint(month) == fingerprint, f"closed period {period_label(month)} changed"

    @invariant()
    def period_status_agrees_with_its_final_runs(self):
        for month in MONTHS:
            status = period_status(month)
            runs = list(CloseRun.objects.filter(period__start=month, kind=CloseRunKind.FINAL))
            live = [run for run in runs if run.status != CloseRunStatus.DISCARDED]
            assert len(live) <= 1
            if status == PeriodStatus.CLOSED:
                assert [run.status for run in live] == [CloseRunStatus.SUCCEEDED]
                assert ComplianceReport.objects.filter(run=live[0]).count() == 1
            elif status == PeriodStatus.CLOSING:
                assert [run.status in (CloseRunStatus.RUNNING, CloseRunStatus.FAILED) for run in live] == [
                    True
                ]
            else:
                assert live == [], (period_label(month), status, live)
            for run in runs:
                if run.status == CloseRunStatus.DISCARDED:
                    assert not LedgerLine.objects.filter(run=run).exists()
                    assert not Statement.objects.filter(run=run).exists()
                    assert not DistributorPeriod.objects.filter(run=run).exists()
        if self.crashed is not None:
            assert period_status(self.crashed["month"]) == PeriodStatus.CLOSING

    @invariant()
    def the_tree_is_sound(self):
        check = tree_check()
        assert check.ok, check.problems


@pytest.mark.slow
@pytest.mark.django_db
def test_the_close_state_machine(settings):
    # Eleven distributors (and the ones the machine enrolls) in chunks of three: several chunks,
    # so a crash can hit one in the middle.
    settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = 3
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    CloseMachine.staff = get_user_model().objects.create_user("ops", "ops@example.com", "x", is_staff=True)
    run_state_machine_as_test(
        CloseMachine,
        settings=settings_for_the_machine,
    )


settings_for_the_machine = settings(
    max_examples=20,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
    database=None,
)
