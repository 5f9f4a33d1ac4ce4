"""Writes of the orders app, split by sub-domain; the public functions are re-exported here."""

from .catalogue import product_create, product_set_active, product_update, product_validate
from .common import order_number
from .customers import customer_delete, customer_register, customer_update
from .demonstrations import (
    demonstration_add_guest,
    demonstration_cancel,
    demonstration_close,
    demonstration_plan,
)
from .orders import LineInput, cooling_off_deadline, order_cancel, order_create, order_pay
from .returns import order_return

__all__ = [
    "LineInput",
    "cooling_off_deadline",
    "customer_delete",
    "customer_register",
    "customer_update",
    "demonstration_add_guest",
    "demonstration_cancel",
    "demonstration_close",
    "demonstration_plan",
    "order_cancel",
    "order_create",
    "order_number",
    "order_pay",
    "order_return",
    "product_create",
    "product_set_active",
    "product_update",
    "product_validate",
]
