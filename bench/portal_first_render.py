"""First render of every distributor portal page on a throttled phone, in headless Chromium.

    make demo-setup        # or any seeded server; `make demo` prints the distributor logins
    .venv/bin/python bench/portal_first_render.py --base-url http://127.0.0.1:8000 \\
        --username lotte.vandijk@example.nl --password demo-1-snyd7ktm --runs 5 --json first-render.json

Served as in production (BENCHMARKS.md, "Portal first render on a throttled phone"): DEBUG off,
`collectstatic` into a STATIC_ROOT outside the checkout (a settings module importing
backoffice.settings and setting only STATIC_ROOT), HTTPS settings off for plain http, gunicorn:

    export DEBUG=0 SECRET_KEY=<50+ random characters> SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 \\
        SECURE_HSTS_SECONDS=0 DJANGO_SETTINGS_MODULE=<that module> PYTHONPATH=<its folder>
    .venv/bin/python manage.py collectstatic --noinput
    .venv/bin/gunicorn backoffice.wsgi:application --bind 127.0.0.1:8765 --workers 2 &

Issue 15 asks every portal page to render in under 1 s "on a throttled phone profile". This drives
Debian's Chromium (/usr/bin/chromium; `playwright install` downloads nothing here, as in
tests/portal/browser/) through Playwright against a server that is already running (`make demo`,
or gunicorn as in production: DEBUG off, `collectstatic`, WhiteNoise), signs in through the
portal's form, then loads each page of the navigation with the phone profile:

- the screen: 375x812 CSS px, device scale 3, touch, a mobile user agent (Lighthouse's phone:
  Moto G Power; Chrome 119 on Android 11);
- the CPU slowed 4x (CDP `Emulation.setCPUThrottlingRate`, Lighthouse's mobile slowdown);
- the network (CDP `Network.emulateNetworkConditions`), `--network`:
    `lighthouse` (default): Lighthouse's mobile throttling, 150 ms latency per request,
        1.6 Mbit/s down, 750 kbit/s up (Lighthouse's units: 1.6 x 1024 kbit/s, 1 kbit = 1024 bit);
    `fast3g`: what DevTools' "Fast 3G" and Lighthouse's `--throttling-method=devtools` apply for the
        same profile, 562.5 ms latency per request (150 ms x 3.75), 90 % of those throughputs.
  Chromium adds the latency to each request, after the connection: on loopback there is no DNS,
  TCP or TLS handshake to pay, which is why Lighthouse multiplies the RTT by 3.75 when it throttles
  this way. `lighthouse` is the optimistic bound, `fast3g` the pessimistic one.

Every page is loaded `--runs` times cold (the browser cache cleared first, CDP
`Network.clearBrowserCache`) and each cold load is followed by a warm one (the same page again:
stylesheet and scripts from the cache, the HTML fetched again, as on the next visit). Per page it
reports p50/p95 of the first contentful paint (`performance.getEntriesByName(
"first-contentful-paint")`), of DOMContentLoaded (the navigation entry's
`domContentLoadedEventEnd`), both from the start of the navigation (p95 by nearest rank: with
up to 10 runs, the slowest), and the bytes transferred
(Resource Timing's `transferSize`, the page and everything it loaded until the load event and its
htmx `hx-trigger="load"` requests were done; headers included, cached files count 0). `--json`
also keeps every sample and, for one cold load per page, each resource with its size and whether
it blocked rendering. The sign-in and finding a statement's URL run unthrottled.

A measurement, not a test: it exits non-zero only when something failed (no sign-in, a page
answering 4xx/5xx or not loading, no paint recorded), never because a page is slow.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Lighthouse's emulated phone (lighthouse-core/config/constants.js, `screenEmulationMetrics.mobile`
# and `userAgents.mobile`).
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36"
    ),
}
CPU_SLOWDOWN = 4
KBIT = 1024 / 8  # bytes per second in one of Lighthouse's kbit/s
NETWORKS = {
    "lighthouse": {"latency": 150, "downloadThroughput": 1.6 * 1024 * KBIT, "uploadThroughput": 750 * KBIT},
    "fast3g": {
        "latency": 150 * 3.75,
        "downloadThroughput": 1.6 * 1024 * KBIT * 0.9,
        "uploadThroughput": 750 * KBIT * 0.9,
    },
}
# The portal's navigation (portal/navigation.py) and the team's tabs (_team_nav.html), in order.
# "statement" is the newest statement, found on the statements page.
PAGES = {
    "dashboard": "/portal/",
    "team": "/portal/team/",
    "team tree": "/portal/team/tree/",
    "team members": "/portal/team/members/",
    "team enrol": "/portal/team/enroll/",
    "customers": "/portal/customers/",
    "orders": "/portal/orders/",
    "new order": "/portal/orders/new/",
    "demonstrations": "/portal/demonstrations/",
    "buy-back": "/portal/buyback/",
    "statements": "/portal/statements/",
    "statement": None,
    "my data": "/portal/me/",
}
STATEMENT_LINK = re.compile(r"^/portal/statements/\d{4}-\d{2}/$")
MAX_RUNS = 50
HEADER = ("FCP cold p50", "p95", "FCP warm p50", "p95", "DCL cold p50", "p95", "DCL warm p50", "p95")
HEADER += ("KB cold", "KB warm")
SAMPLE_KEYS = ("fcp", "dcl", "load", "transfer", "wall_ms")

# Runs in the page after the load event: waits for the first contentful paint (a PerformanceObserver
# with `buffered`, in case it was not in the timeline yet) and htmx's load-time requests, then reads
# the navigation and resource entries.
COLLECT = """
async () => {
  const fcp = await new Promise((resolve) => {
    const seen = performance.getEntriesByName("first-contentful-paint");
    if (seen.length) return resolve(seen[0].startTime);
    const observer = new PerformanceObserver((list) => {
      const entry = list.getEntriesByName("first-contentful-paint")[0];
      if (entry) { observer.disconnect(); resolve(entry.startTime); }
    });
    observer.observe({type: "paint", buffered: true});
    setTimeout(() => resolve(null), 10000);
  });
  for (let waited = 0; document.querySelector(".htmx-request") && waited < 20000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource").map((r) => ({
    name: r.name, type: r.initiatorType, transfer: r.transferSize, body: r.decodedBodySize,
    encoded: r.encodedBodySize, start: r.startTime, end: r.responseEnd,
    blocking: r.renderBlockingStatus || "",
  }));
  return {
    fcp: fcp,
    dcl: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    html: {transfer: nav.transferSize, body: nav.decodedBodySize, encoded: nav.encodedBodySize},
    resources: resources,
    transfer: nav.transferSize + resources.reduce((sum, r) => sum + r.transfer, 0),
  };
}
"""


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile, as bench/api_load.py computes it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def summary(samples: list[dict]) -> dict:
    fcp = [s["fcp"] for s in samples if s["fcp"] is not None]
    dcl = [s["dcl"] for s in samples]
    transfer = [s["transfer"] for s in samples]
    return {
        "fcp_p50_ms": round(statistics.median(fcp)) if fcp else None,
        "fcp_p95_ms": round(percentile(fcp, 0.95)) if fcp else None,
        "dcl_p50_ms": round(statistics.median(dcl)) if dcl else None,
        "dcl_p95_ms": round(percentile(dcl, 0.95)) if dcl else None,
        "transfer_kb": round(statistics.median(transfer) / 1024, 1) if transfer else None,
    }


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(urljoin(base, "/portal/login/"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    if "/login/" in page.url:
        raise SystemExit(f"{username} could not sign in at {base} (still on {page.url})")


def newest_statement(page, base: str) -> str | None:
    page.goto(urljoin(base, PAGES["statements"]))
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map((a) => a.getAttribute('href'))")
    return next((href for href in hrefs if STATEMENT_LINK.match(href)), None)


def load(page, cdp, url: str, *, cold: bool, timeout_ms: int) -> dict:
    if cold:
        cdp.send("Network.clearBrowserCache")
    started = time.perf_counter()
    response = page.goto(url, wait_until="load", timeout=timeout_ms)
    sample = page.evaluate(COLLECT)
    sample["wall_ms"] = round((time.perf_counter() - started) * 1000)
    sample["status"] = response.status if response is not None else None
    sample["final_url"] = page.url
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the running server")
    parser.add_argument("--username", required=True, help="a distributor's login")
    parser.add_argument("--password", required=True)
    parser.add_argument("--runs", type=int, default=5, help="cold loads per page, each with a warm one")
    parser.add_argument("--network", choices=sorted(NETWORKS), default="lighthouse")
    parser.add_argument("--cpu-slowdown", type=float, default=CPU_SLOWDOWN)
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--language", default="en", help="the portal's language (django_language cookie)")
    parser.add_argument("--chromium", default=os.environ.get("PORTAL_TEST_CHROMIUM", CHROMIUM))
    parser.add_argument("--timeout", type=float, default=60, help="seconds per page load")
    parser.add_argument("--json", help="also write the results and every sample to this file")
    args = parser.parse_args()

    base = args.base_url.rstrip("/") + "/"
    runs = max(1, min(args.runs, MAX_RUNS))
    network = NETWORKS[args.network]
    timeout_ms = int(args.timeout * 1000)
    errors: list[str] = []
    results: dict[str, dict] = {}
    started = time.time()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
        context = browser.new_context(**PHONE, locale="nl-NL" if args.language == "nl" else "en-GB")
        context.add_cookies([{"name": "django_language", "value": args.language, "url": base}])
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: script error: {error}"))
        sign_in(page, base, args.username, args.password)
        pages = dict(PAGES)
        pages["statement"] = newest_statement(page, base)
        if pages["statement"] is None:
            errors.append("statement: no statement linked from the statements page")

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **network})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu_slowdown})
        print(
            f"{args.base_url} as {args.username}: network {args.network} "
            f"({network['latency']:g} ms, {network['downloadThroughput'] * 8 / 1e6:.2f} Mbit/s down, "
            f"{network['uploadThroughput'] * 8 / 1e3:.0f} kbit/s up), CPU {args.cpu_slowdown:g}x, "
            f"{runs} cold + {runs} warm loads per page; ms",
            flush=True,
        )
        print(f"{'page':<16}" + "".join(f"{h:>13}" for h in HEADER), flush=True)

        for name, path in pages.items():
            if path is None or args.only not in name:
                continue
            url = urljoin(base, path)
            cold, warm, failed = [], [], None
            for _ in range(runs):
                for is_cold, into in ((True, cold), (False, warm)):
                    try:
                        sample = load(page, cdp, url, cold=is_cold, timeout_ms=timeout_ms)
                    except PlaywrightError as error:
                        failed = f"{name} ({path}): {str(error).splitlines()[0]}"
                        break
                    status = sample["status"]
                    if status is None or status >= 400 or "/login/" in sample["final_url"]:
                        failed = f"{name} ({path}): answered {sample['status']} at {sample['final_url']}"
                        break
                    if sample["fcp"] is None:
                        failed = f"{name} ({path}): no first-contentful-paint recorded"
                        break
                    into.append(sample)
                if failed:
                    break
            if failed:
                errors.append(failed)
                print(f"{name:<16} ERROR {failed}", flush=True)
                continue
            results[name] = {
                "path": path,
                "status": cold[-1]["status"],
                "cold": summary(cold),
                "warm": summary(warm),
                "html_kb": round(cold[-1]["html"]["body"] / 1024, 1),
                "samples": {
                    "cold": [{key: s[key] for key in SAMPLE_KEYS} for s in cold],
                    "warm": [{key: s[key] for key in SAMPLE_KEYS} for s in warm],
                },
                "cold_resources": [{"name": "(page)", **cold[-1]["html"]}, *cold[-1]["resources"]],
            }
            c, w = results[name]["cold"], results[name]["warm"]
            row = (
                c["fcp_p50_ms"], c["fcp_p95_ms"], w["fcp_p50_ms"], w["fcp_p95_ms"],
                c["dcl_p50_ms"], c["dcl_p95_ms"], w["dcl_p50_ms"], w["dcl_p95_ms"],
                c["transfer_kb"], w["transfer_kb"],
            )  # fmt: skip
            print(f"{name:<16}" + "".join(f"{value!s:>13}" for value in row), flush=True)
        browser.close()

    slowest = max((r["cold"]["fcp_p95_ms"] for r in results.values()), default=None)
    took = time.time() - started
    print(f"slowest cold FCP p95: {slowest} ms; {len(errors)} error(s); {took:.0f} s", flush=True)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        document = {
            "base_url": args.base_url,
            "username": args.username,
            "network": {"name": args.network, **network},
            "cpu_slowdown": args.cpu_slowdown,
            "phone": PHONE,
            "runs": runs,
            "load_average": os.getloadavg(),
            "results": results,
            "errors": errors,
        }
        Path(args.json).write_text(json.dumps(document, indent=2))
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
