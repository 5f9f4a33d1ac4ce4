"""Which order lines count in a period: the one home of the rule, as SQL fragments.

The close's aggregation, the live standing and the live customer requirement read a period's
volumes with these, so a distributor's figures during the month and at the close agree.
`COUNTS_SQL` is a condition on the order `o`, with the parameters `%(period)s` (the period's first
day) and `%(period_end)s`; `RETURNED_SQL` is a query giving `order_line_id, qty`, with `%(period)s`.
"""

# Units returned of each order line by refunds dated up to the end of the period.
RETURNED_SQL = """
    SELECT rl.order_line_id, SUM(rl.quantity) AS qty
    FROM orders_returnline rl
    JOIN orders_return r ON r.id = rl.return_record_id
    JOIN orders_orderline l ON l.id = rl.order_line_id
    JOIN orders_order o ON o.id = l.order_id
    WHERE o.commission_period = %(period)s AND r.refund_period <= %(period)s
    GROUP BY rl.order_line_id
"""

# An order counts in its commission period unless it is pending, or was cancelled before the
# period ended (a cancellation after the period is a refund, settled by clawbacks).
COUNTS_SQL = """
    o.commission_period = %(period)s
    AND o.status <> 'pending'
    AND NOT (o.status = 'cancelled' AND (o.cancelled_at IS NULL OR o.cancelled_at < %(period_end)s))
"""
