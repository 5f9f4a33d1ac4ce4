"""The one writer of the distributors' paid-as rank and title (the highest ever) from a final close.

`ranks_write` runs once per final run: during the compute, from the engine's ranks, on a connection
of its own (close.threads.RankWriter, PostgreSQL); or, when the compute did not write them (a compute
that died or was resumed, and the SQLite demo), at finalize, from the run's written results. Both
give the same values: the results hold the engine's ranks. The same transaction marks the run
(`CloseRun.ranks_written`), and writing them again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction

from commissions.models import CloseRun, DistributorPeriod

# The engine's ranks (its `ranked` callback): distributor ids, paid-as ranks, titles.
EngineRanks = tuple[Sequence[int], Sequence[int], Sequence[int]]


def ranks_write(run_id: int, ranked: EngineRanks | None = None) -> None:
    """The run's paid-as ranks and titles onto its distributors, in one statement; the run marked.

    `ranked`: the engine's ranks (PostgreSQL, during the compute); without it, the run's results.
    Rows that would not change are not written (every write of this wide table is a new tuple in
    all its indexes)."""
    from distributors.models import Distributor

    table = Distributor._meta.db_table
    results = DistributorPeriod._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        CloseRun.objects.filter(pk=run_id).update(ranks_written=True)
        if ranked is not None:  # COPY: PostgreSQL only, as the compute that calls with them
            cursor.execute(
                "CREATE TEMP TABLE close_ranks (distributor_id bigint, paid_as_rank smallint, "
                "title smallint) ON COMMIT DROP"
            )
            with cursor.copy("COPY close_ranks FROM STDIN") as copy:
                rows = zip(*ranked, strict=True)
                copy.write("".join([f"{pk}\t{rank}\t{title}\n" for pk, rank, title in rows]))
            source, of_run, params = "close_ranks", "", []
        elif connection.vendor == "postgresql":
            source, of_run, params = results, "r.run_id = %s AND ", [run_id]
        else:
            cursor.execute(
                f"UPDATE {table} SET rank = (SELECT r.paid_as_rank FROM {results} r "
                f"WHERE r.run_id = %s AND r.distributor_id = {table}.id), "
                f"title = MAX(title, (SELECT r.title FROM {results} r WHERE r.run_id = %s "
                f"AND r.distributor_id = {table}.id)) "
                f"WHERE id IN (SELECT r.distributor_id FROM {results} r WHERE r.run_id = %s)",
                [run_id, run_id, run_id],
            )
            return
        cursor.execute(
            f"UPDATE {table} AS d SET rank = r.paid_as_rank, title = GREATEST(d.title, r.title) "
            f"FROM {source} AS r WHERE {of_run}r.distributor_id = d.id "
            "AND (d.rank <> r.paid_as_rank OR d.title < r.title)",
            params,
        )
        if ranked is not None:
            cursor.execute("DROP TABLE close_ranks")  # inside an outer transaction, the commit is later
