"""API load benchmark: latency of the dashboard (GET /api/v1/me/) and the downline
(GET /api/v1/downline/) under concurrent users, against gunicorn on loopback.

    createdb -h 127.0.0.1 -U postgres bo_bench_api
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench_api .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench_api \\
        .venv/bin/python bench/generate_network.py --distributors 100000 --wipe
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench_api \\
        .venv/bin/python bench/api_load.py --users 50 --duration 30

It gives logins to the distributors with the biggest downlines (the root among them), starts
gunicorn on 127.0.0.1 (DEBUG off, persistent database connections, throttling lifted), runs
`--users` simulated app users for `--duration` seconds, each alternating the dashboard and a
random page of the downline (50 per page, one of its first 20 pages by cursor) with a think
time between requests (like locust's `between(0.5, 1.5)`; `--think 0` saturates the server
instead), prints p50/p95/p99 per endpoint, and stops gunicorn. Bounded in time and requests;
only loopback traffic. Refuses any database whose name does not start with "bo_bench".
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# DEBUG is off, as in production, which wants a real key: one per run unless given (gunicorn
# inherits it, so the tokens made here are valid there).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from distributors.models import Distributor  # noqa: E402

HOST = "127.0.0.1"
MAX_REQUESTS = 200_000  # a hard bound on the whole run, whatever the settings


def bench_logins(count: int) -> list[tuple[Distributor, str, int]]:
    """(distributor, access token, downline size) for the `count` biggest downlines."""
    User = get_user_model()
    top = list(Distributor.objects.order_by("-downline_size")[:count])
    logins = []
    for distributor in top:
        if distributor.user_id is None:
            user, _ = User.objects.get_or_create(username=f"bench-{distributor.external_id}")
            Distributor.objects.filter(pk=distributor.pk, user__isnull=True).update(user=user)
            distributor.refresh_from_db()
        token = AccessToken.for_user(distributor.user)
        token.set_exp(lifetime=timedelta(hours=1))
        logins.append((distributor, str(token), distributor.downline_size))
    return logins


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    url = os.environ["DATABASE_URL"]
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "DATABASE_URL": url + ("&" if "?" in url else "?") + "conn_max_age=600",
        "API_USER_THROTTLE": "1000000/min",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "backoffice.wsgi:application",
        "--bind", f"{HOST}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {"me": [], "downline": []}
        self.errors: dict[str, int] = {"me": 0, "downline": 0}
        self.total = 0

    def add(self, endpoint: str, seconds: float, ok: bool) -> bool:
        with self.lock:
            self.total += 1
            if ok:
                self.samples[endpoint].append(seconds)
            else:
                self.errors[endpoint] += 1
            return self.total < MAX_REQUESTS


def page_cursors(distributor: Distributor, pages: int = 20, page_size: int = 50) -> list[str]:
    """Cursors of the first `pages` pages of the downline (the first page has none)."""
    from core.api.pagination import encode_cursor

    sql = """
        SELECT lft FROM (
            SELECT lft, row_number() OVER (ORDER BY lft) AS n FROM distributors_distributor
            WHERE tree_id = %s AND lft > %s AND lft < %s
        ) numbered WHERE n %% %s = 0 ORDER BY lft LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [distributor.tree_id, distributor.lft, distributor.rght, page_size, pages - 1])
        return [""] + [encode_cursor([lft]) for (lft,) in cursor.fetchall()]


def app_user(port, logins, recorder, stop_at, think, seed) -> None:
    rng = random.Random(seed)
    distributor, token, size, cursors = logins[seed % len(logins)]
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    turn = rng.randrange(2)
    while time.monotonic() < stop_at:
        endpoint = "me" if turn % 2 == 0 else "downline"
        turn += 1
        path = (
            "/api/v1/me/"
            if endpoint == "me"
            else f"/api/v1/downline/?page_size=50&cursor={rng.choice(cursors)}"
        )
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        if not recorder.add(endpoint, time.perf_counter() - started, ok):
            break
        if think:
            time.sleep(rng.uniform(think * 0.5, think * 1.5))
    conn.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (at most 300)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's requests")
    parser.add_argument("--logins", type=int, default=10, help="distributors with the biggest downlines")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    db_name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql" or not db_name.startswith("bo_bench"):
        raise SystemExit(f"Refusing to run against {db_name!r}: use a PostgreSQL database named bo_bench*.")
    duration = min(args.duration, 300.0)
    distributors = Distributor.objects.count()
    logins = [(*login, page_cursors(login[0])) for login in bench_logins(args.logins)]
    connection.close()
    print(f"{distributors} distributors; logins with downlines of {[login[2] for login in logins]}")

    port = free_port()
    server = start_gunicorn(port, args.workers, args.threads)
    try:
        # Warm every worker thread (imports, URL resolver, database connection) before measuring.
        warm, warm_until = Recorder(), time.monotonic() + 5
        warmers = [
            threading.Thread(target=app_user, args=(port, logins, warm, warm_until, 0, i), daemon=True)
            for i in range(args.workers * args.threads * 2)
        ]
        for warmer in warmers:
            warmer.start()
        for warmer in warmers:
            warmer.join(timeout=60)
        recorder = Recorder()
        stop_at = time.monotonic() + duration
        users = [
            threading.Thread(
                target=app_user, args=(port, logins, recorder, stop_at, args.think, i), daemon=True
            )
            for i in range(args.users)
        ]
        started = time.monotonic()
        for user in users:
            user.start()
        for user in users:
            user.join(timeout=duration + 60)
        elapsed = time.monotonic() - started
    finally:
        stop(server)

    results = {
        "distributors": distributors,
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "think_s": args.think,
        "workers": args.workers,
        "threads": args.threads,
        "endpoints": {},
    }
    print(
        f"\n{args.users} users, {elapsed:.1f} s, think time {args.think} s, "
        f"gunicorn {args.workers} workers x {args.threads} threads"
    )
    columns = ("requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
    print(f"{'endpoint':<10}" + "".join(f"{c:>9}" for c in columns))
    for endpoint, samples in recorder.samples.items():
        ms = [s * 1000 for s in samples]
        row = {
            "requests": len(ms),
            "errors": recorder.errors[endpoint],
            "per_second": round(len(ms) / elapsed, 1),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(percentile(ms, 0.95), 1),
            "p99_ms": round(percentile(ms, 0.99), 1),
            "max_ms": round(max(ms), 1) if ms else None,
        }
        results["endpoints"][endpoint] = row
        print(f"{endpoint:<10}" + "".join(f"{value!s:>9}" for value in row.values()))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
