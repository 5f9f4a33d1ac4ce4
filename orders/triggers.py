"""Nothing is written into a closing or closed period: the triggers of orders, lines and returns.

The close reads a frozen set of orders, so PostgreSQL refuses, once per statement, an order, an
order line or a return that would count in a `closing` or `closed` period, or leave one; status
changes of older orders (a later return) stay allowed. The services refuse the same writes first
(plans.periods); these are the last word for raw SQL, imports and bugs. They read the periods'
table (`commissions_period`, the plans app's `Period`). Declared in the models' Meta (core.triggers).
"""

import pgtrigger

from core.triggers import NEW_ROWS, OLD_AND_NEW_ROWS, OLD_ROWS, after_each_statement

ORDER_IN_FROZEN_PERIOD = """
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
"""

ORDER_LINE_IN_FROZEN_PERIOD = """
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
"""

RETURN_IN_FROZEN_PERIOD = """
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
"""


def frozen_period(table: str, func: str, declare: list[tuple[str, str]]) -> list[pgtrigger.Trigger]:
    """`<table>_frozen_insert`, `_update` and `_delete`, each running `func` once per statement."""
    return [
        after_each_statement(f"{table}_frozen_insert", pgtrigger.Insert, NEW_ROWS, func, declare),
        after_each_statement(f"{table}_frozen_update", pgtrigger.Update, OLD_AND_NEW_ROWS, func, declare),
        after_each_statement(f"{table}_frozen_delete", pgtrigger.Delete, OLD_ROWS, func, declare),
    ]
