"""The benchmark network generator (bench/generate_network.py) writes with COPY, past the models:
a column the models gain must reach it too, or every benchmark in BENCHMARKS.md stops at its first
step. A small network generated into the test database must be whole and closable."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.db import connection

from distributors.models import Distributor
from distributors.selectors import tree_check
from orders.models import Customer, OrderLine

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the generator writes with PostgreSQL's COPY"
    ),
]


def load_generator():
    path = Path(__file__).resolve().parent.parent / "bench" / "generate_network.py"
    spec = importlib.util.spec_from_file_location("generate_network", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_small_network_is_generated_whole():
    orders, lines = load_generator().generate(300, "2026-10", lines_per_distributor=10, seed=3)
    assert Distributor.objects.count() == 300
    assert Customer.objects.count() == 900
    assert OrderLine.objects.count() == lines >= 300 * 10 * 0.9 and orders > 0
    assert tree_check().ok
