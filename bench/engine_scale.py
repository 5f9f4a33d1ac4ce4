"""The commission engine alone, on synthetic networks of growing size: time and memory from 100k to
5M distributors (issue 17, docs/scale-out.md).

    .venv/bin/python bench/engine_scale.py --sizes 100000 1000000 5000000

No database: each size runs in a fresh process that builds the engine's inputs in memory (the
sponsor tree of bench/generate_network.py, the same skew; per distributor the aggregates ten order
lines of the generator's catalogue give: customer QV/CV and paid amount, own QV/CV, customers),
then `commissions.engine.compute_period` with the shipped default plan, as the close calls it.
Prints, per size: the seconds to build the inputs, the engine's seconds, the ledger lines, and the
process's peak resident memory (inputs and results included). Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from network_shape import sponsor_links  # noqa: E402


def child(n: int, seed: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from commissions.engine import compute_period
    from commissions.engine.types import DistributorInput
    from plans.document import DEFAULT_PLAN_PATH, load_plan_file, parse_plan_document

    plan = parse_plan_document(load_plan_file(DEFAULT_PLAN_PATH))
    rng = random.Random(seed)
    started = time.perf_counter()
    sponsors = sponsor_links(n, rng)
    # A handful of distinct amounts, as a catalogue gives: Decimals are shared, not one per row.
    customer = [
        (Decimal(q), Decimal(q), Decimal(p))
        for q, p in (("60", "93.50"), ("95", "176.00"), ("150", "250.00"), ("300", "1100.00"))
    ]
    own = [(Decimal(q), Decimal(q)) for q in ("0", "0", "10", "30", "250")]
    inputs = [
        DistributorInput(
            i + 1,
            None if s is None else s + 1,
            "active",
            *customer[rng.randrange(4)],
            *own[rng.randrange(5)],
            rng.randrange(4),
            0,
        )
        for i, s in enumerate(sponsors)
    ]
    built = time.perf_counter() - started
    started = time.perf_counter()
    result = compute_period(plan, inputs)
    engine = time.perf_counter() - started
    return {
        "distributors": n,
        "inputs_s": round(built, 1),
        "engine_s": round(engine, 1),
        "ledger_lines": len(result.lines),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.seed)))
        return
    rows = []
    for n in args.sizes:
        command = [sys.executable, __file__, "--child", str(n), "--seed", str(args.seed)]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings"}
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['distributors']:>10,}: inputs {row['inputs_s']:>6} s, engine {row['engine_s']:>6} s, "
            f"{row['ledger_lines']:>10,} ledger lines, peak {row['peak_rss_mb']:>6,} MB",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
