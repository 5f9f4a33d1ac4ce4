"""What the writers of orders in bulk share (the network import, the demo seed): the columns of an
order line they write, in the order of their rows. The same columns order_create fills; the
database computes the generated ones (qv_units, cv_units, value_cents).
"""

from __future__ import annotations

ORDER_LINE_COLUMNS = (
    "order_id",
    "product_id",
    "sku",
    "quantity",
    "unit_list_price",
    "unit_price",
    "vat_rate",
    "unit_qv",
    "unit_cv",
    "commissionable",
    "half_price",
    "excluded_from_buyback",
    "buyback_eligible",
)
