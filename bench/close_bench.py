"""Benchmark of the full monthly close against a floor measured in the same run.

    createdb -h 127.0.0.1 -U postgres bo_bench_100k
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench_100k
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python bench/close_bench.py --distributors 100000 --generate

The floor is what no close can beat: one SQL GROUP BY of the period's order lines (the
aggregation every close must do) plus a COPY of as many rows as the close wrote (results, ledger
lines, statements). The close runs end to end as `close_period` runs it (in-process here: no
broker), from the tree check to the closed period. Not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# DEBUG is off, as in production, which wants a real key: a throwaway one unless given.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from core.periods import parse_period  # noqa: E402

AGGREGATE_SQL = """
SELECT o.distributor_id, o.purpose,
       sum(l.quantity * l.unit_qv), sum(l.quantity * l.unit_cv), sum(l.quantity * l.unit_price),
       count(DISTINCT o.customer_id)
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.commission_period = %s AND o.status IN ('paid', 'partly_returned', 'returned')
GROUP BY o.distributor_id, o.purpose
"""


def measure_floor(period, rows_written: int) -> tuple[float, float]:
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute(AGGREGATE_SQL, [period])
        cursor.fetchall()
        aggregate = time.perf_counter() - t0
    with transaction.atomic(), connection.cursor() as cursor:
        # As wide as a ledger line: ids, kind, level, rate, base, amount, a key.
        cursor.execute(
            "CREATE TEMP TABLE floor_copy (run_id bigint, distributor_id bigint, source_id bigint, "
            "kind text, level int, rate numeric(8,4), base numeric(16,4), amount numeric(14,2), key text) "
            "ON COMMIT DROP"
        )
        t0 = time.perf_counter()
        with cursor.copy("COPY floor_copy FROM STDIN") as copy:
            for i in range(rows_written):
                copy.write_row(
                    (1, i, i // 2, "override", i % 5 + 1, "0.0500", "42.5000", "2.13", f"override:{i}:1")
                )
        copy_time = time.perf_counter() - t0
    return aggregate, copy_time


PHASES: dict[str, float] = {}


def postgres_cpu_seconds() -> float | None:
    """CPU time used by the local PostgreSQL server so far: its live processes plus what the
    postmaster collected from the ones that ended (backends, parallel workers). None when the
    server's processes cannot be read (another machine, another user)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, found = 0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found = True
        utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
        total += utime + stime + cutime + cstime
    return total / tick if found else None


def _timed(module, name: str, label: str) -> None:
    """Wrap module.name so the time spent in it adds up under `label` (nested phases overlap)."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            PHASES[label] = PHASES.get(label, 0.0) + time.perf_counter() - t0

    setattr(module, name, wrapper)


def instrument() -> None:
    import commissions.engine as engine
    import compliance.services as compliance
    from commissions.close import chunks, compute, finalize, start, threads
    from commissions.services import aggregation

    # Each function is wrapped in the module that calls it (where its name is looked up).
    _timed(compute, "tree_problems", "tree check (SQL, in the database during the engine)")
    _timed(aggregation, "order_volumes", "volume sums and paying customers (SQL, streamed into Python)")
    _timed(aggregation, "period_distributors", "distributors read (alongside the aggregation)")
    _timed(
        aggregation,
        "frozen_period_distributors",
        "final close: distributors frozen and read back (alongside the aggregation)",
    )
    _timed(aggregation, "period_tree", "period tree and engine structure (alongside the aggregation)")
    _timed(compute, "period_inputs", "inputs (period sponsors, engine input rows)")
    _timed(engine, "compute_period", "engine")
    _timed(compute, "clawback_lines", "clawbacks")
    _timed(compute, "adjustment_lines", "adjustments")
    _timed(compute, "carried_in_by_distributor", "carried in")
    _timed(compute, "build_statements", "statements")
    _timed(compute, "statement_totals", "statement totals (summary)")
    _timed(compute.ComputedClose, "summary", "run summary (after the last chunk is built)")
    import commissions.selectors.report_figures as report_figures

    _timed(report_figures, "order_figures", "compliance order figures (from the volumes)")
    _timed(report_figures, "run_figures", "compliance run figures (from the rows)")
    _timed(compute, "compute_close", "compute (all of the above)")
    _timed(compute, "encode_payload", "payload encode")
    _timed(compute, "compute_phase", "compute phase (+ chunks stored, written meanwhile)")
    _timed(chunks, "decode_payload", "payload decode")
    _timed(chunks, "write_chunk_rows", "chunk writes")
    _timed(threads, "close_chunk_write", "chunk tasks (claim, write, commit, finalize)")
    _timed(threads, "ranks_write", "ranks and titles (own connection, during the engine)")
    _timed(finalize, "ranks_write", "rank/title update by finalize (resumed computes only)")
    _timed(chunks, "close_run_finalize", "finalize (all calls)")
    _timed(start, "close_run_finalize", "finalize (all calls)")
    _timed(compliance, "compliance_report_compute", "compliance report (in finalize's transaction)")


def reset(period) -> None:
    """Forget every close of the database so the period can close again (bench databases only)."""
    db_name = connection.settings_dict["NAME"]
    if not str(db_name).startswith("bo_bench"):
        sys.exit("refusing: --reset runs only on a database whose name starts with bo_bench")
    with transaction.atomic(), connection.cursor() as cursor:
        # TRUNCATE fires no row or statement triggers of the immutability rules; the period row
        # itself is protected by a row trigger, which `replica` mode skips for this transaction.
        cursor.execute(
            "TRUNCATE commissions_ledgerline, commissions_statement, commissions_distributorperiod, "
            "commissions_closechunk, commissions_closeinput, commissions_closerun, "
            "compliance_compliancereport CASCADE"
        )
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM commissions_period")
        cursor.execute(
            "UPDATE distributors_distributor SET rank = 0, title = 0 WHERE rank <> 0 OR title <> 0"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE distributors_distributor")


def rows_written_by(run) -> int:
    from commissions.models import DistributorPeriod, LedgerLine, Statement

    return (
        LedgerLine.objects.filter(run=run).count()
        + Statement.objects.filter(run=run).count()
        + DistributorPeriod.objects.filter(run=run).count()
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distributors", type=int, default=10_000)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--generate", action="store_true", help="(re)generate the network first (wipes)")
    parser.add_argument(
        "--preview", action="store_true", help="benchmark a preview instead of the final close"
    )
    parser.add_argument(
        "--reset", action="store_true", help="forget earlier closes first, so the same network closes again"
    )
    parser.add_argument(
        "--floor-runs", type=int, default=3, help="measure the floor this many times; the median is used"
    )
    args = parser.parse_args()
    args.floor_runs = max(1, args.floor_runs)

    if connection.vendor != "postgresql":
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL")
    if args.generate:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate_network.py"),
                "--distributors",
                str(args.distributors),
                "--period",
                args.period,
                "--wipe",
            ],
            check=True,
        )

    from commissions.close import close_start
    from commissions.models import CloseRunStatus
    from plans.services import plan_ensure_default

    period = parse_period(args.period)
    if args.reset:
        reset(period)
    plan_ensure_default()
    instrument()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM distributors_distributor")
        distributors = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
            "WHERE o.commission_period = %s",
            [period],
        )
        lines = cursor.fetchone()[0]

    pg_cpu = postgres_cpu_seconds()
    cpu = time.process_time()
    t0 = time.perf_counter()
    run = close_start(period=period, preview=args.preview)
    run.refresh_from_db()
    close_time = time.perf_counter() - t0
    cpu = time.process_time() - cpu
    pg_cpu_after = postgres_cpu_seconds()
    if run.status != CloseRunStatus.SUCCEEDED:
        sys.exit(f"the close did not succeed: {run.status} {run.error}")

    written = rows_written_by(run)
    # The floor is measured more than once: on a shared machine one measurement can be 15% off.
    floors = sorted((measure_floor(period, written) for _ in range(args.floor_runs)), key=sum)
    aggregate, copy_time = floors[len(floors) // 2]  # the median
    floor = aggregate + copy_time
    print(f"network:       {distributors} distributors, {lines} order lines in {args.period}")
    kind = "preview" if args.preview else "final"
    print(f"close:         {close_time:.1f} s ({kind}), {written} rows written")
    spread = ""
    if len(floors) > 1:
        spread = f"; {sum(floors[0]):.1f}-{sum(floors[-1]):.1f} s over {len(floors)} runs"
    print(
        f"floor:         {floor:.1f} s "
        f"(GROUP BY {aggregate:.1f} s + COPY of {written} rows {copy_time:.1f} s{spread})"
    )
    print(f"close / floor: {close_time / floor:.2f}x (median floor)")
    # CPU time is steadier than wall clock on a shared machine: it shows what a change saved.
    server = "" if pg_cpu is None or pg_cpu_after is None else f", PostgreSQL {pg_cpu_after - pg_cpu:.1f} s"
    print(f"cpu:           this process (Python) {cpu:.1f} s{server}")

    # When the compute stored its last chunk, and when the chunks were written (they are written
    # as soon as they are stored, while the compute goes on).
    def since_start(moment) -> float:
        return (moment - run.started_at).total_seconds()

    finished = sorted(run.chunks.values_list("finished_at", flat=True))
    print(
        f"timeline:      compute (engine, rows, chunks stored) until {run.compute_seconds:.1f} s; "
        f"first chunk written at {since_start(finished[0]):.1f} s, "
        f"last at {since_start(finished[-1]):.1f} s; "
        f"run finished at {since_start(run.finished_at):.1f} s"
    )
    print("phases (wall clock; nested ones are included in their parents):")
    for label, seconds in PHASES.items():
        print(f"  {label:42s} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
