"""Database-enforced immutability of the close (PostgreSQL only; the SQLite demo relies on services).

- Ledger lines are append-only: no UPDATE, and no DELETE except of a preview run's lines.
- Nothing of a closed period's results, ledger or statements can be inserted, changed or deleted.
- A closed Period row never changes again.
- Orders, order lines and returns cannot be written into a closed or closing period (the close
  reads a frozen set of orders); status changes of older orders (a later return) stay allowed.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION commissions_period_is_frozen(p_start date, p_statuses text[])
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT p_start IS NOT NULL AND EXISTS (
        SELECT 1 FROM commissions_period WHERE start = p_start AND status = ANY(p_statuses)
    )
$$;

CREATE OR REPLACE FUNCTION commissions_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_closed_period_rows() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE OR REPLACE FUNCTION commissions_closed_period_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'period % is closed and can no longer change', OLD.start
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_order_in_frozen_period() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_order_line_in_frozen_period() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_return_in_frozen_period() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE TRIGGER ledgerline_append_only BEFORE UPDATE OR DELETE ON commissions_ledgerline
    FOR EACH ROW EXECUTE FUNCTION commissions_ledger_append_only();
CREATE TRIGGER ledgerline_closed_period BEFORE INSERT OR UPDATE OR DELETE ON commissions_ledgerline
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_closed_period_rows();
CREATE TRIGGER statement_closed_period BEFORE INSERT OR UPDATE OR DELETE ON commissions_statement
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_closed_period_rows();
CREATE TRIGGER distributorperiod_closed_period BEFORE INSERT OR UPDATE OR DELETE ON commissions_distributorperiod
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_closed_period_rows();
CREATE TRIGGER period_closed_is_final BEFORE UPDATE OR DELETE ON commissions_period
    FOR EACH ROW EXECUTE FUNCTION commissions_closed_period_is_final();
CREATE TRIGGER order_frozen_period BEFORE INSERT OR UPDATE OR DELETE ON orders_order
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_order_in_frozen_period();
CREATE TRIGGER orderline_frozen_period BEFORE INSERT OR UPDATE OR DELETE ON orders_orderline
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_order_line_in_frozen_period();
CREATE TRIGGER return_frozen_period BEFORE INSERT OR UPDATE OR DELETE ON orders_return
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_return_in_frozen_period();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS return_frozen_period ON orders_return;
DROP TRIGGER IF EXISTS orderline_frozen_period ON orders_orderline;
DROP TRIGGER IF EXISTS order_frozen_period ON orders_order;
DROP TRIGGER IF EXISTS period_closed_is_final ON commissions_period;
DROP TRIGGER IF EXISTS distributorperiod_closed_period ON commissions_distributorperiod;
DROP TRIGGER IF EXISTS statement_closed_period ON commissions_statement;
DROP TRIGGER IF EXISTS ledgerline_closed_period ON commissions_ledgerline;
DROP TRIGGER IF EXISTS ledgerline_append_only ON commissions_ledgerline;
DROP FUNCTION IF EXISTS commissions_refuse_return_in_frozen_period();
DROP FUNCTION IF EXISTS commissions_refuse_order_line_in_frozen_period();
DROP FUNCTION IF EXISTS commissions_refuse_order_in_frozen_period();
DROP FUNCTION IF EXISTS commissions_closed_period_is_final();
DROP FUNCTION IF EXISTS commissions_refuse_closed_period_rows();
DROP FUNCTION IF EXISTS commissions_ledger_append_only();
DROP FUNCTION IF EXISTS commissions_period_is_frozen(date, text[]);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the functions' RAISE messages contain '%', which must not be parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0002_close"),
        ("orders", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
