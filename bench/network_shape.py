"""The benchmark networks' sponsor tree, without Django (bench/generate_network.py writes it to a
database, bench/engine_scale.py feeds it to the engine in memory)."""

from __future__ import annotations

import random


def sponsor_links(n: int, rng: random.Random) -> list[int | None]:
    """Skewed tree: node 0 is the root; most recruits join a recent enrollee (deep legs),
    some join anyone (wide fans near the top). Max depth grows to a few dozen at 1M."""
    sponsors: list[int | None] = [None]
    for i in range(1, n):
        if i < 50 or rng.random() < 0.35:
            sponsors.append(int(i * rng.random() ** 3))
        else:
            sponsors.append(i - 1 - int(rng.expovariate(1 / 40)) % i)
    return sponsors
