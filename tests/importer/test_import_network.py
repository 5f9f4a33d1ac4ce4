"""`import_network DIR`: the example files import exactly; bad files change nothing and say why."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from distributors.models import Distributor
from distributors.selectors import tree_check
from distributors.tree import compute_numbering
from importer import files
from importer.services import ImportFailed, import_network
from orders.models import (
    Customer,
    Demonstration,
    Order,
    OrderLine,
    Product,
    Return,
    ReturnLine,
)
from plans.models import Period, PeriodStatus, Plan
from tests.conftest import standard_plan_document

pytestmark = pytest.mark.django_db

EXAMPLES = Path("/work/shared/spec/examples")
if not EXAMPLES.exists():  # the spec beside the checkout
    EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "spec" / "examples"

PRODUCTS = "sku,name,retail_price,wholesale_price,qv,cv,commissionable,buyback_eligible\n"
DISTRIBUTORS = "id,sponsor_id,first_name,last_name,email,enrolled_at,status,country\n"
CUSTOMERS = "id,distributor_id,first_name,last_name,email,kind\n"
ORDERS = "order_id,distributor_id,customer_id,purpose,paid_at,sku,quantity,unit_price,demonstration_id\n"
DEMONSTRATIONS = "id,distributor_id,host_customer_id,held_at,closed_at\n"
RETURNS = "order_id,sku,quantity,refunded_at\n"

BASE = {
    "products.csv": PRODUCTS + "TM1,Thermo blender,100.00,75.00,75,75.00,true,true\n",
    "distributors.csv": DISTRIBUTORS
    + "A,,Anna,A,a@example.nl,2025-01-01T10:00:00+01:00,active,NL\n"
    + "B,A,Bram,B,b@example.nl,2025-02-01T10:00:00+01:00,active,NL\n",
    "orders.csv": ORDERS
    + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,2,,\n"
    + "O2,B,,personal,2026-10-11T12:00:00+02:00,TM1,1,,\n",
}

MODELS = (Product, Distributor, Customer, Demonstration, Order, OrderLine, Return, ReturnLine)


def make_dir(tmp_path: Path, **files: str) -> Path:
    """A directory of import files: BASE, with files replaced (or removed when given None)."""
    contents = {**BASE, **{name.replace("_csv", ".csv"): text for name, text in files.items()}}
    for name, text in contents.items():
        if text is not None:
            (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def snapshot() -> tuple:
    """Row counts and a checksum of every row's values: equal snapshots, unchanged database."""
    digest = hashlib.sha256()
    counts = []
    for model in MODELS:
        rows = list(model.objects.order_by("pk").values_list())
        counts.append(len(rows))
        digest.update(repr(rows).encode())
    return tuple(counts), digest.hexdigest()


def import_errors(directory: Path) -> list[str]:
    """Run the command on bad files; return the lines it printed on stderr."""
    stderr = StringIO()
    with pytest.raises(CommandError, match=r"problem\(s\) found in the import files; nothing was imported"):
        call_command("import_network", str(directory), stdout=StringIO(), stderr=stderr)
    return stderr.getvalue().splitlines()


def assert_rejected(directory: Path, expected: list[str]) -> None:
    before = snapshot()
    assert import_errors(directory) == expected
    assert snapshot() == before


def assert_tree_consistent() -> None:
    numbers = compute_numbering(Distributor.objects.values_list("id", "sponsor_id"))
    for node_id, tree_id, lft, rght, level in Distributor.objects.values_list(
        "id", "tree_id", "lft", "rght", "level"
    ):
        n = numbers[node_id]
        assert (n.tree_id, n.lft, n.rght, n.level) == (tree_id, lft, rght, level)
    assert tree_check().ok


# --- the examples -------------------------------------------------------------------------


def test_s1_imports_the_network_catalogue_and_orders():
    stdout = StringIO()
    call_command("import_network", str(EXAMPLES / "s1"), stdout=stdout)

    assert "distributors: 11 created, 0 already present" in stdout.getvalue()
    assert "orders: 41 created, 0 already present" in stdout.getvalue()
    assert [model.objects.count() for model in MODELS] == [1, 11, 33, 0, 41, 41, 0, 0]
    a = Distributor.objects.get(external_id="A")
    assert a.sponsor_id is None
    assert sorted(Distributor.objects.filter(sponsor=a).values_list("external_id", flat=True)) == [
        "B",
        "C",
        "K",
    ]
    assert Distributor.objects.get(external_id="H").sponsor.external_id == "E"
    assert a.enrolled_at == dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
    assert (a.first_name, a.email, a.status, a.country) == ("Anna", "a@example.nl", "active", "NL")
    assert len({d.referral_code for d in Distributor.objects.all()}) == 11
    assert_tree_consistent()

    # C's own order of 4 units, at the wholesale price.
    o17 = Order.objects.get(external_id="O17")
    assert (o17.number, o17.distributor.external_id, o17.customer, o17.purpose, o17.status) == (
        "O17",
        "C",
        None,
        "personal",
        "paid",
    )
    assert o17.paid_at == dt.datetime(2026, 10, 5, 7, 0, tzinfo=dt.UTC)
    assert o17.commission_date == o17.paid_at
    assert o17.commission_period == dt.date(2026, 10, 1)
    line = o17.lines.get()
    assert (line.sku, line.quantity, line.unit_list_price, line.unit_price) == (
        "TM1",
        4,
        Decimal("75.00"),
        Decimal("75.00"),
    )
    assert (line.unit_qv, line.unit_cv, line.vat_rate, line.commissionable) == (
        Decimal("75"),
        Decimal("75"),
        Decimal("0.21"),
        True,
    )
    # A customer order: retail price, credited to the seller, customer created as theirs.
    o1 = Order.objects.get(external_id="O1")
    assert o1.customer.external_id == "A-c0"
    assert o1.customer.distributor == a
    assert o1.customer.kind == "retail"
    assert o1.lines.get().unit_price == Decimal("100.00")
    assert Order.objects.filter(customer__external_id="A-c0").count() == 2

    # Every order counts in 2026-10; the volumes per distributor are the example's.
    assert set(Order.objects.values_list("commission_period", flat=True)) == {dt.date(2026, 10, 1)}
    qv = {}
    for ext, quantity, unit_qv in OrderLine.objects.values_list(
        "order__distributor__external_id", "quantity", "unit_qv"
    ):
        qv[ext] = qv.get(ext, 0) + quantity * unit_qv
    assert qv == {
        "A": 600, "B": 450, "C": 450, "K": 150, "D": 300, "J": 150,
        "H": 150, "I": 300, "G": 225, "F": 525,
    }  # fmt: skip
    assert OrderLine.objects.get(order__external_id="O17").quantity * 75 == 300  # C's own, of 450


def test_reimporting_the_same_files_changes_nothing():
    import_network(directory=EXAMPLES / "s1")
    before = snapshot()

    summary = import_network(directory=EXAMPLES / "s1")

    assert snapshot() == before
    assert sum(summary.created.values()) == 0
    assert summary.already_present["distributors"] == 11
    assert summary.already_present["orders"] == 41
    assert summary.already_present["order_lines"] == 41
    assert summary.already_present["products"] == 1


def test_s4_imports_its_return_in_the_refund_period():
    import_network(directory=EXAMPLES / "s4")
    assert [model.objects.count() for model in MODELS] == [2, 3, 4, 0, 4, 4, 1, 1]

    refund = Return.objects.get()
    assert refund.order.external_id == "S2"
    assert (refund.kind, refund.refund_period, refund.refund_amount) == (
        "return",
        dt.date(2026, 11, 1),
        Decimal("15.00"),
    )
    assert refund.refunded_at == dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
    assert refund.external_key == "S2|W|2026-11-03T09:00:00+00:00|1"
    line = refund.lines.get()
    assert (line.order_line.sku, line.quantity, line.refund_amount) == ("W", 1, Decimal("15.00"))
    assert refund.order.status == "returned"
    assert refund.order.commission_period == dt.date(2026, 10, 1)
    w = OrderLine.objects.get(order__external_id="S2")
    assert (w.unit_qv, w.unit_cv, w.unit_price) == (Decimal("12.5"), Decimal("12.50"), Decimal("15.00"))
    assert Order.objects.get(external_id="S1").status == "paid"

    before = snapshot()
    summary = import_network(directory=EXAMPLES / "s4")
    assert snapshot() == before
    assert summary.already_present["returns"] == 1


def test_an_order_paid_late_on_31_october_utc_counts_in_november(tmp_path):
    directory = make_dir(tmp_path, orders_csv=ORDERS + "O1,A,c1,customer,2026-10-31T23:30:00Z,TM1,1,,\n")
    import_network(directory=directory)
    order = Order.objects.get()
    assert order.commission_date == dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
    assert order.commission_period == dt.date(2026, 11, 1)


def test_rows_in_any_order_and_optional_files(tmp_path):
    directory = make_dir(
        tmp_path,
        distributors_csv=DISTRIBUTORS
        + "C,B,Cor,C,c@example.nl,2025-03-01T10:00:00+01:00,terminated,BE\n"
        + "B,A,Bram,B,b@example.nl,2025-02-01T10:00:00+01:00,hold,NL\n"
        + "A,,Anna,A,a@example.nl,2025-01-01T10:00:00+01:00,active,NL\n",
        customers_csv=CUSTOMERS + "h1,A,Hanna,Host,h@example.nl,host\nc1,A,Carl,Customer,,preferred\n",
        demonstrations_csv=DEMONSTRATIONS
        + "P1,A,h1,2026-10-01T19:00:00+02:00,2026-10-20T10:00:00+02:00\n"
        + "P2,A,h1,2026-11-01T19:00:00+01:00,\n",
        orders_csv=ORDERS
        + "O1,A,c1,customer,2026-10-01T21:00:00+02:00,TM1,2,90.00,P1\n"
        + "O2,A,g2,customer,2026-10-01T21:05:00+02:00,TM1,1,,P1\n"
        + "O1,A,c1,customer,2026-10-01T21:00:00+02:00,TM1,1,,P1\n"
        + "O3,A,g3,customer,2026-11-01T21:00:00+01:00,TM1,1,,P2\n"
        + "O4,C,,inventory,2026-09-01T21:00:00+02:00,TM1,3,,\n",
    )
    import_network(directory=directory)

    c = Distributor.objects.get(external_id="C")
    assert (c.sponsor.external_id, c.status, c.country) == ("B", "terminated", "BE")
    assert c.terminated_at is not None
    assert Distributor.objects.get(external_id="B").status == "hold"
    assert_tree_consistent()
    assert dict(Customer.objects.values_list("external_id", "kind")) == {
        "h1": "host", "c1": "preferred", "g2": "retail", "g3": "retail",
    }  # fmt: skip
    assert set(Customer.objects.values_list("distributor__external_id", flat=True)) == {"A"}

    # A closed demonstration: its orders count when it closed; QPS is what was paid.
    p1 = Demonstration.objects.get(external_id="P1")
    assert (p1.status, p1.consultant.external_id, p1.host.external_id, p1.qps) == (
        "closed",
        "A",
        "h1",
        Decimal("380.00"),
    )
    o1 = Order.objects.get(external_id="O1")
    assert o1.lines.count() == 2
    assert sorted(o1.lines.values_list("unit_price", flat=True)) == [Decimal("90.00"), Decimal("100.00")]
    assert (o1.status, o1.commission_date, o1.commission_period) == (
        "paid",
        dt.datetime(2026, 10, 20, 8, 0, tzinfo=dt.UTC),
        dt.date(2026, 10, 1),
    )
    # A demonstration not closed yet: its orders stay pending, with no commission date.
    p2 = Demonstration.objects.get(external_id="P2")
    assert (p2.status, p2.closed_at, p2.qps) == ("planned", None, None)
    o3 = Order.objects.get(external_id="O3")
    assert (o3.status, o3.commission_date, o3.commission_period) == ("pending", None, None)
    # An inventory order: wholesale price.
    assert OrderLine.objects.get(order__external_id="O4").unit_price == Decimal("75.00")


def test_returns_take_the_first_line_with_enough_left_and_count_earlier_returns(tmp_path):
    directory = make_dir(
        tmp_path,
        orders_csv=ORDERS
        + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,1,80.00,\n"
        + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,3,,\n",
        returns_csv=RETURNS + "O1,TM1,2,2026-10-20T12:00:00+02:00\n",
    )
    import_network(directory=directory)
    refund = Return.objects.get()
    assert refund.refund_amount == Decimal("200.00")
    assert list(refund.lines.values_list("order_line__quantity", "quantity")) == [(3, 2)]
    assert refund.order.status == "partly_returned"

    # Later: two identical rows return one unit each; then the whole order is back.
    (tmp_path / "returns.csv").write_text(
        RETURNS
        + "O1,TM1,2,2026-10-20T12:00:00+02:00\n"
        + "O1,TM1,1,2026-11-02T12:00:00+01:00\n"
        + "O1,TM1,1,2026-11-02T12:00:00+01:00\n"
    )
    summary = import_network(directory=directory)
    assert (summary.created["returns"], summary.already_present["returns"]) == (2, 1)
    assert sorted(ReturnLine.objects.values_list("order_line__unit_price", "quantity", "refund_amount")) == [
        (Decimal("80.00"), 1, Decimal("80.00")),
        (Decimal("100.00"), 1, Decimal("100.00")),
        (Decimal("100.00"), 2, Decimal("200.00")),
    ]
    assert Order.objects.get().status == "returned"


# --- every kind of error: nothing imported, every problem listed ----------------------------


def test_unknown_sponsor(tmp_path):
    directory = make_dir(
        tmp_path,
        distributors_csv=BASE["distributors.csv"]
        + "C,Z,Cor,C,c@example.nl,2025-02-01T10:00:00+01:00,active,NL\n",
    )
    assert_rejected(directory, ["distributors.csv:4: unknown sponsor Z"])


def test_sponsor_cycle(tmp_path):
    directory = make_dir(
        tmp_path,
        distributors_csv=BASE["distributors.csv"]
        + "C,E,Cor,C,c@example.nl,2025-02-01T10:00:00+01:00,active,NL\n"
        + "D,C,Dirk,D,d@example.nl,2025-02-01T10:00:00+01:00,active,NL\n"
        + "E,D,Eva,E,e@example.nl,2025-02-01T10:00:00+01:00,active,NL\n"
        + "F,E,Fenna,F,f@example.nl,2025-02-01T10:00:00+01:00,active,NL\n"
        + "G,G,Gert,G,g@example.nl,2025-02-01T10:00:00+01:00,active,NL\n",
    )
    assert_rejected(
        directory,
        [
            "distributors.csv:4: sponsor cycle: C → E → D → C (no root above them)",
            "distributors.csv:8: distributor G cannot be their own sponsor (a sponsor cycle)",
        ],
    )


def test_duplicate_ids(tmp_path):
    directory = make_dir(
        tmp_path,
        products_csv=BASE["products.csv"] + "TM1,Thermo blender,100.00,75.00,75,75.00,true,true\n",
        distributors_csv=BASE["distributors.csv"]
        + "B,A,Bram,B,b@example.nl,2025-02-01T10:00:00+01:00,active,NL\n",
        customers_csv=CUSTOMERS + "c1,A,,,,retail\nc1,A,,,,retail\n",
        demonstrations_csv=DEMONSTRATIONS
        + "P1,A,c1,2026-10-01T19:00:00+02:00,\nP1,A,c1,2026-10-01T19:00:00+02:00,\n",
    )
    assert_rejected(
        directory,
        [
            "products.csv:3: duplicate sku TM1 (first on line 2)",
            "distributors.csv:4: duplicate id B (first on line 3)",
            "customers.csv:3: duplicate id c1 (first on line 2)",
            "demonstrations.csv:3: duplicate id P1 (first on line 2)",
        ],
    )


def test_zero_and_negative_quantities(tmp_path):
    directory = make_dir(
        tmp_path,
        orders_csv=ORDERS
        + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,0,,\n"
        + "O2,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,-2,,\n"
        + "O3,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,1.5,,\n",
        returns_csv=RETURNS + "O9,TM1,0,2026-10-20T12:00:00+02:00\n",
    )
    assert_rejected(
        directory,
        [
            "orders.csv:2: quantity must be positive, got 0",
            "orders.csv:3: quantity must be positive, got -2",
            "orders.csv:4: quantity '1.5' is not a whole number",
            "returns.csv:2: quantity must be positive, got 0",
        ],
    )


def test_a_line_larger_than_one_order_line_can_record(tmp_path):
    # The database could not store these lines (integer and bigint columns, money refunds): they
    # are refused with the other problems of the files instead of failing the import's insert.
    directory = make_dir(
        tmp_path,
        products_csv=PRODUCTS
        + "TM1,Thermo blender,100.00,75.00,75,75.00,true,true\n"
        + "BIG,Points galore,100.00,75.00,900000000,900000000,true,true\n",
        orders_csv=ORDERS
        + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,1000001,,\n"
        + "O2,B,,personal,2026-10-11T12:00:00+02:00,BIG,2000,,\n"
        + "O3,B,,personal,2026-10-11T12:00:00+02:00,TM1,1000000,,\n",
    )
    limits = "(at most 1000000 units, and less than 10^12 in points and in value)"
    assert_rejected(
        directory,
        [
            f"orders.csv:2: 1000001 x TM1 is more than one order line can record {limits}",
            f"orders.csv:3: 2000 x BIG is more than one order line can record {limits}",
        ],
    )


def test_unknown_sku_distributor_demonstration_and_order(tmp_path):
    directory = make_dir(
        tmp_path,
        orders_csv=ORDERS
        + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,XX9,1,,\n"
        + "O2,Q,,personal,2026-10-10T12:00:00+02:00,TM1,1,,\n"
        + "O3,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,1,,P9\n",
        returns_csv=RETURNS + "O7,TM1,1,2026-10-20T12:00:00+02:00\nO3,TM2,1,2026-10-20T12:00:00+02:00\n",
    )
    assert_rejected(
        directory,
        [
            "orders.csv:2: unknown sku XX9",
            "orders.csv:3: unknown distributor Q",
            "orders.csv:4: unknown demonstration P9 "
            "(not in demonstrations.csv nor the database, or cancelled)",
            "returns.csv:2: unknown order O7",
        ],
    )


def test_malformed_numbers_and_dates(tmp_path):
    directory = make_dir(
        tmp_path,
        products_csv=PRODUCTS
        + "TM1,Thermo blender,100.005,75.00,75.125,75,yes,true\n"
        + "TM2,Knife,1e3,-5.00,abc,7.50,false,False\n",
        distributors_csv=DISTRIBUTORS
        + "A,,Anna,A,a@example.nl,2025-01-01T10:00:00,active,NL\n"
        + "B,A,Bram,B,not-an-email,2025-02-31T10:00:00+01:00,sleeping,NL\n",
        orders_csv=ORDERS + "O1,A,c1,gift,10/10/2026,TM1,1,12.345,\n",
    )
    assert_rejected(
        directory,
        [
            "products.csv:2: retail_price '100.005' is not an amount (digits with at most 2 decimals)",
            "products.csv:2: qv '75.125' is not a number of points (at most 2 decimals)",
            "products.csv:2: commissionable 'yes' is not a boolean (true or false)",
            "products.csv:3: retail_price '1e3' is not an amount (digits with at most 2 decimals)",
            "products.csv:3: wholesale_price -5.00 must not be negative",
            "products.csv:3: qv 'abc' is not a number of points (at most 2 decimals)",
            "distributors.csv:2: enrolled_at '2025-01-01T10:00:00' has no UTC offset "
            "(write e.g. 2026-10-10T12:00:00+02:00)",
            "distributors.csv:3: email 'not-an-email' is not an e-mail address",
            "distributors.csv:3: enrolled_at '2025-02-31T10:00:00+01:00' is not an ISO 8601 timestamp "
            "(e.g. 2026-10-10T12:00:00+02:00)",
            "distributors.csv:3: status 'sleeping' is not one of active, hold, terminated",
            "orders.csv:2: paid_at '10/10/2026' is not an ISO 8601 timestamp "
            "(e.g. 2026-10-10T12:00:00+02:00)",
            "orders.csv:2: unit_price '12.345' is not an amount (digits with at most 2 decimals)",
            "orders.csv:2: purpose 'gift' is not one of customer, personal, inventory",
        ],
    )


def test_timestamps_out_of_range(tmp_path):
    """Years 1970..2999: 9999-12-31 would overflow the company time zone on every page showing it."""
    directory = make_dir(
        tmp_path,
        distributors_csv=DISTRIBUTORS
        + "A,,Anna,A,a@example.nl,9999-12-31T23:59:00Z,active,NL\n"
        + "B,A,Bram,B,b@example.nl,1969-12-31T23:59:59Z,active,NL\n",
        orders_csv=ORDERS
        + "O1,A,c1,customer,9999-12-31T23:59:00-05:00,TM1,2,,\n"
        + "O2,B,,personal,0001-01-01T00:00:00+01:00,TM1,1,,\n",
    )
    assert_rejected(
        directory,
        [
            "distributors.csv:2: enrolled_at '9999-12-31T23:59:00Z' is out of range "
            "(the year must be 1970 to 2999)",
            "distributors.csv:3: enrolled_at '1969-12-31T23:59:59Z' is out of range "
            "(the year must be 1970 to 2999)",
            "orders.csv:2: paid_at '9999-12-31T23:59:00-05:00' is out of range "
            "(the year must be 1970 to 2999)",
            "orders.csv:3: paid_at '0001-01-01T00:00:00+01:00' is out of range "
            "(the year must be 1970 to 2999)",
        ],
    )


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("1970-01-01T00:00:00Z", dt.datetime(1970, 1, 1, tzinfo=dt.UTC)),
        ("2999-12-31T23:59:59-12:00", dt.datetime(3000, 1, 1, 11, 59, 59, tzinfo=dt.UTC)),
    ],
)
def test_the_first_and_last_year_are_accepted(text, utc):
    assert files.moment(text, "paid_at") == utc


def test_customer_order_without_a_customer(tmp_path):
    directory = make_dir(
        tmp_path,
        orders_csv=ORDERS
        + "O1,A,,customer,2026-10-10T12:00:00+02:00,TM1,1,,\n"
        + "O2,A,c1,personal,2026-10-10T12:00:00+02:00,TM1,1,,\n",
    )
    assert_rejected(
        directory,
        [
            "orders.csv:2: order O1 is a customer order without a customer_id",
            "orders.csv:3: order O2 is a personal order: customer_id must be empty",
        ],
    )


def test_a_customer_of_another_distributor(tmp_path):
    directory = make_dir(
        tmp_path,
        customers_csv=CUSTOMERS + "c1,B,,,,retail\nc9,Q,,,,retail\n",
        orders_csv=ORDERS
        + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,1,,\n"
        + "O9,A,c9,customer,2026-10-10T12:00:00+02:00,TM1,1,,\n"
        + "O2,A,n1,customer,2026-10-10T12:00:00+02:00,TM1,1,,\n"
        + "O3,B,n1,customer,2026-10-10T12:00:00+02:00,TM1,1,,\n",
    )
    assert_rejected(
        directory,
        [
            "customers.csv:3: unknown distributor Q",
            "orders.csv:2: customer c1 belongs to distributor B (customers.csv:2), not to A",
            "orders.csv:5: customer n1 belongs to distributor A (orders.csv:4), not to B",
        ],
    )


def test_return_of_more_than_was_bought(tmp_path):
    directory = make_dir(
        tmp_path,
        returns_csv=RETURNS
        + "O1,TM1,1,2026-10-20T12:00:00+02:00\n"
        + "O1,TM1,2,2026-10-21T12:00:00+02:00\n"
        + "O2,TM1,2,2026-10-21T12:00:00+02:00\n",
    )
    assert_rejected(
        directory,
        [
            "returns.csv:3: return of more than was bought: order O1 bought 2 × TM1, 1 returned before, "
            "2 returned here",
            "returns.csv:4: return of more than was bought: order O2 bought 1 × TM1, 0 returned before, "
            "2 returned here",
        ],
    )


def test_return_of_more_than_was_bought_counts_returns_already_imported(tmp_path):
    make_dir(tmp_path, returns_csv=RETURNS + "O1,TM1,1,2026-10-20T12:00:00+02:00\n")
    import_network(directory=tmp_path)
    (tmp_path / "returns.csv").write_text(
        RETURNS + "O1,TM1,1,2026-10-20T12:00:00+02:00\nO1,TM1,2,2026-11-20T12:00:00+01:00\n"
    )
    assert_rejected(
        tmp_path,
        [
            "returns.csv:3: return of more than was bought: order O1 bought 2 × TM1, 1 returned before, "
            "2 returned here"
        ],
    )


def test_orders_and_returns_in_a_closed_period(tmp_path):
    import_network(directory=make_dir(tmp_path))
    plan = Plan.objects.create(
        name="Default", version="1", plan_type="unilevel", document=standard_plan_document()
    )
    # The first import opened the period (its rows are dated in it); it has closed since.
    Period.objects.update_or_create(
        start=dt.date(2026, 10, 1),
        defaults={"status": PeriodStatus.CLOSED, "plan": plan, "closed_at": timezone.now()},
    )
    # O1 and O2 are already imported: listing them again is fine. O4 and the return are new.
    (tmp_path / "orders.csv").write_text(
        BASE["orders.csv"]
        + "O3,A,c1,customer,2026-11-01T00:30:00+01:00,TM1,1,,\n"
        + "O4,A,c1,customer,2026-10-31T22:30:00Z,TM1,1,,\n"
    )
    (tmp_path / "returns.csv").write_text(
        RETURNS + "O1,TM1,1,2026-10-20T12:00:00+02:00\nO3,TM1,1,2026-11-02T12:00:00+01:00\n"
    )
    message = (
        "counts in 2026-10, a period that is closed: "
        "corrections of a closed period are adjustments in an open one"
    )
    assert_rejected(
        tmp_path,
        [f"orders.csv:5: order O4 {message}", f"returns.csv:2: the return of order O1 {message}"],
    )


def test_wrong_header_and_missing_file(tmp_path):
    directory = make_dir(
        tmp_path,
        products_csv="sku,name,retail,wholesale_price,qv,cv,commissionable,buyback_eligible\n"
        "TM1,Thermo blender,100.00,75.00,75,75.00,true,true\n",
        orders_csv=None,
    )
    assert_rejected(
        directory,
        [
            "products.csv:1: missing column(s) retail_price: the header must be "
            "sku,name,retail_price,wholesale_price,qv,cv,commissionable,buyback_eligible",
            "products.csv:1: unknown column 'retail': the header must be "
            "sku,name,retail_price,wholesale_price,qv,cv,commissionable,buyback_eligible",
            "orders.csv:1: the file is missing: orders.csv is required",
        ],
    )


def test_a_row_with_the_wrong_number_of_fields(tmp_path):
    directory = make_dir(tmp_path, orders_csv=BASE["orders.csv"] + "O3,A,c1,customer\n")
    assert_rejected(directory, ["orders.csv:4: expected 9 fields, found 4"])


def test_lines_of_one_order_must_agree(tmp_path):
    directory = make_dir(
        tmp_path,
        orders_csv=BASE["orders.csv"] + "O1,B,c1,customer,2026-10-10T12:00:00+02:00,TM1,1,,\n",
    )
    assert_rejected(
        directory,
        [
            "orders.csv:4: order O1: distributor_id differ(s) from its line 2 "
            "(all lines of one order share them)",
        ],
    )


def test_existing_ids_with_different_data(tmp_path):
    import_network(directory=make_dir(tmp_path))
    (tmp_path / "products.csv").write_text(PRODUCTS + "TM1,Thermo blender,110.00,75.00,75,75.00,true,true\n")
    (tmp_path / "distributors.csv").write_text(
        DISTRIBUTORS
        + "A,,Anna,A,a@example.nl,2025-01-01T10:00:00+01:00,active,NL\n"
        + "C,A,Cor,C,c@example.nl,2025-02-01T10:00:00+01:00,active,NL\n"
        + "B,C,Bram,B,bram@example.nl,2025-02-01T10:00:00+01:00,active,NL\n"
    )
    (tmp_path / "orders.csv").write_text(
        ORDERS
        + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,3,100.00,\n"
        + "O2,B,,personal,2026-10-11T12:00:00+02:00,TM1,1,,\n"
    )
    assert_rejected(
        tmp_path,
        [
            "products.csv:2: sku TM1 already exists with different retail_price",
            "distributors.csv:4: id B already exists with different sponsor, email "
            "(a change of sponsor is a move: make it in the admin)",
            "orders.csv:2: order O1 already exists with different lines",
        ],
    )


def test_every_problem_of_several_files_is_listed_in_one_run(tmp_path):
    directory = make_dir(
        tmp_path,
        distributors_csv=BASE["distributors.csv"]
        + "C,Z,Cor,C,c@example.nl,2025-02-01T10:00:00+01:00,active,NL\n",
        orders_csv=BASE["orders.csv"] + "O3,A,,customer,2026-10-10T12:00:00+02:00,TM9,-1,,\n",
        returns_csv=RETURNS + "O2,TM1,5,2026-10-20T12:00:00+02:00\n",
    )
    errors = import_errors(directory)
    assert errors == [
        "distributors.csv:4: unknown sponsor Z",
        "orders.csv:4: order O3 is a customer order without a customer_id",
        "orders.csv:4: quantity must be positive, got -1",
        "returns.csv:2: return of more than was bought: order O2 bought 1 × TM1, "
        "0 returned before, 5 returned here",
    ]
    assert Distributor.objects.count() == 0


def test_import_failed_carries_every_error(tmp_path):
    directory = make_dir(tmp_path, orders_csv=ORDERS + "O1,A,c1,customer,2026-10-10T12:00:00+02:00,TM1,0,,\n")
    with pytest.raises(ImportFailed) as caught:
        import_network(directory=directory)
    assert caught.value.errors == ["orders.csv:2: quantity must be positive, got 0"]
    assert caught.value.extra == {"errors": caught.value.errors}


# --- scale: iterative, and no per-row queries ------------------------------------------------


def test_a_10000_deep_sponsor_chain_listed_bottom_up(tmp_path):
    depth = 10_000
    rows = [
        f"D{i},{f'D{i - 1}' if i else ''},F{i},L{i},d{i}@example.nl,2025-01-01T10:00:00+01:00,active,NL\n"
        for i in range(depth)
    ]
    directory = make_dir(
        tmp_path,
        distributors_csv=DISTRIBUTORS + "".join(reversed(rows)),
        orders_csv=ORDERS + f"O1,D{depth - 1},,personal,2026-10-10T12:00:00+02:00,TM1,1,,\n",
    )
    import_network(directory=directory)
    deepest = Distributor.objects.get(external_id=f"D{depth - 1}")
    root = Distributor.objects.get(external_id="D0")
    spacing = root.lft  # positions 1..2 * depth, spread over the label space (ADR 0011)
    assert (deepest.level, deepest.lft, deepest.rght) == (depth - 1, depth * spacing, (depth + 1) * spacing)
    assert (root.level, root.rght, root.downline_size) == (0, 2 * depth * spacing, depth - 1)
    assert_tree_consistent()


def test_a_larger_import_runs_a_bounded_number_of_queries(tmp_path, django_assert_max_num_queries):
    distributors = [DISTRIBUTORS]
    for i in range(5_000):
        sponsor = f"D{(i - 1) // 4}" if i else ""
        distributors.append(f"D{i},{sponsor},F{i},L{i},d{i}@example.nl,2025-01-01T10:00:00+01:00,active,NL\n")
    orders = [ORDERS]
    returns = [RETURNS]
    for n in range(10_000):
        customer = n % 7_000
        seller = f"D{customer % 5_000}"
        orders.append(f"O{n},{seller},C{customer},customer,2026-10-10T12:00:00+02:00,TM1,2,,\n")
        orders.append(f"O{n},{seller},C{customer},customer,2026-10-10T12:00:00+02:00,TM2,1,9.99,\n")
        if n % 10 == 0:
            returns.append(f"O{n},TM1,1,2026-11-02T12:00:00+01:00\n")
    directory = make_dir(
        tmp_path,
        products_csv=BASE["products.csv"] + "TM2,Spatula,12.00,9.00,0,0,false,false\n",
        distributors_csv="".join(distributors),
        orders_csv="".join(orders),
        returns_csv="".join(returns),
    )
    with django_assert_max_num_queries(40):
        summary = import_network(directory=directory)
    assert summary.created == {
        "products": 2, "distributors": 5_000, "customers": 7_000, "demonstrations": 0,
        "orders": 10_000, "order_lines": 20_000, "returns": 1_000,
    }  # fmt: skip
    assert (
        OrderLine.objects.filter(sku="TM2", unit_qv=0, unit_cv=0, unit_price=Decimal("9.99")).count()
        == 10_000
    )
    assert Order.objects.filter(status="partly_returned").count() == 1_000
    assert_tree_consistent()
    with django_assert_max_num_queries(40):
        again = import_network(directory=directory)
    assert sum(again.created.values()) == 0


def test_demonstration_errors(tmp_path):
    directory = make_dir(
        tmp_path,
        demonstrations_csv=DEMONSTRATIONS
        + "P1,A,h1,2026-10-01T19:00:00+02:00,2026-09-30T10:00:00+02:00\n"
        + "P2,Q,h2,2026-10-01T19:00:00+02:00,\n"
        + "P3,A,h3,2026-10-01T19:00:00+02:00,2026-10-05T10:00:00+02:00\n",
        orders_csv=ORDERS
        + "O1,B,g1,customer,2026-10-01T21:00:00+02:00,TM1,1,,P3\n"
        + "O2,A,,personal,2026-10-01T21:00:00+02:00,TM1,1,,P3\n"
        + "O3,A,g3,customer,2026-10-01T21:00:00+02:00,TM1,1,,P2\n",
        returns_csv=RETURNS + "O4,TM1,1,2026-10-20T12:00:00+02:00\n",
    )
    assert_rejected(
        directory,
        [
            "demonstrations.csv:2: closed_at is before held_at",
            "demonstrations.csv:3: unknown distributor Q",
            "orders.csv:2: order O1 is at demonstration P3 of distributor A, not of B",
            "orders.csv:3: order O2 at a demonstration must be a customer order",
            "returns.csv:2: unknown order O4",
        ],
    )
