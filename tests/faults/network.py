"""A network for the fault tests: big enough that a close has about ten chunks, small enough to
import in a few seconds on every test (each test's database is emptied after it)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.commissions.networks import import_network

PERIOD = "2026-10"


def sponsor_links(n: int, rng: random.Random) -> list[int | None]:
    """A skewed tree, as bench/generate_network.py grows it: node 0 is the root; most recruits join a
    recent enrollee (deep legs, so overrides reach many levels), some join anyone (wide fans)."""
    sponsors: list[int | None] = [None]
    for i in range(1, n):
        if i < 20 or rng.random() < 0.35:
            sponsors.append(int(i * rng.random() ** 3))
        else:
            sponsors.append(i - 1 - int(rng.expovariate(1 / 15)) % i)
    return sponsors


def fault_network(directory: Path, *, distributors: int = 1200, seed: int = 16) -> list[str]:
    """Import `distributors` distributors with customer and own orders paid in PERIOD; their ids."""
    rng = random.Random(seed)
    ids = [f"F{i}" for i in range(distributors)]
    tree = {ids[i]: (None if s is None else ids[s]) for i, s in enumerate(sponsor_links(distributors, rng))}
    orders = []
    for node in ids:
        for k in range(rng.choice((0, 1, 2, 3, 3, 4))):
            own = rng.random() < 0.2
            day, hour = rng.randint(1, 30), rng.randint(8, 20)
            orders.append(
                (
                    f"{node}-o{k}",
                    node,
                    "" if own else f"{node}-c{k}",
                    "personal" if own else "customer",
                    f"2026-10-{day:02d}T{hour:02d}:00:00+02:00",
                    rng.choices(("TM1", "W", "D2"), weights=(3, 6, 1))[0],
                    rng.randint(1, 3),
                )
            )
    import_network(directory, tree=tree, orders=orders)
    return ids
