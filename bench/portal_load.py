"""Latency of every distributor portal page, one request at a time, for the biggest logins.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench \\
        .venv/bin/python bench/portal_load.py --logins 2 --requests 20

The portal's counterpart of bench/api_endpoints.py, on the same logins (the distributors with the
biggest downlines, the root first): starts gunicorn on 127.0.0.1 as bench/api_load.py does
(DEBUG off, persistent connections), signs each login in with a server-side session (no password
involved: the bench users have none), warms every worker, then for each login and page sends
`--requests` sequential GETs (nothing else in flight: the page's own latency, server side plus
loopback) and prints status, p50/p95/max and the body size. A page that answers 404 or 500 (not
built yet) is recorded with its status and the run goes on. Needs a generated network with a
final close; a preview of the open month makes the dashboard show projected earnings. Refuses
any database whose name does not start with "bo_bench".
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_load import HOST, bench_logins, free_port, percentile, start_gunicorn, stop  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connection  # noqa: E402

from distributors.models import Distributor  # noqa: E402

PAGES = {
    "dashboard": "/portal/",
    "team": "/portal/team/",
    "statements": "/portal/statements/",
    "orders": "/portal/orders/",
    "customers": "/portal/customers/",
    "demonstrations": "/portal/demonstrations/",
    "buyback": "/portal/buyback/",
    "me": "/portal/me/",
}
MODEL_BACKEND = "core.accounts.backends.UsernameSafeModelBackend"


def session_cookie(distributor: Distributor) -> str:
    """A signed-in session of the distributor's user, as `login()` would store it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    user = distributor.user
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = MODEL_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=2, help="distributors with the biggest downlines")
    parser.add_argument("--requests", type=int, default=20, help="per login and page (at most 500)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--language", default="en", help="Accept-Language of the requests")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    db_name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql" or not db_name.startswith("bo_bench"):
        raise SystemExit(f"Refusing to run against {db_name!r}: use a PostgreSQL database named bo_bench*.")
    logins = [(d, session_cookie(d), size) for d, _token, size in bench_logins(args.logins)]
    distributors = Distributor.objects.count()
    connection.close()
    requests = min(args.requests, 500)

    port = free_port()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.portal_settings"  # gunicorn's: no static manifest
    server = start_gunicorn(port, args.workers, 1)
    results: dict[str, dict] = {}
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        for distributor, cookie, size in logins:
            headers = {"Cookie": cookie, "Accept-Language": args.language, "Connection": "keep-alive"}
            for name, path in PAGES.items():
                if args.only not in name:
                    continue
                for _ in range(2 * args.workers):  # warm every worker (imports, templates, connection)
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
