"""The compute phase: the run computed once in memory, then stored chunk by chunk.

    compute_close()   a few SQL reads (no per-node queries), the engine run once, clawbacks,
                      adjustments and the balances carried in: a ComputedClose
    ComputedClose     cuts the result into chunks of about as many rows each and builds each chunk's
                      rows (results, ledger lines, statements) in id order, and the run's summary
    compute_phase()   under the run's compute lock: compute, then encode and store each chunk
                      (committed on its own, handed to a writer at once); a final run's ranks are
                      written meanwhile (threads.RankWriter)

A stored chunk's rows are fixed: a compute resumed after a crash must compute the same rows for the
chunks stored before (their digest), or the run fails.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import math
import operator
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from commissions.models import CloseChunk, ClosePhase, CloseRun, CloseRunKind, CloseRunStatus
from commissions.services import aggregation
from commissions.services.adjustments import adjustment_lines
from commissions.services.aggregation import period_inputs
from commissions.services.clawbacks import clawback_lines
from commissions.services.legs import leg_summaries
from commissions.services.rows import LineRow
from core.errors import ApplicationError
from core.faults import fault_point
from core.locks import try_advisory_session_lock
from core.money import ZERO, money_str
from core.periods import period_label
from plans.document import parse_plan_document

from .chunks import store_chunk, stored_payload
from .finalize import FINISHED
from .inputs import carried_in_by_distributor, host_credit_issued, run_period_tree, tree_problems
from .payload import PAYLOAD_TABLES, decode_payload, encode_payload
from .statements import build_statements, statement_totals
from .threads import RankWriter, on_own_connection

if TYPE_CHECKING:
    from commissions.engine import RanksCallback

# Rows per chunk from which the first and last chunks are cut smaller (see chunk_ranges).
_RAMPED_CHUNK_ROWS = 10_000


def _chunk_size() -> int:
    # The setting reads the environment (COMMISSION_CLOSE_CHUNK_DISTRIBUTORS): a worker process is
    # tuned, and tested, without code.
    return max(1, settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS)


def compute_or_fail(run_id: int, *, stored: Callable[[int], None] | None) -> bool:
    """compute_phase; an error marks the run failed (and is raised)."""
    try:
        return compute_phase(run_id, stored=stored)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:4000]
        CloseRun.objects.filter(pk=run_id).exclude(status__in=FINISHED).update(
            status=CloseRunStatus.FAILED, error=message
        )
        raise


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of acyclic tuples: the cyclic collector would rescan the growing heap again and
    again (a third of the Python time of the compute phase); reference counting frees them."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def compute_phase(run_id: int, *, stored: Callable[[int], None] | None = None) -> bool:
    """Compute the run and store its chunks, each committed on its own and then handed to `stored`
    (to be written while the next ones are encoded); False when another process is computing it.

    A stored chunk's rows are fixed: it may be written at once. A compute resumed after a crash
    stores only the chunks still missing and checks that the chunks stored before hold the rows it
    computed again (their digest). If they do not (the inputs changed in between, as they can in
    a preview's open period), the run fails instead of mixing two computations in one ledger.
    """
    # Inside an outer transaction (a test, a caller's atomic block) another connection would not
    # see its rows: read on this connection only.
    concurrent_reads = not connection.in_atomic_block and connection.vendor == "postgresql"
    with _gc_paused(), try_advisory_session_lock(f"commission-close-run:{run_id}") as locked:
        if not locked:
            return False
        computing = (ClosePhase.QUEUED, ClosePhase.COMPUTE)
        run = CloseRun.objects.select_related("period", "plan").get(pk=run_id)
        if run.phase not in computing or run.status in FINISHED:
            return True
        now = timezone.now()
        CloseRun.objects.filter(pk=run_id).update(
            status=CloseRunStatus.RUNNING, phase=ClosePhase.COMPUTE, started_at=now, error="", progress_at=now
        )
        started = time.monotonic()
        stored_before = dict(CloseChunk.objects.filter(run_id=run_id).values_list("number", "digest"))
        # A resumed compute leaves the ranks to finalize: it may yet find that it differs. So does
        # the SQLite demo, where finalize's one statement is the cheaper way.
        early_ranks = (
            run.kind == CloseRunKind.FINAL and not stored_before and connection.vendor == "postgresql"
        )
        with RankWriter(run.pk, concurrent=concurrent_reads) as ranks:
            computed = compute_close(
                run, concurrent_reads=concurrent_reads, ranked=ranks.start if early_ranks else None
            )
            ranges = computed.chunk_ranges(_chunk_size())
            count = len(ranges)
            if stored_before and run.chunks_total != count:
                raise _inputs_changed(run, None, None)
            CloseRun.objects.filter(pk=run_id).update(chunks_total=count)  # chunks are counted from now on
            # Build, encode and store one chunk at a time: the first is written while the next are built.
            for number, (distributors, part) in enumerate(zip(ranges, computed.parts(ranges), strict=True)):
                payload, digest = encode_payload(run, part, distributors=distributors)
                if number in stored_before:
                    if stored_before[number] != digest:
                        raise _inputs_changed(run, number, payload)
                    continue
                with transaction.atomic():
                    chunk = store_chunk(run, number, part, payload, digest)
                fault_point("close.compute.stored")
                del part, payload
                if stored is not None:
                    stored(chunk.pk)
            ranks.done()  # before the phase leaves compute: finalize relies on it
        summary = computed.summary()
        del computed
        CloseRun.objects.filter(pk=run_id).update(
            phase=ClosePhase.WRITE, compute_seconds=time.monotonic() - started, summary=summary,
            progress_at=timezone.now(),
        )  # fmt: skip
    return True


def _inputs_changed(run: CloseRun, number: int | None, payload: bytes | None) -> ApplicationError:
    where = (
        f"chunk {number}{_first_difference(run, number, payload)}"
        if number is not None and payload is not None
        else "the number of chunks"
    )
    return ApplicationError(
        f"The close of {run.period} was computed again after an interruption and the result differs "
        f"from the chunks stored the first time ({where}): orders, returns or distributors changed in "
        "between. "
        + ("Start a new preview." if run.kind == CloseRunKind.PREVIEW else "A final close computes from "
           "inputs fixed at its start, so this should not happen: discard the run "
           f"(manage.py discard_close {period_label(run.period.start)} --reason ...) and close again.")
    )  # fmt: skip


def _first_difference(run: CloseRun, number: int, payload: bytes) -> str:
    """', first at distributor N (table)': where a chunk computed again differs from the one stored,
    when the stored one is still there to compare (a written chunk's payload is cleared)."""
    chunk = CloseChunk.objects.filter(run=run, number=number).defer("payload").first()
    try:
        stored = decode_payload(stored_payload(chunk)) if chunk is not None else None
    except ApplicationError:
        stored = None
    if stored is None:
        return ""
    computed = decode_payload(payload)
    for table in PAYLOAD_TABLES:
        pairs = itertools.zip_longest(stored.texts[table].splitlines(), computed.texts[table].splitlines())
        for before, now in pairs:
            if before != now:
                line = before or now or ""
                distributor = line.split("\t")[2] if line.count("\t") >= 2 else "?"
                return f", first at distributor {distributor} ({table})"
    return ""


class ComputedClose:
    """A run computed up to its rows: the engine's results and lines, clawbacks, adjustments and the
    balances carried in. `parts(ranges)` builds the rows chunk by chunk, in id order (results,
    ledger lines, statements of each range of distributors), so the first chunk can be stored and
    written while the next ones are built; `summary()` is the run's report once every part is built.
    """

    def __init__(self, run: CloseRun, plan: Any, inputs: Any, result: Any, extra_lines: list[LineRow],
                 carried_in: dict[int, Decimal]):  # fmt: skip
        self.run, self.plan, self.inputs, self.result = run, plan, inputs, result
        self.extra_lines, self.carried_in = extra_lines, carried_in
        # A statement for everyone in the period, and for anyone else with a line or a balance.
        others = ({line.distributor_id for line in extra_lines} | set(carried_in)) - set(inputs.ids)
        self.distributor_ids = sorted([*inputs.ids, *others]) if others else inputs.ids
        self._built: list[dict[str, list]] = []

    def chunk_ranges(self, size: int) -> list[tuple[int, int]]:
        """Ranges of distributor ids (first, last), one per chunk: as many chunks as it takes for
        `size` distributors each, cut so that they hold about as many rows each. Distributor ids
        are not all alike: a top leader earns an override line from every source in reach, so the
        first 25,000 ids of a million can hold half of the ledger lines, and one chunk would keep
        one writer busy for a third of the close."""
        ids = self.distributor_ids
        if not ids:
            return [(0, 0)]
        count = max(1, math.ceil(len(ids) / size))
        # Rows per distributor: a result and a statement (about), and the lines they earn.
        lines_of = Counter(map(operator.itemgetter(1), self.result.lines))
        lines_of.update(line.distributor_id for line in self.extra_lines)
        weight = lines_of.get
        reach = list(itertools.accumulate(2 + weight(distributor_id, 0) for distributor_id in ids))
        total = reach[-1]
        # Chunk k ends after the first distributor whose rows reach k+1 shares of the total.
        shares: list[float] = list(range(1, count))
        if count >= 3 and total / count >= _RAMPED_CHUNK_ROWS:
            # Nothing is written until the first chunk is built, and at the end one writer may
            # wait for the other's last chunk: the first and the last share are cut in two, a
            # quarter and three quarters, so writing starts sooner and ends together.
            shares = [0.25, *shares, count - 0.25]
        ends = sorted({bisect.bisect_left(reach, total * share / count) for share in shares})
        ends.append(len(ids) - 1)
        ranges, start = [], 0
        for end in ends:
            if end >= start:  # a distributor with more than a share of the rows makes a chunk fewer
                ranges.append((ids[start], ids[end]))
                start = end + 1
        return ranges

    def parts(self, ranges: list[tuple[int, int]]) -> Iterator[dict[str, list]]:
        """The rows of each range of distributor ids (`ranges` cover them all, in order).

        The ledger lines are sorted by earner once (in C, stably: engine order within an earner),
        so each chunk's lines are one slice, and the first chunk is ready without a pass over
        every line first. Each slice's lines are summed per earner and kind for its statements
        (and per source for the compliance figures) as they are built: a few million lines in
        all, so every attribute lookup counts.
        """
        from commissions.selectors.report_figures import LineSums

        earner = operator.itemgetter(1)
        engine_lines = self.result.lines
        engine_lines.sort(key=earner)
        extra_lines = sorted(self.extra_lines, key=operator.attrgetter("distributor_id"))
        extra_earners = [line.distributor_id for line in extra_lines]
        new = tuple.__new__  # LineRow's own __new__ is Python code
        by_source: dict[int, Decimal] = {}
        source_of = by_source.get
        personal_total = override_total = ZERO
        slot = {"personal": 0, "override": 1, "clawback": 2, "adjustment": 3}
        inputs, input_ids, everyone = self.inputs.inputs, self.inputs.ids, self.distributor_ids
        computed = self.result.distributors
        # Each result keeps its frontline's size in the period (rank progress reads the legs
        # through it, commissions.selectors.legs.period_frontline): one count in C over the sponsors.
        frontline_sizes = Counter(map(operator.itemgetter(1), inputs))
        frontline_of = frontline_sizes.get
        # A frontline longer than a request reads: the sums its rank checks need (services.legs).
        summary_of = leg_summaries(self.plan, inputs, computed, frontline_sizes).get
        left, right = bisect.bisect_left, bisect.bisect_right
        placed = 0
        for start, end in ranges:
            first, last = left(engine_lines, start, key=earner), right(engine_lines, end, key=earner)
            lines: list[LineRow] = []
            add_line = lines.append
            # Per earner and slot (personal, override, clawback, adjustment): the statements' sums.
            sums: list[dict[int, Decimal]] = [{}, {}, {}, {}]
            personal, override = sums[0], sums[1]
            personal_of, override_of = personal.get, override.get
            # The engine's lines are personal and override lines only: their keys as line_key makes them.
            for kind, earner_id, source, level, rate, base, amount in engine_lines[first:last]:
                personally = kind == "personal"
                key = "personal" if personally else f"override:{source}:{level}"
                values = (earner_id, kind, key, source, level, rate, base, amount, None, None, None)
                add_line(new(LineRow, values))
                if personally:
                    personal[earner_id] = personal_of(earner_id, ZERO) + amount
                    personal_total += amount
                else:
                    override[earner_id] = override_of(earner_id, ZERO) + amount
                    by_source[source] = source_of(source, ZERO) + amount
                    override_total += amount
            for line in extra_lines[left(extra_earners, start) : right(extra_earners, end)]:
                add_line(line)  # clawbacks and adjustments
                into = sums[slot[line.kind]]
                into[line.distributor_id] = into.get(line.distributor_id, ZERO) + line.amount
            placed += len(lines)
            results: list[tuple] = []
            add = results.append
            # Unpacked by position (DistributorInput, DistributorResult): a million rows.
            for row in inputs[left(input_ids, start) : right(input_ids, end)]:
                # fmt: off
                id_, sponsor_id, _, _, customer_cv, paid, _, own_cv, customers, _ = row
                (_, pcv, ppc, pv, gv, share, rewardable, active, met, eligible, rank, title, frontline,
                 best_rank, group_qv, group_cv) = computed[id_]
                add((id_, sponsor_id, pcv, ppc, pv, gv, customer_cv, own_cv, paid, customers, share,
                     rewardable, active, met, eligible, rank, title, frontline, group_qv, group_cv,
                     best_rank, frontline_of(id_, 0), summary_of(id_)))
                # fmt: on
            statements = build_statements(
                distributors=everyone[left(everyone, start) : right(everyone, end)],
                sums=sums,
                carried_in=self.carried_in,
                minimum=self.plan.payout_minimum,
            )
            unsettled = [earner_id for into in sums for earner_id in into]  # statements took out their own
            if unsettled:  # distributor_ids has every earner, so this never happens: no line is lost
                raise ValueError(f"ledger lines of distributors without a statement: {unsettled[:10]}")
            part: dict[str, list] = {"results": results, "lines": lines, "statements": statements}
            self._built.append(part)
            yield part
            del lines, results, statements
        if placed != len(engine_lines) + len(extra_lines):  # an earner outside every range
            raise ValueError(f"{len(engine_lines) + len(extra_lines) - placed} ledger lines are in no chunk")
        self._line_sums = LineSums(personal_total, override_total, by_source)
        self._line_count = placed

    def summary(self) -> dict[str, Any]:
        """The period report of the run, from the rows built (after every part)."""
        from commissions.selectors.report_figures import order_figures, run_figures

        chain = itertools.chain.from_iterable
        statements = [part["statements"] for part in self._built]
        ranks = Counter(r.paid_as_rank for r in self.result.distributors.values())
        period = self.run.period.start
        return {
            **statement_totals(chain(statements)),
            "period": period_label(period),
            "plan": self.run.plan.version,
            "distributors": len(self.inputs.ids),
            "statements": sum(len(rows) for rows in statements),
            "ranks": {str(rank): ranks[rank] for rank in sorted(ranks)},
            "total_rewardable_cv": money_str(self.result.total_rewardable_cv),
            "breakage": str(self.result.breakage),
            "host_credit_issued": str(host_credit_issued(period)),
            "lines": self._line_count,
            # The compliance report's order figures, from the same aggregation (it reads no order line).
            "order_figures": order_figures(
                self.inputs.volumes.values(), self.plan.personal_consumption_cap_qv
            ).as_json(),
            # Its rewards and payouts, from the rows written (it reads none back).
            "run_figures": run_figures(
                self._line_sums,
                chain(statements),
                # id, customer CV, rewardable CV
                ((row[0], row[6], row[11]) for row in chain(part["results"] for part in self._built)),
            ).as_json(),
        }


def compute_close(
    run: CloseRun, *, concurrent_reads: bool = False, ranked: RanksCallback | None = None
) -> ComputedClose:
    """The run computed in memory from a few SQL reads (no per-node queries), up to its rows.

    `concurrent_reads`: read on a second connection too; only when the caller's transaction holds no
    uncommitted rows the reads need (the compute phase outside any outer transaction). `ranked`:
    see compute_period."""
    from commissions.engine import compute_period

    period = run.period.start
    plan = parse_plan_document(run.plan.document)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="close-read") as pool:
        checked = None
        volumes = tree = None
        if concurrent_reads:
            # The volume sums keep PostgreSQL busy while this process waits: read the distributors
            # meanwhile, on a connection of its own, and build the period's tree from them. The
            # tree check is all SQL: it runs in the database while this process computes the
            # engine, which needs neither.
            read = pool.submit(on_own_connection, run_period_tree, run)
            volumes = aggregation.order_volumes(period)
            tree = read.result()
            checked = pool.submit(on_own_connection, tree_problems)

        def tree_checked() -> None:
            problems = checked.result() if checked is not None else tree_problems()
            if problems:
                raise ApplicationError(
                    "The sponsor tree index is inconsistent; repair it (manage.py check_tree) before "
                    "closing: " + "; ".join(problems[:5])
                )

        def ranks_checked(*ranks: Any) -> None:
            tree_checked()  # nothing leaves the close before the tree is known to be sound
            ranked(*ranks)  # type: ignore[misc]

        try:
            inputs = period_inputs(period, volumes=volumes, tree=tree or run_period_tree(run))
            del volumes, tree
            fault_point("close.compute.started")
            result = compute_period(
                plan, inputs.inputs, ranked=ranks_checked if ranked else None, shape=inputs.shape
            )
        finally:
            tree_checked()  # a broken tree is the first thing to report, even if the engine failed on it
    extra_lines = [*clawback_lines(period), *adjustment_lines(period)]
    return ComputedClose(run, plan, inputs, result, extra_lines, carried_in_by_distributor(period))
