"""The sponsor tree's writes and reads at a network size, against a small network in the same run
(issue 17, ADR 0011).

    createdb -h 127.0.0.1 -U postgres bo_bench_10k      # and bo_bench with 1M, see BENCHMARKS.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench_10k .venv/bin/python manage.py migrate -v0
    DATABASE_URL=... .venv/bin/python bench/generate_network.py --distributors 10000 --wipe
    .venv/bin/python bench/tree_bench.py --small bo_bench_10k --large bo_bench

Runs every measurement in a child process per database (one DATABASE_URL each), the small and the
large network alternately, and prints one table:

- enrollment: `distributors.services.distributor_enroll` under uniformly random sponsors, one at a
  time, committed (p50, p95, max; the targets: p95 at the large network within 2x the small one's
  and under 250 ms);
- sustained (large only): 10 clients, each enrolling 5 a second for `--seconds` (50 a second in
  all), latency from the scheduled moment (a client that falls behind counts its queueing); then
  `tree_check` and every enrollee found in its sponsor's downline;
- move (large only): a 1,000-member subtree (the node whose downline is closest to 999) under a
  random sponsor outside it, while a client keeps enrolling: the move's time and the longest
  enrollment meanwhile; then moved back;
- termination (large only): of a leader with about 1,000 below, rolled back;
- reads: downline page, last page by cursor, count and counts by level of the root and of the
  leader whose downline is closest to 400,000 (p50/p95 of 20).

Enrollees are named BENCH-* and deleted at the end (leaf first), so the networks keep their size.
Refuses any database whose name does not start with "bo_bench".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": statistics.median(values) * 1000,
        "p95": percentile(values, 0.95) * 1000,
        "max": max(values) * 1000,
    }


# --- The child: one database ------------------------------------------------------------------


def child(task: str, count: int, seconds: float, seed: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from distributors.models import Distributor
    from distributors.selectors import (
        downline_count,
        downline_counts_by_level,
        downline_page,
        is_in_downline,
        tree_check,
    )
    from distributors.services.enrollment import distributor_enroll
    from distributors.services.moves import distributor_move
    from distributors.services.status import distributor_terminate

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql" or not name.startswith("bo_bench"):
        raise SystemExit(f"Refusing to run against {name!r}: use a PostgreSQL database named bo_bench*.")
    rng = random.Random(seed)
    max_id = Distributor.objects.order_by("-pk").values_list("pk", flat=True).first()

    def random_sponsor() -> int:
        while True:
            pk = rng.randint(1, max_id)
            if Distributor.objects.filter(pk=pk).exclude(status="terminated").exists():
                return pk

    def enroll(sponsor_id: int) -> tuple[float, int]:
        tag = secrets.token_hex(6)
        started = time.perf_counter()
        with transaction.atomic():
            node = distributor_enroll(
                sponsor_id=sponsor_id,
                first_name="Bench",
                last_name=tag,
                email=f"bench-{tag}@example.invalid",
                external_id=f"BENCH-{tag}",
            )
        return time.perf_counter() - started, node.pk

    def cleanup() -> int:
        # Newest first: a later enrollee may sit below an earlier one.
        ids = list(
            Distributor.objects.filter(external_id__startswith="BENCH-")
            .order_by("-pk")
            .values_list("pk", flat=True)
        )
        for pk in ids:
            with transaction.atomic():
                Distributor.objects.get(pk=pk).delete()
        return len(ids)

    def staff():
        user, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
        return user

    def closest(size: int) -> Distributor:
        return (
            Distributor.objects.filter(downline_size__lte=size * 2)
            .exclude(status="terminated")
            .extra(
                select={"distance": "abs(downline_size - %s)"}, select_params=[size], order_by=["distance"]
            )
            .first()
        )

    result: dict = {"database": name, "distributors": Distributor.objects.count()}
    if task == "enroll":
        for _ in range(5):  # warm
            enroll(random_sponsor())
        times = [enroll(random_sponsor())[0] for _ in range(count)]
        result["enroll"] = summary(times)
    elif task == "sustained":
        clients, rate = 10, 5.0
        sponsors = [random_sponsor() for _ in range(int(clients * rate * seconds) + clients)]
        latencies: list[float] = []
        enrolled: list[tuple[int, int]] = []
        errors: list[str] = []
        start = time.perf_counter() + 1.0
        lock = threading.Lock()

        def client(index: int) -> None:
            from django.db import connection as own

            try:
                n = 0
                while True:
                    due = start + index / (clients * rate) + n / rate
                    if due - start >= seconds:
                        return
                    wait = due - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                    sponsor_id = sponsors[(n * clients + index) % len(sponsors)]
                    _, pk = enroll(sponsor_id)
                    with lock:
                        latencies.append(time.perf_counter() - due)
                        enrolled.append((sponsor_id, pk))
                    n += 1
            except Exception as exc:  # reported in the result
                errors.append(repr(exc))
            finally:
                own.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        started = time.perf_counter()
        report = tree_check()
        check_seconds = time.perf_counter() - started
        missing = sum(1 for sponsor_id, pk in enrolled if not is_in_downline(sponsor_id, pk))
        result["sustained"] = {
            **summary(latencies),
            "rate": len(enrolled) / elapsed,
            "errors": errors[:5],
            "tree_check_ok": report.ok,
            "tree_check_s": check_seconds,
            "not_in_sponsors_downline": missing,
        }
    elif task == "move":
        node = closest(999)
        inside = set(
            Distributor.objects.filter(
                tree_id=node.tree_id, lft__gte=node.lft, lft__lte=node.rght
            ).values_list("pk", flat=True)
        )
        target = random_sponsor()
        while target in inside or target == node.sponsor_id:
            target = random_sponsor()
        old_sponsor = node.sponsor_id
        during: list[float] = []
        moving = threading.Event()
        done = threading.Event()

        def background() -> None:
            from django.db import connection as own

            try:
                while not done.is_set():
                    seconds_taken, _ = enroll(random_sponsor())
                    if moving.is_set():
                        during.append(seconds_taken)
            finally:
                own.close()

        worker = threading.Thread(target=background)
        worker.start()
        time.sleep(0.5)
        moving.set()
        started = time.perf_counter()
        with transaction.atomic():
            distributor_move(
                distributor=node, new_sponsor=Distributor(pk=target), actor=staff(), reason="bench"
            )
        move_seconds = time.perf_counter() - started
        time.sleep(0.5)
        done.set()
        worker.join()
        started = time.perf_counter()
        with transaction.atomic():
            distributor_move(
                distributor=node, new_sponsor=Distributor(pk=old_sponsor), actor=staff(), reason="bench back"
            )
        back_seconds = time.perf_counter() - started
        result["move"] = {
            "subtree": len(inside),
            "move_s": move_seconds,
            "move_back_s": back_seconds,
            "enroll_during_move_max_ms": max(during, default=0) * 1000,
            "enrollments_during": len(during),
        }
        leader = closest(999)
        started = time.perf_counter()
        with transaction.atomic():
            distributor_terminate(distributor=leader, actor=staff(), reason="bench")
            terminate_seconds = time.perf_counter() - started
            transaction.set_rollback(True)
        result["terminate"] = {"downline": leader.downline_size, "terminate_s": terminate_seconds}
    elif task == "reads":
        root = Distributor.objects.filter(sponsor__isnull=True).order_by("-downline_size").first()
        leader = (
            closest(400_000) if result["distributors"] > 500_000 else closest(result["distributors"] * 2 // 5)
        )
        reads = {}
        for label, who in (("root", root), ("leader", leader)):
            last = (
                Distributor.objects.filter(tree_id=who.tree_id, lft__gt=who.lft, lft__lt=who.rght)
                .order_by("-lft")
                .values_list("lft", flat=True)[50:51]
            )
            after = last[0] if last else None
            for name_, call in (
                ("page", lambda w=who: downline_page(w, limit=50)),
                ("last page", lambda w=who, a=after: downline_page(w, after_lft=a, limit=50)),
                ("count", lambda w=who: downline_count(w)),
                ("counts by level", lambda w=who: downline_counts_by_level(w)),
            ):
                call()
                times = []
                for _ in range(20):
                    started = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - started)
                reads[f"{label} ({who.downline_size}) {name_}"] = summary(times)
        result["reads"] = reads
    result["cleaned_up"] = cleanup()
    connection.close()
    return result


# --- The parent: both databases, one table ----------------------------------------------------


def run_child(database: str, task: str, args) -> dict:
    url = f"postgres://postgres@127.0.0.1:5432/{database}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": os.environ.get("DEBUG", "")}
    command = [
        sys.executable,
        __file__,
        "--child",
        task,
        "--count",
        str(args.count),
        "--seconds",
        str(args.seconds),
    ]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", default="bo_bench_10k")
    parser.add_argument("--large", default="bo_bench")
    parser.add_argument("--count", type=int, default=200, help="enrollments one at a time per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0, help="of the sustained load")
    parser.add_argument("--only", choices=["enroll", "sustained", "move", "reads"], action="append")
    parser.add_argument("--json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.count, args.seconds, seed=secrets.randbits(32))))
        return
    tasks = args.only or ["enroll", "sustained", "move", "reads"]
    results: dict = {"small": [], "large": []}
    if "enroll" in tasks:
        for _ in range(args.rounds):
            for size in ("small", "large"):
                out = run_child(getattr(args, size), "enroll", args)
                results[size].append(out)
                e = out["enroll"]
                print(
                    f"enroll {out['database']} ({out['distributors']:,}): p50 {e['p50']:.1f} ms, "
                    f"p95 {e['p95']:.1f} ms, max {e['max']:.1f} ms",
                    flush=True,
                )
    for task in ("sustained", "move"):
        if task in tasks:
            out = run_child(args.large, task, args)
            results["large"].append(out)
            print(json.dumps({k: v for k, v in out.items() if k not in ("database",)}, indent=1), flush=True)
    if "reads" in tasks:
        for size in ("small", "large"):
            out = run_child(getattr(args, size), "reads", args)
            results[size].append(out)
            for label, s in out["reads"].items():
                print(
                    f"read {out['database']}: {label}: p50 {s['p50']:.2f} ms, p95 {s['p95']:.2f} ms",
                    flush=True,
                )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
