"""Latency of every distributor endpoint, one at a time, for the biggest logins (the root first).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench_api \\
        .venv/bin/python bench/api_endpoints.py --logins 2 --requests 40

Needs a generated network with a final close (bench/close_bench.py, or `manage.py close_period`).
Starts gunicorn on 127.0.0.1 as bench/api_load.py does (DEBUG off, persistent connections,
throttling lifted), warms it, then for each login and endpoint sends `--requests` sequential
requests (no think time, nothing else in flight: the latency of the endpoint itself, not of a
queue) and prints p50/p95/max and the body size. The deep downline page is the last full page of
the login's downline (`?page=N` before keyset pagination, a cursor just before the end after it).
Refuses any database whose name does not start with "bo_bench".
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_load import HOST, bench_logins, free_port, percentile, start_gunicorn, stop  # noqa: E402
from django.db import connection  # noqa: E402

from commissions.models import CloseRun, CloseRunKind, CloseRunStatus  # noqa: E402
from core.periods import period_label  # noqa: E402
from distributors.models import Distributor  # noqa: E402


def deep_downline_path(distributor: Distributor, size: int) -> str:
    """The downline page that starts 50 members before the end of the login's downline."""
    try:
        from core.api.pagination import encode_cursor
    except ImportError:  # page numbers (before keyset pagination): OFFSET of the last full page
        return f"/api/v1/downline/?page={max(1, size // 50)}&page_size=50"
    last_lfts = list(
        Distributor.objects.filter(
            tree_id=distributor.tree_id, lft__gt=distributor.lft, lft__lt=distributor.rght
        )
        .order_by("-lft")
        .values_list("lft", flat=True)[:51]
    )
    cursor = encode_cursor([last_lfts[-1]]) if len(last_lfts) == 51 else ""
    return f"/api/v1/downline/?page_size=50&cursor={cursor}"


def endpoints(distributor: Distributor, size: int, period: str) -> dict[str, str]:
    return {
        "me": "/api/v1/me/",
        "downline": "/api/v1/downline/?page_size=50",
        "downline deep": deep_downline_path(distributor, size),
        "downline member": f"/api/v1/downline/{_first_below(distributor)}/",
        "upline": "/api/v1/upline/",
        "periods": "/api/v1/periods/",
        "statements": "/api/v1/statements/",
        "statement": f"/api/v1/statements/{period}/",
        "statement lines": f"/api/v1/statements/{period}/lines/?page_size=100",
        "me/progress": "/api/v1/me/progress/",
        "payouts": "/api/v1/payouts/",
    }


def _first_below(distributor: Distributor) -> int:
    below = Distributor.objects.filter(sponsor_id=distributor.pk).order_by("id").values_list("id", flat=True)
    return below.first() or 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=2, help="distributors with the biggest downlines")
    parser.add_argument("--requests", type=int, default=40, help="per login and endpoint (at most 500)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="only the endpoints whose name contains this")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    db_name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql" or not db_name.startswith("bo_bench"):
        raise SystemExit(f"Refusing to run against {db_name!r}: use a PostgreSQL database named bo_bench*.")
    run = (
        CloseRun.objects.filter(kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED)
        .select_related("period")
        .order_by("-period__start")
        .first()
    )
    if run is None:
        raise SystemExit("No final close: run bench/close_bench.py (or manage.py close_period) first.")
    period = period_label(run.period.start)
    logins = [(d, token, size, endpoints(d, size, period)) for d, token, size in bench_logins(args.logins)]
    distributors = Distributor.objects.count()
    connection.close()
    requests = min(args.requests, 500)

    port = free_port()
    server = start_gunicorn(port, args.workers, 1)
    results: dict[str, dict] = {}
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        for distributor, token, size, paths in logins:
            headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
            for name, path in paths.items():
                if args.only not in name:
                    continue
                for _ in range(2 * args.workers):  # warm every worker (imports, connection)
                    conn.request("GET", path, headers=headers)
                    conn.getresponse().read()
                samples, size_bytes, status = [], 0, 0
                for _ in range(requests):
                    started = time.perf_counter()
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    samples.append((time.perf_counter() - started) * 1000)
                    size_bytes, status = len(body), response.status
                key = f"{distributor.external_id} ({size} below) {name}"
                results[key] = {
                    "status": status,
                    "bytes": size_bytes,
                    "p50_ms": round(statistics.median(samples), 1),
                    "p95_ms": round(percentile(samples, 0.95), 1),
                    "max_ms": round(max(samples), 1),
                }
                print(f"{key:<48}" + "".join(f"{value!s:>10}" for value in results[key].values()), flush=True)
        conn.close()
    finally:
        stop(server)
    if args.json:
        Path(args.json).write_text(json.dumps({"distributors": distributors, "results": results}, indent=2))


if __name__ == "__main__":
    main()
