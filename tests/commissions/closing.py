"""Helpers of the close tests: the default plan, running a close in-process, reading a ledger."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

from commissions.models import CloseRun, LedgerLine
from core.periods import parse_period
from plans.models import Plan

# The worked examples of compensation-plan.md §11 (import files and expected statements), as shipped
# with the specification.
EXAMPLES = Path(__file__).resolve().parent / "examples"


def default_plan() -> Plan:
    from plans.services import plan_ensure_default

    return plan_ensure_default()


def close(label: str, **kwargs) -> CloseRun:
    """Run a close (or preview) in-process and return the refreshed run."""
    from commissions.close import close_start

    # Inside a test transaction nothing commits: run the scheduled tasks as a commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = close_start(period=parse_period(label), **kwargs)
    run.refresh_from_db()
    return run


def export(label: str, *, preview: bool = False) -> list[dict[str, str]]:
    out = io.StringIO()
    args = [label, "-"] + (["--preview"] if preview else [])
    call_command("export_statements", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def expected(example: str, label: str) -> list[dict[str, str]]:
    with open(EXAMPLES / example / f"expected-{label}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def ledger_tuples(run: CloseRun) -> list[tuple]:
    """The run's ledger as comparable tuples (what a user sees: who, what, from whom, how much)."""
    return sorted(
        LedgerLine.objects.filter(run=run).values_list(
            "distributor__external_id",
            "kind",
            "key",
            "source__external_id",
            "level",
            "rate",
            "base",
            "amount",
            "original_period",
        )
    )


def period(label: str) -> dt.date:
    return parse_period(label)


class SimulatedCrash(Exception):
    """A worker dying in the middle of a close, raised where the tests make it die."""


def crash_in_chunk(monkeypatch, number: int) -> None:
    """The chunk `number` is written, then its worker dies before committing it."""
    from commissions.close import chunks

    real = chunks.write_chunk_rows

    def write_then_crash(run, chunk_number, payload):
        real(run, chunk_number, payload)  # rows written, then the worker dies before committing
        if chunk_number == number:
            raise SimulatedCrash(f"worker died in chunk {number}")

    monkeypatch.setattr(chunks, "write_chunk_rows", write_then_crash)


def crash_in_compute_after(monkeypatch, stored: int) -> None:
    """The compute dies after storing `stored` chunks (which may be written already)."""
    from commissions.close import compute

    real = compute.encode_payload
    encoded = []

    def encode_then_crash(run, payload, *, distributors):
        if len(encoded) == stored:
            raise SimulatedCrash(f"worker died after storing {stored} chunks")
        encoded.append(distributors)
        return real(run, payload, distributors=distributors)

    monkeypatch.setattr(compute, "encode_payload", encode_then_crash)


def finalize_never(monkeypatch) -> None:
    """The worker dies after each chunk's commit, before it finalizes the run (every caller)."""
    from commissions.close import chunks, start

    for module in (chunks, start):
        monkeypatch.setattr(module, "close_run_finalize", lambda *, run_id: False)
