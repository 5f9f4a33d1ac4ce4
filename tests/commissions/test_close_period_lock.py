"""No write slips past the start of a final close: every write dated into a period share-locks the
period's row, the close start locks it exclusively, so it waits for writers in flight and the
writers after it see `closing` (issue 16, item 3)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from commissions.close import close_start
from commissions.models import Adjustment, CloseRun, DistributorPeriod, LedgerLine
from commissions.services import adjustments as adjustment_service
from commissions.services.adjustments import adjustment_create
from core.errors import Conflict
from distributors.models import Distributor
from orders.models import Customer, Order, Product, Return
from orders.services import order_create, order_pay
from orders.services.returns import order_return
from plans.models import Period
from plans.periods import period_get_or_create, period_status_locked

from .closing import close, period

OCTOBER = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks: it serialises writers itself"
)


def kees() -> Distributor:
    return Distributor.objects.get(external_id="K")


def blender() -> Product:
    return Product.objects.get(sku="TM1")


def customer_order(**kwargs) -> Order:
    """One more thermo blender (CV 75.00) sold by Kees to his first customer."""
    customer = Customer.objects.get(external_id="K-c0")
    return order_create(
        distributor=kees(), purpose="customer", customer=customer, lines=[(blender(), 1)], **kwargs
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("row_exists", [True, False], ids=["period row exists", "first write of the month"])
def test_a_final_close_started_while_an_order_is_being_written_waits_for_it_and_counts_it(s1, row_exists):
    if row_exists:
        period_get_or_create(start=period("2026-10"))
    else:
        # The import of S1's orders opened the month; the order below is to be its first write.
        Period.objects.filter(start=period("2026-10"), status="open").delete()
        assert not Period.objects.filter(start=period("2026-10")).exists()
    written, release = threading.Event(), threading.Event()
    outcomes: dict = {}

    def write_order() -> None:
        try:
            with transaction.atomic():
                outcomes["order"] = customer_order(paid_at=OCTOBER).pk
                written.set()
                release.wait(timeout=30)  # the transaction stays open until the test lets it commit
        except Exception as exc:  # reported by the assertions below
            outcomes["order"] = exc
        finally:
            written.set()
            connection.close()

    def start_close() -> None:
        try:
            outcomes["run"] = close_start(period=period("2026-10"), preview=False).pk
        except Exception as exc:  # reported by the assertions below
            outcomes["run"] = exc
        finally:
            connection.close()

    writer = threading.Thread(target=write_order)
    closer = threading.Thread(target=start_close)
    writer.start()
    try:
        assert written.wait(timeout=30)
        closer.start()
        closer.join(timeout=1.0)
        # The close start waits for the writer's transaction: nothing started, the period still open.
        assert closer.is_alive(), outcomes
        assert not Period.objects.filter(start=period("2026-10")).exclude(status="open").exists()
        assert not CloseRun.objects.exists()
    finally:
        release.set()
        writer.join(timeout=30)
        if closer.ident is not None:
            closer.join(timeout=120)
    assert not writer.is_alive() and not closer.is_alive()
    order = Order.objects.get(pk=outcomes["order"])
    run = CloseRun.objects.get(pk=outcomes["run"])
    assert (order.status, order.commission_period) == ("paid", period("2026-10"))
    assert (run.kind, run.status, run.period.status) == ("final", "succeeded", "closed")
    # The order is in the close: Kees has his 150 PV of the example plus the blender's 75, and his
    # personal commission is 25 % of 300.00 of retail sales (the example's expected 50.00 was on 200.00).
    assert DistributorPeriod.objects.get(run=run, distributor=kees()).pv == Decimal("225")
    assert list(
        LedgerLine.objects.filter(run=run, distributor=kees()).values_list("kind", "base", "rate", "amount")
    ) == [("personal", Decimal("300.00"), Decimal("0.25"), Decimal("75.00"))]
    assert run.summary["total_rewardable_cv"] == "3275.00"
    assert run.summary["totals"]["personal"] == "1000.00"
    connection.close()


@pytest.fixture
def closing(s1):
    """October with its final close started (the compute not run yet): the period is `closing`."""
    run = close_start(period=period("2026-10"))  # in a test transaction, its scheduled compute never runs
    assert Period.objects.get(start=period("2026-10")).status == "closing"
    return run


@pytest.mark.django_db
def test_an_order_paid_into_a_closing_period_is_refused_and_nothing_is_written(closing):
    orders = Order.objects.count()
    with pytest.raises(Conflict) as refused:
        customer_order(paid_at=OCTOBER)
    assert str(refused.value) == (
        "The payment date falls in period 2026-10, which is closing; "
        "a closed period never changes, so record it in the current period instead."
    )
    assert refused.value.field == "paid_at"
    assert Order.objects.count() == orders


@pytest.mark.django_db
def test_a_payment_dated_into_a_closing_period_is_refused_and_the_order_stays_pending(closing):
    pending = customer_order()
    with pytest.raises(Conflict, match="falls in period 2026-10, which is closing"):
        order_pay(order=pending, paid_at=OCTOBER)
    pending.refresh_from_db()
    assert (pending.status, pending.paid_at, pending.commission_period) == ("pending", None, None)


@pytest.mark.django_db
def test_a_refund_dated_into_a_closing_period_is_refused_and_nothing_is_returned(closing):
    paid = Order.objects.filter(distributor=kees(), status="paid").first()
    with pytest.raises(Conflict, match="The refund date falls in period 2026-10, which is closing"):
        order_return(order=paid, lines=[(paid.lines.get(), 1)], refunded_at=OCTOBER + dt.timedelta(days=5))
    assert not Return.objects.exists()
    paid.refresh_from_db()
    assert paid.status == "paid"


@pytest.mark.django_db
def test_an_adjustment_for_a_closing_period_is_refused_and_nothing_is_written(closing):
    with pytest.raises(Conflict) as refused:
        adjustment_create(distributor=kees(), period=period("2026-10"), amount="12.50", reason="Late bonus")
    assert str(refused.value) == (
        "This adjustment cannot be entered: period 2026-10 is closing; a closed period never changes, "
        "so use 2026-11 or later."
    )
    assert not Adjustment.objects.exists()


@pytest.mark.django_db
def test_the_first_write_of_a_month_creates_its_period_open(s1):
    assert not Period.objects.filter(start=period("2026-11")).exists()
    order = customer_order(paid_at=dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC))
    assert order.commission_period == period("2026-11")
    assert Period.objects.get(start=period("2026-11")).status == "open"


@pytest.mark.django_db(transaction=True)
def test_the_period_lock_is_refused_outside_a_transaction():
    # Outside a transaction the lock would end with the statement: the close would not wait.
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        period_status_locked(period("2026-10"))
    assert not Period.objects.exists()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_adjustments_of_one_period_entered_at_the_same_moment_are_both_recorded(s1, monkeypatch):
    period_get_or_create(start=period("2026-10"))  # else the second waits on the first's insert
    both_checked = threading.Barrier(2, timeout=10)
    real = adjustment_service.period_ensure_open
    outcomes: list = []

    def ensure_open_then_wait(**kwargs):
        found = real(**kwargs)
        both_checked.wait()  # both hold the period's shared lock before either writes
        return found

    def enter(amount: str) -> None:
        try:
            outcomes.append(
                adjustment_create(distributor=kees(), period=period("2026-10"), amount=amount, reason="Bonus")
            )
        except Exception as exc:  # reported by the assertions below
            outcomes.append(exc)
        finally:
            connection.close()

    monkeypatch.setattr(adjustment_service, "period_ensure_open", ensure_open_then_wait)
    threads = [threading.Thread(target=enter, args=(amount,)) for amount in ("10.00", "20.00")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and all(isinstance(outcome, Adjustment) for outcome in outcomes), outcomes
    assert sorted(Adjustment.objects.values_list("amount", flat=True)) == [Decimal("10.00"), Decimal("20.00")]
    connection.close()


# --- Every month closes, in order, one without orders too ---------------------------------------
# Found by the state machine: with December closed while November had no orders, November stayed
# open, took back-dated orders, and could never close.

SEPTEMBER = dt.datetime(2026, 9, 20, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_month_without_orders_closes_too_before_the_next(s1):
    assert close("2026-10").status == "succeeded"
    with pytest.raises(Conflict, match="Close 2026-11 first: periods close in order, every month"):
        close("2026-12")
    assert not Period.objects.filter(start=period("2026-12")).exclude(status="open").exists()
    november = close("2026-11")
    assert (november.status, november.period.status) == ("succeeded", "closed")
    # Nobody sold anything in November: nobody is active, nobody is paid.
    assert not DistributorPeriod.objects.filter(run=november, active=True).exists()
    assert not LedgerLine.objects.filter(run=november).exists()
    assert close("2026-12").status == "succeeded"


@pytest.mark.django_db
def test_before_any_close_the_first_month_written_into_closes_first(s1):
    period_get_or_create(start=period("2026-08"))  # an adjustment or an order once opened August
    with pytest.raises(Conflict, match="Close 2026-08 first"):
        close("2026-10")
    assert close("2026-08").status == "succeeded"
    with pytest.raises(Conflict, match="Close 2026-09 first"):
        close("2026-10")


@pytest.mark.django_db
def test_a_write_into_a_month_before_a_closed_one_is_refused_and_opens_nothing(s1):
    assert close("2026-10").status == "succeeded"
    with pytest.raises(Conflict, match="period 2026-09, which is closed"), transaction.atomic():
        customer_order(paid_at=SEPTEMBER)
    with pytest.raises(Conflict, match="period 2026-09 is closed"), transaction.atomic():
        adjustment_create(distributor=kees(), period=period("2026-09"), amount="5.00", reason="Back-dated")
    assert not Period.objects.filter(start=period("2026-09")).exists()
    assert not Order.objects.filter(commission_period=period("2026-09")).exists()
    assert not Adjustment.objects.exists()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_back_dated_first_write_in_flight_holds_back_a_final_close_which_then_names_its_month(s1):
    """The writer creates September's row; the close start of October waits for it (a table lock
    against new Period rows) and then refuses: without the wait it would not see the uncommitted
    month, would close October, and September would open behind it for ever."""
    assert not Period.objects.filter(start=period("2026-09")).exists()
    written, release = threading.Event(), threading.Event()
    outcomes: dict = {}

    def write_order() -> None:
        try:
            with transaction.atomic():
                outcomes["order"] = customer_order(paid_at=SEPTEMBER).pk
                written.set()
                release.wait(timeout=30)
        except Exception as exc:  # reported by the assertions below
            outcomes["order"] = exc
        finally:
            written.set()
            connection.close()

    def start_close() -> None:
        try:
            outcomes["run"] = close_start(period=period("2026-10")).pk
        except Exception as exc:  # reported by the assertions below
            outcomes["run"] = exc
        finally:
            connection.close()

    writer, closer = threading.Thread(target=write_order), threading.Thread(target=start_close)
    writer.start()
    try:
        assert written.wait(timeout=30)
        closer.start()
        closer.join(timeout=1.0)
        assert closer.is_alive(), outcomes  # waiting for the writer's new month
    finally:
        release.set()
        writer.join(timeout=30)
        if closer.ident is not None:
            closer.join(timeout=60)
    assert not writer.is_alive() and not closer.is_alive()
    assert Order.objects.get(pk=outcomes["order"]).commission_period == period("2026-09")
    assert isinstance(outcomes["run"], Conflict) and "Close 2026-09 first" in outcomes["run"].message
    assert not CloseRun.objects.exists()
    assert Period.objects.get(start=period("2026-10")).status == "open"
    connection.close()
