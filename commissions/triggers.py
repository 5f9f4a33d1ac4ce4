"""What PostgreSQL refuses of the close's rows: the bodies of the triggers declared in the Meta of
DistributorPeriod, LedgerLine, Statement and Payout (core.triggers; docs/close.md, "Database
guarantees"). The services never attempt these writes; the triggers stop raw SQL and bugs.

- A closed period's results, ledger lines and statements: no INSERT or UPDATE, and a DELETE only of
  a preview run's rows (previews of a closed month are pruned).
- Ledger lines: no UPDATE; a DELETE only of lines of a preview or a discarded run. Results and
  statements: the same DELETE rule (commissions.close.discard marks the run discarded first).
- The references the close's rows carry without a database FOREIGN KEY (a COPY of millions of rows
  would check each one): the distributor (and a ledger line's source) exists, a reversed line
  exists, a payout's statement exists; a reversed line or a paid statement cannot be deleted.
  Deleting a distributor with close rows is refused by `distributor_kept_for_close_rows`, which
  stays in migration 0008: declared here it would be an operation of the distributors app's
  migrations, a lower layer that must not know the close (docs/adr/0012-layers.md).

PostgreSQL fires a table's triggers of one event in name order: `*_append_only_delete` sorts before
`*_frozen_delete`, so a final close's ledger lines are refused with the append-only message first,
and `*_run_delete` after it, so a closed period's results and statements get the closed-period one.
"""

import pgtrigger

from core.triggers import NEW_ROWS, OLD_AND_NEW_ROWS, OLD_ROWS, after_each_statement

# Row level: nothing updates a ledger line, so the check costs nothing.
LEDGER_APPEND_ONLY = """
RAISE EXCEPTION 'ledger lines are append-only: line % cannot be changed', OLD.id
    USING ERRCODE = 'integrity_constraint_violation';
"""

LEDGER_DELETE_ONLY_PREVIEWS = """
SELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id
WHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;
IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger lines are append-only: line % of a final close cannot be deleted', bad
        USING ERRCODE = 'integrity_constraint_violation';
END IF;
RETURN NULL;
"""

CLOSED_PERIOD = """
IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id
    WHERE p.status = 'closed' LIMIT 1;
END IF;
IF bad IS NULL AND TG_OP = 'UPDATE' THEN
    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id
    WHERE p.status = 'closed' LIMIT 1;
END IF;
IF bad IS NULL AND TG_OP = 'DELETE' THEN
    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id
    LEFT JOIN commissions_closerun r ON r.id = o.run_id
    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;
END IF;
IF bad IS NOT NULL THEN
    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad
        USING ERRCODE = 'integrity_constraint_violation';
END IF;
RETURN NULL;
"""

# `missing` := one of the sorted distinct `ids` that is no distributor, if any. A close chunk names
# consecutive distributors: when every id from the lowest to the highest exists (one count along
# the primary key), each one does; ids spread thinly, or a range with a gap, are probed one by one.
_MISSING_DISTRIBUTOR = """
IF ids IS NOT NULL THEN
    low := ids[1];
    high := ids[cardinality(ids)];
    found := NULL;
    IF high - low < 2 * cardinality(ids) THEN
        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;
    END IF;
    IF found IS DISTINCT FROM high - low + 1 THEN
        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);
        IF found < cardinality(ids) THEN
            missing := (SELECT x FROM unnest(ids) AS x
                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);
        END IF;
    END IF;
END IF;
"""

DISTRIBUTORS_EXIST = f"""
SELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;
{_MISSING_DISTRIBUTOR}
IF missing IS NULL AND TG_TABLE_NAME = 'commissions_ledgerline' THEN
    SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows
    WHERE source_id IS NOT NULL;
    {_MISSING_DISTRIBUTOR}
END IF;
IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "%" refers to distributor %, which does not exist',
        TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
END IF;
RETURN NULL;
"""

REVERSED_LINE_EXISTS = """
SELECT n.reversed_line_id INTO missing FROM new_rows n WHERE n.reversed_line_id IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM commissions_ledgerline l WHERE l.id = n.reversed_line_id) LIMIT 1;
IF missing IS NOT NULL THEN
    RAISE EXCEPTION
        'insert or update on table "commissions_ledgerline" refers to ledger line %, which does not exist',
        missing USING ERRCODE = 'foreign_key_violation';
END IF;
RETURN NULL;
"""

REVERSED_LINE_KEPT = """
SELECT l.reversed_line_id INTO kept FROM commissions_ledgerline l JOIN old_rows o ON o.id = l.reversed_line_id
WHERE l.reversed_line_id IS NOT NULL LIMIT 1;
IF kept IS NOT NULL THEN
    RAISE EXCEPTION 'ledger line % is reversed by another line and cannot be deleted', kept
        USING ERRCODE = 'foreign_key_violation';
END IF;
RETURN NULL;
"""

STATEMENT_EXISTS = """
SELECT n.statement_id INTO missing FROM new_rows n
WHERE NOT EXISTS (SELECT 1 FROM commissions_statement s WHERE s.id = n.statement_id) LIMIT 1;
IF missing IS NOT NULL THEN
    RAISE EXCEPTION
        'insert or update on table "commissions_payout" refers to statement %, which does not exist',
        missing USING ERRCODE = 'foreign_key_violation';
END IF;
RETURN NULL;
"""

PAID_STATEMENT_KEPT = """
SELECT p.statement_id INTO kept FROM commissions_payout p JOIN old_rows o ON o.id = p.statement_id LIMIT 1;
IF kept IS NOT NULL THEN
    RAISE EXCEPTION 'statement % is paid and cannot be deleted', kept
        USING ERRCODE = 'foreign_key_violation';
END IF;
RETURN NULL;
"""

BAD: list[tuple[str, str]] = [("bad", "bigint")]
MISSING: list[tuple[str, str]] = [("missing", "bigint")]
KEPT: list[tuple[str, str]] = [("kept", "bigint")]


def closed_period(table: str) -> list[pgtrigger.Trigger]:
    """`<table>_frozen_insert`, `_update` and `_delete`: nothing of a closed period is written."""
    return [
        after_each_statement(f"{table}_frozen_insert", pgtrigger.Insert, NEW_ROWS, CLOSED_PERIOD, BAD),
        after_each_statement(
            f"{table}_frozen_update", pgtrigger.Update, OLD_AND_NEW_ROWS, CLOSED_PERIOD, BAD
        ),
        after_each_statement(f"{table}_frozen_delete", pgtrigger.Delete, OLD_ROWS, CLOSED_PERIOD, BAD),
    ]


def distributors_exist(table: str) -> list[pgtrigger.Trigger]:
    """`<table>_distributor_insert` and `_update`: every distributor the rows name exists."""
    declare = [
        ("missing", "bigint"),
        ("ids", "bigint[]"),
        ("low", "bigint"),
        ("high", "bigint"),
        ("found", "bigint"),
    ]
    return [
        after_each_statement(
            f"{table}_distributor_insert", pgtrigger.Insert, NEW_ROWS, DISTRIBUTORS_EXIST, declare
        ),
        after_each_statement(
            f"{table}_distributor_update", pgtrigger.Update, NEW_ROWS, DISTRIBUTORS_EXIST, declare
        ),
    ]


def run_delete(table: str, noun: str) -> pgtrigger.Trigger:
    """`<table>_run_delete`: a row is deleted only with its preview or discarded run; `noun` names
    a row in the message."""
    func = f"""
SELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id
WHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;
IF bad IS NOT NULL THEN
    RAISE EXCEPTION '{noun} % of a final close cannot be deleted unless its run is discarded', bad
        USING ERRCODE = 'integrity_constraint_violation';
END IF;
RETURN NULL;
"""
    return after_each_statement(f"{table}_run_delete", pgtrigger.Delete, OLD_ROWS, func, BAD)
