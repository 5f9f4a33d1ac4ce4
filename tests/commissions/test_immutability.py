"""A closed period never changes, and the ledger is append-only: enforced by PostgreSQL triggers,
so raw SQL and queryset updates are refused as well as services."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from commissions.models import CloseRun, DistributorPeriod, LedgerLine, Statement
from distributors.models import Distributor
from orders.models import Order, OrderLine, Return
from plans.models import Period

from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db

OCTOBER_NOON = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def closed_october():
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    default_plan()
    return close("2026-10")


def refused(match: str):
    """The statement fails at the database, and the test's transaction stays usable."""

    class Refused:
        def __enter__(self):
            self.raises = pytest.raises(IntegrityError, match=match)
            self.raises.__enter__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def __exit__(self, *exc):
            self.atomic.__exit__(*exc)
            return self.raises.__exit__(*exc)

    return Refused()


def test_ledger_lines_of_a_closed_period_cannot_be_changed_deleted_or_added(closed_october):
    run = closed_october
    line = LedgerLine.objects.filter(run=run).first()
    with refused("append-only"):
        LedgerLine.objects.filter(pk=line.pk).update(amount=Decimal("999.00"))
    with refused("append-only"):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM commissions_ledgerline WHERE run_id = %s", [run.pk])
    with refused("closed period"):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO commissions_ledgerline (run_id, period_id, distributor_id, kind, key, level, "
                "rate, base, amount) VALUES (%s, %s, %s, 'adjustment', 'sneaky', 0, 1, 5, 5)",
                [run.pk, run.period_id, line.distributor_id],
            )
    assert LedgerLine.objects.get(pk=line.pk).amount == line.amount


def test_statements_results_and_the_period_row_of_a_closed_period_cannot_change(closed_october):
    run = closed_october
    with refused("closed period"):
        Statement.objects.filter(run=run).update(payout=Decimal("0"), carried_out=F_net())
    with refused("closed period"):
        DistributorPeriod.objects.filter(run=run).delete()
    with refused("closed period"):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE commissions_distributorperiod SET paid_as_rank = 6 WHERE run_id = %s", [run.pk]
            )
    with refused("is closed and can no longer change"):
        Period.objects.filter(pk=run.period_id).update(status="open")
    with refused("is closed and can no longer change"):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM commissions_period WHERE id = %s", [run.period_id])
    assert Period.objects.get(pk=run.period_id).status == "closed"


def F_net():
    from django.db.models import F

    return F("net")


def test_no_order_line_or_refund_can_be_dated_into_a_closed_period(closed_october):
    p = Distributor.objects.get(external_id="P")
    with refused("cannot count in period 2026-10-01: that period is closed"):
        Order.objects.create(
            number="LATE-1", distributor=p, purpose="personal", status="paid", paid_at=OCTOBER_NOON,
            commission_date=OCTOBER_NOON, commission_period=period("2026-10"),
        )  # fmt: skip
    november = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
    order = Order.objects.create(
        number="NOV-1", distributor=p, purpose="personal", status="paid", paid_at=november,
        commission_date=november, commission_period=period("2026-11"),
    )  # fmt: skip
    with refused("that period is closed"):
        Order.objects.filter(pk=order.pk).update(
            commission_date=OCTOBER_NOON, commission_period=period("2026-10")
        )
    october_order = Order.objects.get(external_id="S2")
    with refused("cannot be moved out of it"):
        Order.objects.filter(pk=october_order.pk).update(commission_period=period("2026-11"))
    with refused("count in a closed period and cannot change"):
        OrderLine.objects.filter(order=october_order).update(quantity=5)
    with refused("a refund cannot be dated in period 2026-10-01"):
        Return.objects.create(
            order=october_order, refunded_at=OCTOBER_NOON, refund_period=period("2026-10"), refund_amount=1
        )
    # A later return changes the status of an October order: that is allowed.
    Order.objects.filter(pk=october_order.pk).update(status="returned")


def test_preview_lines_can_be_pruned_but_never_edited(closed_october):
    preview = close("2026-11", preview=True)
    assert preview.kind == "preview" and preview.status == "succeeded"
    line = LedgerLine.objects.filter(run=preview).first()
    with refused("append-only"):
        LedgerLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00"))
    LedgerLine.objects.filter(run=preview).delete()
    assert not LedgerLine.objects.filter(run=preview).exists()
    assert CloseRun.objects.get(pk=preview.pk).period.status == "open"


def test_an_order_cannot_be_dated_into_a_period_while_its_close_runs():
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    default_plan()
    from django.test import TestCase

    from commissions.close import close_start

    with TestCase.captureOnCommitCallbacks(execute=False):
        close_start(period=period("2026-10"))  # started, not yet run: the period is closing
    assert Period.objects.get(start=period("2026-10")).status == "closing"
    with refused("that period is closed"):
        Order.objects.create(
            number="DURING-CLOSE", distributor=Distributor.objects.get(external_id="T"),
            purpose="personal", status="paid", paid_at=OCTOBER_NOON, commission_date=OCTOBER_NOON,
            commission_period=period("2026-10"),
        )  # fmt: skip


def test_close_rows_refer_to_existing_distributors_checked_per_statement():
    # Results, ledger lines and statements have no per-row foreign key to the distributor (the
    # close writes millions of them); a statement-level trigger refuses rows of unknown ones.
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    default_plan()
    preview = close("2026-10", preview=True)
    line = LedgerLine.objects.filter(run=preview, kind="override").first()
    missing = Distributor.objects.order_by("-id").values_list("id", flat=True).first() + 1000
    insert = (
        "INSERT INTO commissions_ledgerline (run_id, period_id, distributor_id, source_id, kind, key, level, "
        "rate, base, amount) VALUES (%s, %s, %s, %s, 'override', 'x', 1, 0.05, 10, 0.50)"
    )
    with refused(f"distributor {missing}, which does not exist"):
        with connection.cursor() as cursor:
            cursor.execute(insert, [preview.pk, preview.period_id, missing, line.source_id])
    with refused(f"distributor {missing}, which does not exist"):
        with connection.cursor() as cursor:
            cursor.execute(insert, [preview.pk, preview.period_id, line.distributor_id, missing])
    # One unknown among known ones, in one statement (a chunk's COPY is one statement).
    with refused(f"distributor {missing}, which does not exist"):
        with connection.cursor() as cursor:
            cursor.execute(
                insert.replace("'x'", "'y'") + ", (%s, %s, %s, %s, 'override', 'z', 1, 0.05, 10, 0.50)",
                [preview.pk, preview.period_id, line.distributor_id, line.source_id,
                 preview.pk, preview.period_id, missing, line.source_id],
            )  # fmt: skip
    with refused(f"distributor {missing}, which does not exist"):
        Statement.objects.filter(pk=Statement.objects.filter(run=preview).first().pk).update(
            distributor_id=missing
        )
    with refused(f"distributor {missing}, which does not exist"):
        DistributorPeriod.objects.filter(pk=DistributorPeriod.objects.filter(run=preview).first().pk).update(
            distributor_id=missing
        )
    # A distributor with close rows cannot be deleted, not even by raw SQL.
    leaf = Distributor.objects.filter(pk=line.source_id).first()
    with refused(f"distributor {leaf.pk} has close results"):
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM distributors_distributor WHERE sponsor_id IS NOT NULL AND id = %s", [leaf.pk]
            )


def test_reference_check_of_a_range_of_ids_finds_the_one_missing_in_a_gap():
    # A chunk's rows name consecutive distributors, checked by counting the range of ids between
    # the lowest and the highest; an id missing inside that range must still be refused, and a set
    # of known ids around a gap accepted.
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    default_plan()
    preview = close("2026-10", preview=True)
    ids = sorted(Distributor.objects.values_list("id", flat=True))
    gap = ids[-1] + 1
    after_gap = Distributor.objects.create(
        external_id="AFTER-GAP", first_name="Ann", last_name="Gap", email="gap@example.com",
        sponsor_id=ids[0], enrolled_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC), id=gap + 1,
    )  # fmt: skip
    insert = (
        "INSERT INTO commissions_statement (run_id, period_id, distributor_id, carried_in, personal, "
        "override, clawbacks, adjustments, net, payout, carried_out) "
        "SELECT %s, %s, x, 0, 0, 0, 0, 0, 0, 0, 0 FROM unnest(%s::bigint[]) AS x"
    )
    Statement.objects.filter(run=preview).delete()
    with connection.cursor() as cursor:  # every one known, around the gap: accepted
        cursor.execute(insert, [preview.pk, preview.period_id, [*ids, after_gap.pk]])
    Statement.objects.filter(run=preview).delete()
    with refused(f"distributor {gap}, which does not exist"):
        with connection.cursor() as cursor:
            cursor.execute(insert, [preview.pk, preview.period_id, [*ids, gap, after_gap.pk]])
