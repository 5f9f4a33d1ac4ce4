"""Set-based immutability triggers: one check per statement (transition tables), not one per row.

The close inserts millions of rows per month and imports COPY millions of order lines; a per-row
trigger costs a query per row. These AFTER ... FOR EACH STATEMENT triggers see every inserted,
updated or deleted row at once and refuse the whole statement if one of them touches a closed (or,
for orders, closing) period. Ledger lines stay append-only per row (updates and deletes are rare).
"""

from django.db import migrations

TABLES = {
    # table: (function refusing rows of a frozen period, columns to check)
    "commissions_ledgerline": "commissions_refuse_closed_period_set",
    "commissions_statement": "commissions_refuse_closed_period_set",
    "commissions_distributorperiod": "commissions_refuse_closed_period_set",
    "orders_order": "commissions_refuse_order_set_in_frozen_period",
    "orders_orderline": "commissions_refuse_order_line_set_in_frozen_period",
    "orders_return": "commissions_refuse_return_set_in_frozen_period",
}

FORWARD = r"""
DROP TRIGGER IF EXISTS ledgerline_closed_period ON commissions_ledgerline;
DROP TRIGGER IF EXISTS statement_closed_period ON commissions_statement;
DROP TRIGGER IF EXISTS distributorperiod_closed_period ON commissions_distributorperiod;
DROP TRIGGER IF EXISTS order_frozen_period ON orders_order;
DROP TRIGGER IF EXISTS orderline_frozen_period ON orders_orderline;
DROP TRIGGER IF EXISTS return_frozen_period ON orders_return;

-- Rows of the close (results, ledger, statements) of a closed period.
CREATE OR REPLACE FUNCTION commissions_refuse_closed_period_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id
        WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF bad IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id
        WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_order_set_in_frozen_period() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_order_line_set_in_frozen_period() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_return_set_in_frozen_period() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;
"""


def _statement_triggers() -> str:
    sql = []
    for table, function in TABLES.items():
        short = table.split("_", 1)[1]
        sql.append(
            f"CREATE TRIGGER {short}_frozen_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
            f"CREATE TRIGGER {short}_frozen_update AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
            f"CREATE TRIGGER {short}_frozen_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
        )
    return "".join(sql)


def _drop_statement_triggers() -> str:
    sql = []
    for table in TABLES:
        short = table.split("_", 1)[1]
        for event in ("insert", "update", "delete"):
            sql.append(f"DROP TRIGGER IF EXISTS {short}_frozen_{event} ON {table};\n")
    return "".join(sql)


BACKWARD = r"""
DROP FUNCTION IF EXISTS commissions_refuse_closed_period_set();
DROP FUNCTION IF EXISTS commissions_refuse_order_set_in_frozen_period();
DROP FUNCTION IF EXISTS commissions_refuse_order_line_set_in_frozen_period();
DROP FUNCTION IF EXISTS commissions_refuse_return_set_in_frozen_period();
CREATE TRIGGER ledgerline_closed_period BEFORE INSERT OR UPDATE OR DELETE ON commissions_ledgerline
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_closed_period_rows();
CREATE TRIGGER statement_closed_period BEFORE INSERT OR UPDATE OR DELETE ON commissions_statement
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_closed_period_rows();
CREATE TRIGGER distributorperiod_closed_period BEFORE INSERT OR UPDATE OR DELETE ON commissions_distributorperiod
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_closed_period_rows();
CREATE TRIGGER order_frozen_period BEFORE INSERT OR UPDATE OR DELETE ON orders_order
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_order_in_frozen_period();
CREATE TRIGGER orderline_frozen_period BEFORE INSERT OR UPDATE OR DELETE ON orders_orderline
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_order_line_in_frozen_period();
CREATE TRIGGER return_frozen_period BEFORE INSERT OR UPDATE OR DELETE ON orders_return
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_return_in_frozen_period();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the functions' RAISE messages contain '%', which must not be parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD + _statement_triggers())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_drop_statement_triggers() + BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("commissions", "0003_close_triggers")]

    operations = [migrations.RunPython(forward, backward)]
