"""The close's triggers are declared beside their models (django-pgtrigger, issue 18).

Until now they were raw SQL in this app's migrations (0003, 0004, 0008, 0011, 0016, 0019, 0021,
0023, 0024), some functions redefined two or three times. Their current text is now in the models'
Meta (commissions/triggers.py, orders/triggers.py, plans.models.Period); this migration drops the
raw triggers and functions this app created, also those on the tables of orders and of the periods,
whose own migrations (orders 0006, plans 0003, run first) add their replacements. PostgreSQL only;
SQLite never had them.

Each trigger keeps its name under pgtrigger's prefix and hash (`pgtrigger_<name>_<hash>`), so a
table's triggers fire in the same order, and its function does what the raw one did, with the same
messages and SQLSTATEs. Two are written differently: `commissions_missing_distributor` is inlined
into the reference check (a trigger's text in one place), and the noun that
`commissions_close_rows_delete_only_previews` took as an argument is part of each function. The
per-row functions that 0004 replaced but left behind go too.

Kept: `distributor_kept_for_close_rows` on `distributors_distributor` (0008). Declared with
pgtrigger it would be an operation of the distributors app's migrations, a lower layer that must
not know the close (docs/adr/0012-layers.md).

Backwards, PREVIOUS recreates the raw functions and triggers exactly as they were (as
PostgreSQL prints them, pg_get_functiondef and pg_get_triggerdef).
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

# table: the raw triggers this app's migrations created on it
TRIGGERS = {
    "commissions_distributorperiod": [
        "distributorperiod_distributor_insert", "distributorperiod_distributor_update",
        "distributorperiod_frozen_insert", "distributorperiod_frozen_update", "distributorperiod_frozen_delete",
        "distributorperiod_run_delete",
    ],
    "commissions_ledgerline": [
        "ledgerline_append_only", "ledgerline_append_only_delete",
        "ledgerline_distributor_insert", "ledgerline_distributor_update",
        "ledgerline_frozen_insert", "ledgerline_frozen_update", "ledgerline_frozen_delete",
        "ledgerline_reversed_line_insert", "ledgerline_reversed_line_update", "ledgerline_reversed_line_delete",
    ],
    "commissions_payout": ["payout_statement_insert", "payout_statement_update"],
    "commissions_period": ["period_closed_is_final"],
    "commissions_statement": [
        "statement_distributor_insert", "statement_distributor_update",
        "statement_frozen_insert", "statement_frozen_update", "statement_frozen_delete",
        "statement_paid_delete", "statement_run_delete",
    ],
    "orders_order": ["order_frozen_insert", "order_frozen_update", "order_frozen_delete"],
    "orders_orderline": ["orderline_frozen_insert", "orderline_frozen_update", "orderline_frozen_delete"],
    "orders_return": ["return_frozen_insert", "return_frozen_update", "return_frozen_delete"],
}

FUNCTIONS = [
    "commissions_close_rows_delete_only_previews()",
    "commissions_closed_period_is_final()",
    "commissions_ledger_append_only()",
    "commissions_ledger_delete_only_previews()",
    "commissions_missing_distributor(bigint[])",
    "commissions_period_is_frozen(date, text[])",
    "commissions_refuse_closed_period_rows()",
    "commissions_refuse_closed_period_set()",
    "commissions_refuse_deleting_paid_statement_set()",
    "commissions_refuse_deleting_reversed_line_set()",
    "commissions_refuse_order_in_frozen_period()",
    "commissions_refuse_order_line_in_frozen_period()",
    "commissions_refuse_order_line_set_in_frozen_period()",
    "commissions_refuse_order_set_in_frozen_period()",
    "commissions_refuse_return_in_frozen_period()",
    "commissions_refuse_return_set_in_frozen_period()",
    "commissions_refuse_unknown_distributor_set()",
    "commissions_refuse_unknown_reversed_line_set()",
    "commissions_refuse_unknown_statement_set()",
]

PREVIOUS = r"""
CREATE OR REPLACE FUNCTION public.commissions_close_rows_delete_only_previews()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    bad bigint;
BEGIN
    SELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id
    WHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '% % of a final close cannot be deleted unless its run is discarded', TG_ARGV[0], bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_closed_period_is_final()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'period % is closed and can no longer change', OLD.start
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_ledger_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'ledger lines are append-only: line % cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM commissions_closerun WHERE id = OLD.run_id AND kind = 'preview') THEN
        RAISE EXCEPTION 'ledger lines are append-only: line % of a final close cannot be deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_ledger_delete_only_previews()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    bad bigint;
BEGIN
    SELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id
    WHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger lines are append-only: line % of a final close cannot be deleted', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_missing_distributor(ids bigint[])
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    low bigint;
    high bigint;
    found bigint;
BEGIN
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    low := ids[1];
    high := ids[cardinality(ids)];
    -- Dense: every id of the range exists, so each referenced one does (ids are sorted).
    IF high - low < 2 * cardinality(ids) THEN
        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;
        IF found = high - low + 1 THEN
            RETURN NULL;
        END IF;
    END IF;
    SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);
    IF found = cardinality(ids) THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT x FROM unnest(ids) AS x
            WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_period_is_frozen(p_start date, p_statuses text[])
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
    SELECT p_start IS NOT NULL AND EXISTS (
        SELECT 1 FROM commissions_period WHERE start = p_start AND status = ANY(p_statuses)
    )
$function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_closed_period_rows()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    row_period bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN row_period := OLD.period_id; ELSE row_period := NEW.period_id; END IF;
    IF EXISTS (SELECT 1 FROM commissions_period WHERE id = row_period AND status = 'closed')
       OR (TG_OP = 'UPDATE' AND EXISTS (
            SELECT 1 FROM commissions_period WHERE id = OLD.period_id AND status = 'closed')) THEN
        RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, row_period
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_closed_period_set()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    bad bigint;
BEGIN
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
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_deleting_paid_statement_set()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    kept bigint;
BEGIN
    SELECT p.statement_id INTO kept FROM commissions_payout p JOIN old_rows o ON o.id = p.statement_id LIMIT 1;
    IF kept IS NOT NULL THEN
        RAISE EXCEPTION 'statement % is paid and cannot be deleted', kept
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_deleting_reversed_line_set()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    kept bigint;
BEGIN
    SELECT l.reversed_line_id INTO kept FROM commissions_ledgerline l JOIN old_rows o ON o.id = l.reversed_line_id
    WHERE l.reversed_line_id IS NOT NULL LIMIT 1;
    IF kept IS NOT NULL THEN
        RAISE EXCEPTION 'ledger line % is reversed by another line and cannot be deleted', kept
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_order_in_frozen_period()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF commissions_period_is_frozen(OLD.commission_period, ARRAY['closed', 'closing']) THEN
            RAISE EXCEPTION 'order % counts in a closed period (%) and cannot be deleted',
                OLD.number, OLD.commission_period USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT'
       OR NEW.commission_period IS DISTINCT FROM OLD.commission_period
       OR NEW.commission_date IS DISTINCT FROM OLD.commission_date THEN
        IF commissions_period_is_frozen(NEW.commission_period, ARRAY['closed', 'closing']) THEN
            RAISE EXCEPTION 'order % cannot count in period %: that period is closed',
                NEW.number, NEW.commission_period USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'UPDATE' AND commissions_period_is_frozen(OLD.commission_period, ARRAY['closed', 'closing']) THEN
            RAISE EXCEPTION 'order % counts in a closed period (%) and cannot be moved out of it',
                OLD.number, OLD.commission_period USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_order_line_in_frozen_period()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    line_order bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN line_order := OLD.order_id; ELSE line_order := NEW.order_id; END IF;
    IF EXISTS (
        SELECT 1 FROM orders_order o
        WHERE o.id = line_order
          AND commissions_period_is_frozen(o.commission_period, ARRAY['closed', 'closing'])
    ) THEN
        RAISE EXCEPTION 'the lines of order % count in a closed period and cannot change', line_order
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_order_line_set_in_frozen_period()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    bad bigint;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT n.order_id INTO bad FROM new_rows n JOIN orders_order o ON o.id = n.order_id
        JOIN commissions_period p ON p.start = o.commission_period AND p.status IN ('closed', 'closing') LIMIT 1;
    END IF;
    IF bad IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT d.order_id INTO bad FROM old_rows d JOIN orders_order o ON o.id = d.order_id
        JOIN commissions_period p ON p.start = o.commission_period AND p.status IN ('closed', 'closing') LIMIT 1;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'the lines of order % count in a closed period and cannot change', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_order_set_in_frozen_period()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    bad text;
    bad_period date;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT n.number, n.commission_period INTO bad, bad_period FROM new_rows n
        JOIN commissions_period p ON p.start = n.commission_period AND p.status IN ('closed', 'closing') LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'order % cannot count in period %: that period is closed', bad, bad_period
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT n.number, n.commission_period INTO bad, bad_period FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN commissions_period p ON p.start = n.commission_period AND p.status IN ('closed', 'closing')
        WHERE n.commission_period IS DISTINCT FROM o.commission_period
           OR n.commission_date IS DISTINCT FROM o.commission_date LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'order % cannot count in period %: that period is closed', bad, bad_period
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        SELECT o.number, o.commission_period INTO bad, bad_period FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN commissions_period p ON p.start = o.commission_period AND p.status IN ('closed', 'closing')
        WHERE n.commission_period IS DISTINCT FROM o.commission_period
           OR n.commission_date IS DISTINCT FROM o.commission_date LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'order % counts in a closed period (%) and cannot be moved out of it', bad, bad_period
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSE
        SELECT o.number, o.commission_period INTO bad, bad_period FROM old_rows o
        JOIN commissions_period p ON p.start = o.commission_period AND p.status IN ('closed', 'closing') LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'order % counts in a closed period (%) and cannot be deleted', bad, bad_period
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_return_in_frozen_period()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF commissions_period_is_frozen(OLD.refund_period, ARRAY['closed', 'closing']) THEN
            RAISE EXCEPTION 'a refund of closed period % cannot be deleted', OLD.refund_period
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF (TG_OP = 'INSERT' OR NEW.refund_period IS DISTINCT FROM OLD.refund_period)
       AND commissions_period_is_frozen(NEW.refund_period, ARRAY['closed', 'closing']) THEN
        RAISE EXCEPTION 'a refund cannot be dated in period %: that period is closed', NEW.refund_period
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_return_set_in_frozen_period()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    bad_period date;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT n.refund_period INTO bad_period FROM new_rows n
        JOIN commissions_period p ON p.start = n.refund_period AND p.status IN ('closed', 'closing') LIMIT 1;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT n.refund_period INTO bad_period FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN commissions_period p ON p.start = n.refund_period AND p.status IN ('closed', 'closing')
        WHERE n.refund_period IS DISTINCT FROM o.refund_period LIMIT 1;
    ELSE
        SELECT o.refund_period INTO bad_period FROM old_rows o
        JOIN commissions_period p ON p.start = o.refund_period AND p.status IN ('closed', 'closing') LIMIT 1;
        IF bad_period IS NOT NULL THEN
            RAISE EXCEPTION 'a refund of closed period % cannot be deleted', bad_period
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF bad_period IS NOT NULL THEN
        RAISE EXCEPTION 'a refund cannot be dated in period %: that period is closed', bad_period
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_unknown_distributor_set()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    missing bigint;
    ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;
    missing := commissions_missing_distributor(ids);
    IF missing IS NULL AND TG_TABLE_NAME = 'commissions_ledgerline' THEN
        SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows WHERE source_id IS NOT NULL;
        missing := commissions_missing_distributor(ids);
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" refers to distributor %, which does not exist',
            TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_unknown_reversed_line_set()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    missing bigint;
BEGIN
    SELECT n.reversed_line_id INTO missing FROM new_rows n WHERE n.reversed_line_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM commissions_ledgerline l WHERE l.id = n.reversed_line_id) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "commissions_ledgerline" refers to ledger line %, which does not exist',
            missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE OR REPLACE FUNCTION public.commissions_refuse_unknown_statement_set()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    missing bigint;
BEGIN
    SELECT n.statement_id INTO missing FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM commissions_statement s WHERE s.id = n.statement_id) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "commissions_payout" refers to statement %, which does not exist',
            missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $function$
;

CREATE TRIGGER distributorperiod_distributor_insert AFTER INSERT ON public.commissions_distributorperiod REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_distributor_set();
CREATE TRIGGER distributorperiod_distributor_update AFTER UPDATE ON public.commissions_distributorperiod REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_distributor_set();
CREATE TRIGGER distributorperiod_frozen_delete AFTER DELETE ON public.commissions_distributorperiod REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER distributorperiod_frozen_insert AFTER INSERT ON public.commissions_distributorperiod REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER distributorperiod_frozen_update AFTER UPDATE ON public.commissions_distributorperiod REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER distributorperiod_run_delete AFTER DELETE ON public.commissions_distributorperiod REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_close_rows_delete_only_previews('result');
CREATE TRIGGER ledgerline_append_only BEFORE UPDATE ON public.commissions_ledgerline FOR EACH ROW EXECUTE FUNCTION commissions_ledger_append_only();
CREATE TRIGGER ledgerline_append_only_delete AFTER DELETE ON public.commissions_ledgerline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_ledger_delete_only_previews();
CREATE TRIGGER ledgerline_distributor_insert AFTER INSERT ON public.commissions_ledgerline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_distributor_set();
CREATE TRIGGER ledgerline_distributor_update AFTER UPDATE ON public.commissions_ledgerline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_distributor_set();
CREATE TRIGGER ledgerline_frozen_delete AFTER DELETE ON public.commissions_ledgerline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER ledgerline_frozen_insert AFTER INSERT ON public.commissions_ledgerline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER ledgerline_frozen_update AFTER UPDATE ON public.commissions_ledgerline REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER ledgerline_reversed_line_delete AFTER DELETE ON public.commissions_ledgerline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_deleting_reversed_line_set();
CREATE TRIGGER ledgerline_reversed_line_insert AFTER INSERT ON public.commissions_ledgerline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_reversed_line_set();
CREATE TRIGGER ledgerline_reversed_line_update AFTER UPDATE ON public.commissions_ledgerline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_reversed_line_set();
CREATE TRIGGER payout_statement_insert AFTER INSERT ON public.commissions_payout REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_statement_set();
CREATE TRIGGER payout_statement_update AFTER UPDATE ON public.commissions_payout REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_statement_set();
CREATE TRIGGER period_closed_is_final BEFORE DELETE OR UPDATE ON public.commissions_period FOR EACH ROW EXECUTE FUNCTION commissions_closed_period_is_final();
CREATE TRIGGER statement_distributor_insert AFTER INSERT ON public.commissions_statement REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_distributor_set();
CREATE TRIGGER statement_distributor_update AFTER UPDATE ON public.commissions_statement REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_unknown_distributor_set();
CREATE TRIGGER statement_frozen_delete AFTER DELETE ON public.commissions_statement REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER statement_frozen_insert AFTER INSERT ON public.commissions_statement REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER statement_frozen_update AFTER UPDATE ON public.commissions_statement REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_closed_period_set();
CREATE TRIGGER statement_paid_delete AFTER DELETE ON public.commissions_statement REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_deleting_paid_statement_set();
CREATE TRIGGER statement_run_delete AFTER DELETE ON public.commissions_statement REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_close_rows_delete_only_previews('statement');
CREATE TRIGGER order_frozen_delete AFTER DELETE ON public.orders_order REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_order_set_in_frozen_period();
CREATE TRIGGER order_frozen_insert AFTER INSERT ON public.orders_order REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_order_set_in_frozen_period();
CREATE TRIGGER order_frozen_update AFTER UPDATE ON public.orders_order REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_order_set_in_frozen_period();
CREATE TRIGGER orderline_frozen_delete AFTER DELETE ON public.orders_orderline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_order_line_set_in_frozen_period();
CREATE TRIGGER orderline_frozen_insert AFTER INSERT ON public.orders_orderline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_order_line_set_in_frozen_period();
CREATE TRIGGER orderline_frozen_update AFTER UPDATE ON public.orders_orderline REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_order_line_set_in_frozen_period();
CREATE TRIGGER return_frozen_delete AFTER DELETE ON public.orders_return REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_return_set_in_frozen_period();
CREATE TRIGGER return_frozen_insert AFTER INSERT ON public.orders_return REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_return_set_in_frozen_period();
CREATE TRIGGER return_frozen_update AFTER UPDATE ON public.orders_return REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_refuse_return_set_in_frozen_period();
"""


def drop_raw_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        sql = [f"DROP TRIGGER IF EXISTS {name} ON {table};" for table, names in TRIGGERS.items() for name in names]
        sql += [f"DROP FUNCTION IF EXISTS {function};" for function in FUNCTIONS]
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("\n".join(sql))


def recreate_raw_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the functions' RAISE messages contain '%', which must not be parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(PREVIOUS)


class Migration(migrations.Migration):

    dependencies = [
        ('commissions', '0026_sepa_payouts'),
        # The replacements of the triggers on orders' tables and on the periods' first, so that no
        # moment between two migrations leaves those tables unguarded.
        ('orders', '0006_triggers_declared'),
        ('plans', '0003_triggers_declared'),
    ]

    operations = [
        migrations.RunPython(drop_raw_triggers, recreate_raw_triggers),
        pgtrigger.migrations.AddTrigger(
            model_name='distributorperiod',
            trigger=pgtrigger.compiler.Trigger(name='distributorperiod_frozen_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='f1b11d51116245383f9bfb458deb33a583778e24', level='STATEMENT', operation='INSERT', pgid='pgtrigger_distributorperiod_frozen_insert_62160', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_distributorperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='distributorperiod',
            trigger=pgtrigger.compiler.Trigger(name='distributorperiod_frozen_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='d357c476e9490f142db861775b06fb7e8615fecd', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_distributorperiod_frozen_update_1ee20', referencing='REFERENCING OLD TABLE AS old_rows  NEW TABLE AS new_rows ', table='commissions_distributorperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='distributorperiod',
            trigger=pgtrigger.compiler.Trigger(name='distributorperiod_frozen_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='4e192df28f8903907c5aa7bc7345cd33421c7ce7', level='STATEMENT', operation='DELETE', pgid='pgtrigger_distributorperiod_frozen_delete_36af5', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_distributorperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='distributorperiod',
            trigger=pgtrigger.compiler.Trigger(name='distributorperiod_distributor_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint; ids bigint[]; low bigint; high bigint; found bigint;', func='\nSELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;\n\nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nIF missing IS NULL AND TG_TABLE_NAME = \'commissions_ledgerline\' THEN\n    SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows\n    WHERE source_id IS NOT NULL;\n    \nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nEND IF;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION \'insert or update on table "%" refers to distributor %, which does not exist\',\n        TG_TABLE_NAME, missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='0e634379dc7ad583357dfd99ae36c1e0e2ca855b', level='STATEMENT', operation='INSERT', pgid='pgtrigger_distributorperiod_distributor_insert_ee9cf', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_distributorperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='distributorperiod',
            trigger=pgtrigger.compiler.Trigger(name='distributorperiod_distributor_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint; ids bigint[]; low bigint; high bigint; found bigint;', func='\nSELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;\n\nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nIF missing IS NULL AND TG_TABLE_NAME = \'commissions_ledgerline\' THEN\n    SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows\n    WHERE source_id IS NOT NULL;\n    \nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nEND IF;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION \'insert or update on table "%" refers to distributor %, which does not exist\',\n        TG_TABLE_NAME, missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='e51d3f229f7eb24894977a67b9832a0bf4fa47f1', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_distributorperiod_distributor_update_96d21', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_distributorperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='distributorperiod',
            trigger=pgtrigger.compiler.Trigger(name='distributorperiod_run_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nSELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id\nWHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION 'result % of a final close cannot be deleted unless its run is discarded', bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='aca8b192ee7f1b49ff9e98b2756511460eb12502', level='STATEMENT', operation='DELETE', pgid='pgtrigger_distributorperiod_run_delete_9734a', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_distributorperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="\nRAISE EXCEPTION 'ledger lines are append-only: line % cannot be changed', OLD.id\n    USING ERRCODE = 'integrity_constraint_violation';\n", hash='310d4ebf66d5c9c88e7c7d893e37f17ed57c1f43', operation='UPDATE', pgid='pgtrigger_ledgerline_append_only_b8d5b', table='commissions_ledgerline', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_append_only_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nSELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id\nWHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION 'ledger lines are append-only: line % of a final close cannot be deleted', bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='d888ba33bfcbf596978fbf346d62f88e9a081ce8', level='STATEMENT', operation='DELETE', pgid='pgtrigger_ledgerline_append_only_delete_1c3e2', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_frozen_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='99423a8b6a7dbad490f9ca66f0d8b42bd87ed753', level='STATEMENT', operation='INSERT', pgid='pgtrigger_ledgerline_frozen_insert_b6541', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_frozen_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='62c1cf226543001bd9e3b64a278f4bf85195c5a7', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_ledgerline_frozen_update_d368c', referencing='REFERENCING OLD TABLE AS old_rows  NEW TABLE AS new_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_frozen_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='9f11925801abd6f598825dc67f720aef236704e1', level='STATEMENT', operation='DELETE', pgid='pgtrigger_ledgerline_frozen_delete_ec0b2', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_distributor_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint; ids bigint[]; low bigint; high bigint; found bigint;', func='\nSELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;\n\nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nIF missing IS NULL AND TG_TABLE_NAME = \'commissions_ledgerline\' THEN\n    SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows\n    WHERE source_id IS NOT NULL;\n    \nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nEND IF;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION \'insert or update on table "%" refers to distributor %, which does not exist\',\n        TG_TABLE_NAME, missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='4e26f8ef0b194535e5b76acdfd5432ddd58b1652', level='STATEMENT', operation='INSERT', pgid='pgtrigger_ledgerline_distributor_insert_a0c44', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_distributor_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint; ids bigint[]; low bigint; high bigint; found bigint;', func='\nSELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;\n\nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nIF missing IS NULL AND TG_TABLE_NAME = \'commissions_ledgerline\' THEN\n    SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows\n    WHERE source_id IS NOT NULL;\n    \nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nEND IF;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION \'insert or update on table "%" refers to distributor %, which does not exist\',\n        TG_TABLE_NAME, missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='18702bef119553fda0a7d4e46523881264ce2fb8', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_ledgerline_distributor_update_a23c7', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_reversed_line_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint;', func='\nSELECT n.reversed_line_id INTO missing FROM new_rows n WHERE n.reversed_line_id IS NOT NULL\nAND NOT EXISTS (SELECT 1 FROM commissions_ledgerline l WHERE l.id = n.reversed_line_id) LIMIT 1;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION\n        \'insert or update on table "commissions_ledgerline" refers to ledger line %, which does not exist\',\n        missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='2bd264919698a89470fffcb5cb7e1d9d225da2d8', level='STATEMENT', operation='INSERT', pgid='pgtrigger_ledgerline_reversed_line_insert_0d566', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_reversed_line_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint;', func='\nSELECT n.reversed_line_id INTO missing FROM new_rows n WHERE n.reversed_line_id IS NOT NULL\nAND NOT EXISTS (SELECT 1 FROM commissions_ledgerline l WHERE l.id = n.reversed_line_id) LIMIT 1;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION\n        \'insert or update on table "commissions_ledgerline" refers to ledger line %, which does not exist\',\n        missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='5203e642244d7ff415ba8879f59340ed5f03512f', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_ledgerline_reversed_line_update_4cb31', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerline',
            trigger=pgtrigger.compiler.Trigger(name='ledgerline_reversed_line_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE kept bigint;', func="\nSELECT l.reversed_line_id INTO kept FROM commissions_ledgerline l JOIN old_rows o ON o.id = l.reversed_line_id\nWHERE l.reversed_line_id IS NOT NULL LIMIT 1;\nIF kept IS NOT NULL THEN\n    RAISE EXCEPTION 'ledger line % is reversed by another line and cannot be deleted', kept\n        USING ERRCODE = 'foreign_key_violation';\nEND IF;\nRETURN NULL;\n", hash='0fc1ef92f10f2f49d46e45b7f328cde0490df6b2', level='STATEMENT', operation='DELETE', pgid='pgtrigger_ledgerline_reversed_line_delete_a1d80', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_ledgerline', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='payout',
            trigger=pgtrigger.compiler.Trigger(name='payout_statement_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint;', func='\nSELECT n.statement_id INTO missing FROM new_rows n\nWHERE NOT EXISTS (SELECT 1 FROM commissions_statement s WHERE s.id = n.statement_id) LIMIT 1;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION\n        \'insert or update on table "commissions_payout" refers to statement %, which does not exist\',\n        missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='3ef3cec5ee1b79485a219b0d565b6899359592fd', level='STATEMENT', operation='INSERT', pgid='pgtrigger_payout_statement_insert_8a877', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_payout', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='payout',
            trigger=pgtrigger.compiler.Trigger(name='payout_statement_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint;', func='\nSELECT n.statement_id INTO missing FROM new_rows n\nWHERE NOT EXISTS (SELECT 1 FROM commissions_statement s WHERE s.id = n.statement_id) LIMIT 1;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION\n        \'insert or update on table "commissions_payout" refers to statement %, which does not exist\',\n        missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='cf480aee6eb2ba5a7751aa46e6f49999de5c4f88', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_payout_statement_update_7aa87', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_payout', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='statement',
            trigger=pgtrigger.compiler.Trigger(name='statement_frozen_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='01e441e21dfb72dd1f4f90b0735504b234127166', level='STATEMENT', operation='INSERT', pgid='pgtrigger_statement_frozen_insert_55a6f', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_statement', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='statement',
            trigger=pgtrigger.compiler.Trigger(name='statement_frozen_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='47a5da364975879b3f05ded4aa2bc70c2cb753d2', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_statement_frozen_update_8b4d5', referencing='REFERENCING OLD TABLE AS old_rows  NEW TABLE AS new_rows ', table='commissions_statement', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='statement',
            trigger=pgtrigger.compiler.Trigger(name='statement_frozen_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n    SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'UPDATE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    WHERE p.status = 'closed' LIMIT 1;\nEND IF;\nIF bad IS NULL AND TG_OP = 'DELETE' THEN\n    SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id\n    LEFT JOIN commissions_closerun r ON r.id = o.run_id\n    WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;\nEND IF;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='26ada4ad570c00af5361e7727287f70db9fa90f1', level='STATEMENT', operation='DELETE', pgid='pgtrigger_statement_frozen_delete_6625f', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_statement', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='statement',
            trigger=pgtrigger.compiler.Trigger(name='statement_distributor_insert', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint; ids bigint[]; low bigint; high bigint; found bigint;', func='\nSELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;\n\nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nIF missing IS NULL AND TG_TABLE_NAME = \'commissions_ledgerline\' THEN\n    SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows\n    WHERE source_id IS NOT NULL;\n    \nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nEND IF;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION \'insert or update on table "%" refers to distributor %, which does not exist\',\n        TG_TABLE_NAME, missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='f7f909b0a42af5ea1304ebf94f6c9882dfb8a4aa', level='STATEMENT', operation='INSERT', pgid='pgtrigger_statement_distributor_insert_e5e69', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_statement', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='statement',
            trigger=pgtrigger.compiler.Trigger(name='statement_distributor_update', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE missing bigint; ids bigint[]; low bigint; high bigint; found bigint;', func='\nSELECT array_agg(DISTINCT distributor_id ORDER BY distributor_id) INTO ids FROM new_rows;\n\nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nIF missing IS NULL AND TG_TABLE_NAME = \'commissions_ledgerline\' THEN\n    SELECT array_agg(DISTINCT source_id ORDER BY source_id) INTO ids FROM new_rows\n    WHERE source_id IS NOT NULL;\n    \nIF ids IS NOT NULL THEN\n    low := ids[1];\n    high := ids[cardinality(ids)];\n    found := NULL;\n    IF high - low < 2 * cardinality(ids) THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id BETWEEN low AND high;\n    END IF;\n    IF found IS DISTINCT FROM high - low + 1 THEN\n        SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);\n        IF found < cardinality(ids) THEN\n            missing := (SELECT x FROM unnest(ids) AS x\n                        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1);\n        END IF;\n    END IF;\nEND IF;\n\nEND IF;\nIF missing IS NOT NULL THEN\n    RAISE EXCEPTION \'insert or update on table "%" refers to distributor %, which does not exist\',\n        TG_TABLE_NAME, missing USING ERRCODE = \'foreign_key_violation\';\nEND IF;\nRETURN NULL;\n', hash='81f8376ba5ebd04288150787719fa366f6c01fd0', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_statement_distributor_update_7b7e3', referencing='REFERENCING NEW TABLE AS new_rows ', table='commissions_statement', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='statement',
            trigger=pgtrigger.compiler.Trigger(name='statement_paid_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE kept bigint;', func="\nSELECT p.statement_id INTO kept FROM commissions_payout p JOIN old_rows o ON o.id = p.statement_id LIMIT 1;\nIF kept IS NOT NULL THEN\n    RAISE EXCEPTION 'statement % is paid and cannot be deleted', kept\n        USING ERRCODE = 'foreign_key_violation';\nEND IF;\nRETURN NULL;\n", hash='ab9030ec88f9bc8340477653ccd7acb68401f19b', level='STATEMENT', operation='DELETE', pgid='pgtrigger_statement_paid_delete_2bcf5', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_statement', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='statement',
            trigger=pgtrigger.compiler.Trigger(name='statement_run_delete', sql=pgtrigger.compiler.UpsertTriggerSql(declare='DECLARE bad bigint;', func="\nSELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id\nWHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;\nIF bad IS NOT NULL THEN\n    RAISE EXCEPTION 'statement % of a final close cannot be deleted unless its run is discarded', bad\n        USING ERRCODE = 'integrity_constraint_violation';\nEND IF;\nRETURN NULL;\n", hash='74c0013fc0fcf7cfcd13e60440a49a15e1632139', level='STATEMENT', operation='DELETE', pgid='pgtrigger_statement_run_delete_02f99', referencing='REFERENCING OLD TABLE AS old_rows ', table='commissions_statement', when='AFTER')),
        ),
    ]
