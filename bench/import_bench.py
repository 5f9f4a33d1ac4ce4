"""Generate an import directory of a large network and time `import_network` on it.

    createdb -h 127.0.0.1 -U postgres bo_import_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_import_bench \\
        .venv/bin/python bench/import_bench.py --distributors 100000 --lines 1000000 --dir /tmp/import-100k

Writes products.csv, distributors.csv (rows shuffled, so sponsors often come after their recruits),
customers.csv, demonstrations.csv, orders.csv (about 2 lines per order; customer orders mostly,
some own purchases and party orders) and returns.csv (1 in 50 orders) into --dir, migrates the
database, empties the import's tables when --wipe is given (only a database whose name starts
with "bo_import"), then runs the import twice (the second run must create nothing) and prints the
timings. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# DEBUG is off, as in production, which wants a real key: a throwaway one unless given.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from importer.services import import_network  # noqa: E402

PRODUCTS = [
    ("TM7", "Kitchen machine", "1359.00", "1100.00", "300", "300.00", "true", "true"),
    ("CUT", "Cutter attachment", "129.00", "99.00", "30", "30.00", "true", "true"),
    ("SPC", "Spice blend", "12.50", "9.50", "3", "3.00", "true", "false"),
    ("BOOK", "Cookbook", "29.95", "22.50", "7.5", "7.50", "true", "true"),
    ("KIT", "Starter kit", "99.00", "99.00", "0", "0.00", "false", "false"),
]


def generate(directory: Path, distributors: int, lines: int, seed: int) -> None:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "products.csv").open("w") as out:
        out.write("sku,name,retail_price,wholesale_price,qv,cv,commissionable,buyback_eligible\n")
        for row in PRODUCTS:
            out.write(",".join(row) + "\n")
    rows = []
    for i in range(distributors):
        # A few long legs and many shallow ones: recruits of recent and of early members.
        sponsor = (
            ""
            if i == 0
            else f"D{rng.randrange(max(0, i - 50), i) if rng.random() < 0.7 else rng.randrange(i)}"
        )
        status = "terminated" if rng.random() < 0.02 else ("hold" if rng.random() < 0.01 else "active")
        rows.append(
            f"D{i},{sponsor},First{i},Last{i},d{i}@example.nl,"
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00+01:00,{status},NL\n"
        )
    rng.shuffle(rows)
    with (directory / "distributors.csv").open("w") as out:
        out.write("id,sponsor_id,first_name,last_name,email,enrolled_at,status,country\n")
        out.writelines(rows)
    customers = distributors * 3
    with (directory / "customers.csv").open("w") as out:
        out.write("id,distributor_id,first_name,last_name,email,kind\n")
        for c in range(customers):
            out.write(f"C{c},D{c % distributors},Cust{c},Omer,,retail\n")
    demonstrations = max(1, distributors // 20)
    with (directory / "demonstrations.csv").open("w") as out:
        out.write("id,distributor_id,host_customer_id,held_at,closed_at\n")
        for p in range(demonstrations):
            out.write(
                f"P{p},D{p % distributors},C{p},2026-10-{1 + p % 20:02d}T19:00:00+02:00,"
                f"2026-10-{5 + p % 20:02d}T10:00:00+02:00\n"
            )
    returns = []
    with (directory / "orders.csv").open("w") as out:
        out.write(
            "order_id,distributor_id,customer_id,purpose,paid_at,sku,quantity,unit_price,demonstration_id\n"
        )
        written = 0
        order = 0
        while written < lines:
            order += 1
            roll = rng.random()
            day = 1 + order % 28
            paid_at = f"2026-10-{day:02d}T{8 + order % 12:02d}:{order % 60:02d}:00+02:00"
            if roll < 0.1:
                p = rng.randrange(demonstrations)
                # A guest of the consultant's (customers C{d + k * N} belong to distributor D{d}).
                dist, purpose, demo = p % distributors, "customer", f"P{p}"
                customer = f"C{dist + distributors * (1 + order % 2)}"
            elif roll < 0.8:
                c = rng.randrange(customers)
                dist, customer, purpose, demo = c % distributors, f"C{c}", "customer", ""
            else:
                dist, customer, purpose, demo = (
                    rng.randrange(distributors),
                    "",
                    rng.choice(("personal", "inventory")),
                    "",
                )
            skus = rng.sample(PRODUCTS, k=min(lines - written, 1 + (order % 3 == 0)))
            for sku in skus:
                quantity = 1 + (order % 4 == 0)
                price = "" if rng.random() < 0.9 else sku[3]
                out.write(
                    f"O{order},D{dist},{customer},{purpose},{paid_at},{sku[0]},{quantity},{price},{demo}\n"
                )
                written += 1
            if order % 50 == 0:
                returns.append(f"O{order},{skus[0][0]},1,2026-11-{1 + order % 20:02d}T12:00:00+01:00\n")
    with (directory / "returns.csv").open("w") as out:
        out.write("order_id,sku,quantity,refunded_at\n")
        out.writelines(returns)


def wipe() -> None:
    name = connection.settings_dict["NAME"]
    if not name.startswith("bo_import"):
        sys.exit(f"refusing to wipe {name}: only a database whose name starts with bo_import")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE orders_returnline, orders_return, orders_orderline, orders_order, "
            "orders_demonstration, orders_customer, orders_product, distributors_distributor "
            "RESTART IDENTITY CASCADE"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distributors", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/import-bench"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="empty the import's tables first")
    args = parser.parse_args()

    started = time.perf_counter()
    generate(args.dir, args.distributors, args.lines, args.seed)
    print(f"generated {args.dir} in {time.perf_counter() - started:.1f} s")
    call_command("migrate", verbosity=0)
    if args.wipe:
        wipe()
    for attempt in ("first import", "re-import"):
        started = time.perf_counter()
        summary = import_network(directory=args.dir)
        print(f"{attempt}: {time.perf_counter() - started:.1f} s")
        for line in summary.lines():
            print(f"  {line}")


if __name__ == "__main__":
    main()
