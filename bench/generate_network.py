"""Generate a synthetic network straight into PostgreSQL with COPY, for the close benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench \\
        .venv/bin/python bench/generate_network.py --distributors 100000 --period 2026-10

Writes N distributors in a skewed sponsor tree (a few deep legs, many shallow ones), one product
catalogue, 3 customers per distributor and 10 order lines per distributor in the period (customer
orders mostly, some own purchases, a few above the 200 QV cap), all paid. The tree numbers are
computed in memory (distributors.tree.compute_numbering) and written in the same COPY. Wipes the
distributor, order and commission tables of that database first (refuses unless --wipe is given
and the database name starts with "bo_bench").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# DEBUG is off, as in production, which wants a real key: a throwaway one unless given.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from network_shape import sponsor_links  # noqa: E402

from core.periods import parse_period, period_bounds  # noqa: E402
from distributors.tree import compute_numbering  # noqa: E402

PRODUCTS = [
    # sku, name, retail, wholesale, qv, cv, commissionable
    ("TM7", "Kitchen machine", "1359.00", "1100.00", "300", "300.00", True),
    ("CUT", "Cutter attachment", "129.00", "99.00", "30", "30.00", True),
    ("SPC", "Spice blend", "12.50", "9.50", "3", "3.00", True),
    ("OIL", "Olive oil 1 l", "19.95", "15.00", "5", "5.00", True),
    ("BOOK", "Cookbook", "39.00", "29.00", "10", "10.00", True),
    ("KIT", "Starter kit", "99.00", "99.00", "0", "0.00", False),
]


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distributors", type=int, default=10_000)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--lines-per-distributor", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="empty the tables first (required)")
    args = parser.parse_args()

    db_name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not str(db_name).startswith("bo_bench"):
        sys.exit("refusing: point DATABASE_URL at a PostgreSQL database whose name starts with bo_bench")
    if not args.wipe:
        sys.exit("refusing: this wipes the database's distributors, orders and commissions; pass --wipe")

    t0 = time.perf_counter()
    order_count, line_count = generate(
        args.distributors, args.period, lines_per_distributor=args.lines_per_distributor, seed=args.seed
    )
    print(
        f"generated {args.distributors} distributors, {order_count} orders, {line_count} order lines "
        f"in {args.period} in {time.perf_counter() - t0:.1f} s"
    )


def generate(n: int, period_text: str, *, lines_per_distributor: int = 10, seed: int = 7) -> tuple[int, int]:
    """Replace the connection's distributors, orders and commissions with the network; the number
    of orders and of order lines written."""
    rng = random.Random(seed)
    period = parse_period(period_text)
    start, end = period_bounds(period)
    span = (end - start).total_seconds()

    sponsors = sponsor_links(n, rng)
    # Ids start at 1: index i is id i + 1.
    numbers = compute_numbering((i + 1, None if s is None else s + 1) for i, s in enumerate(sponsors))
    enrolled = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE commissions_period, orders_returnline, orders_return, orders_orderline, orders_order, "
            "orders_hostcredit, orders_demonstrationguest, orders_demonstration, orders_buybackline, "
            "orders_buybackrequest, orders_customer, orders_product, distributors_sponsorchange, "
            "distributors_distributor RESTART IDENTITY CASCADE"
        )
        now = dt.datetime.now(dt.UTC)
        copy_rows(
            cursor,
            "distributors_distributor",
            [
                "id",
                "sponsor_id",
                "external_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "country",
                "status",
                "enrolled_at",
                "referral_code",
                "rank",
                "title",
                "created_at",
                "updated_at",
                "lft",
                "rght",
                "tree_id",
                "level",
                "downline_size",
            ],
            (
                (
                    i + 1,
                    None if s is None else s + 1,
                    f"D{i + 1}",
                    "Demo",
                    f"Distributor {i + 1}",
                    f"d{i + 1}@bench.example",
                    "",
                    "NL",
                    "active",
                    enrolled,
                    f"R{i + 1:09d}",
                    0,
                    0,
                    now,
                    now,
                    (num := numbers[i + 1]).lft,
                    num.rght,
                    num.tree_id,
                    num.level,
                    num.downline_size,
                )
                for i, s in enumerate(sponsors)
            ),
        )
        copy_rows(
            cursor,
            "orders_product",
            [
                "id",
                "sku",
                "name",
                "description",
                "retail_price",
                "wholesale_price",
                "vat_rate",
                "qv",
                "cv",
                "commissionable",
                "buyback_eligible",
                "is_seasonal",
                "is_discontinued",
                "is_promotional",
                "is_active",
                "created_at",
                "updated_at",
            ],
            (
                (
                    k + 1,
                    sku,
                    name,
                    "",
                    retail,
                    wholesale,
                    "0.21",
                    qv,
                    cv,
                    comm,
                    comm,
                    False,
                    False,
                    False,
                    True,
                    now,
                    now,
                )
                for k, (sku, name, retail, wholesale, qv, cv, comm) in enumerate(PRODUCTS)
            ),
        )
        customers_per = 3
        copy_rows(
            cursor,
            "orders_customer",
            [
                "id",
                "distributor_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "kind",
                "contact_consent_text",
                "created_at",
                "updated_at",
            ],
            (
                (d * customers_per + c + 1, d + 1, "Klant", f"{d + 1}-{c}", "", "", "retail", "", now, now)
                for d in range(n)
                for c in range(customers_per)
            ),
        )

        # Orders of two lines each: 5 orders per distributor at 10 lines per distributor. Each
        # distributor's orders come from their own seeded generator, so the order COPY and the
        # line COPY can both stream without holding 10M rows in memory.
        per_order = 2
        orders_per = max(1, lines_per_distributor // per_order)

        def orders_of(d: int):
            local = random.Random(seed * 1_000_003 + d)
            heavy_buyer = local.random() < 0.02
            for o in range(orders_per):
                order_id = d * orders_per + o + 1
                own = heavy_buyer or local.random() < 0.15
                paid = start + dt.timedelta(seconds=local.random() * span)
                customer = None if own else d * customers_per + local.randrange(customers_per) + 1
                order = (
                    order_id,
                    f"B{order_id}",
                    d + 1,
                    customer,
                    "personal" if own else "customer",
                    "paid",
                    "EUR",
                    paid,
                    paid,
                    period,
                    "0",
                    now,
                    now,
                )
                lines = []
                for j in range(per_order):
                    k = local.choices(range(len(PRODUCTS)), weights=(2, 10, 40, 30, 15, 3))[0]
                    sku, _, retail, wholesale, qv, cv, comm = PRODUCTS[k]
                    price = wholesale if own else retail
                    qty = local.randint(1, 3)
                    lines.append(
                        (
                            (order_id - 1) * per_order + j + 1,
                            order_id,
                            k + 1,
                            sku,
                            qty,
                            price,
                            price,
                            "0.21",
                            qv,
                            cv,
                            comm,
                            False,
                            False,
                            comm,
                        )
                    )
                yield order, lines

        order_count = copy_rows(
            cursor,
            "orders_order",
            [
                "id",
                "number",
                "distributor_id",
                "customer_id",
                "purpose",
                "status",
                "currency",
                "paid_at",
                "commission_date",
                "commission_period",
                "host_credit_redeemed",
                "created_at",
                "updated_at",
            ],
            (order for d in range(n) for order, _ in orders_of(d)),
        )
        line_count = copy_rows(
            cursor,
            "orders_orderline",
            [
                "id",
                "order_id",
                "product_id",
                "sku",
                "quantity",
                "unit_list_price",
                "unit_price",
                "vat_rate",
                "unit_qv",
                "unit_cv",
                "commissionable",
                "half_price",
                "excluded_from_buyback",
                "buyback_eligible",
            ],
            (line for d in range(n) for _, lines in orders_of(d) for line in lines),
        )
        for table in (
            "distributors_distributor",
            "orders_product",
            "orders_customer",
            "orders_order",
            "orders_orderline",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return order_count, line_count


if __name__ == "__main__":
    main()
