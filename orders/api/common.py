"""What the orders API's views share: the base view, the documented errors, and the inputs of a
reason and of units of an order line.

Every object is looked up within the acting distributor's own (orders.selectors: `customer_of`,
`order_of`, `demonstration_of`...): anything else, also when named in a body or a filter, is 404.
Writes call orders.services; client input never sets a distributor, amount, status or period.
"""

from __future__ import annotations

from rest_framework import serializers

from core.api.errors import error_responses
from core.api.serializers import IdField, StrictInputSerializer
from orders.models import MAX_LINE_QUANTITY

PERMISSION_NOTE = "Only for a logged-in distributor, and only on their own objects (others are 404)."
READ_ERRORS = error_responses(401, 403, 404, 429)
LIST_ERRORS = error_responses(400, 401, 403, 404, 429)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 429)
CREATE_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429)


# --- A reason given with a cancellation or a withdrawal.


class ReasonSerializer(StrictInputSerializer):
    class Meta:
        ref_name = "ReasonInput"

    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


# --- Units of an order line: the lines of a return and of a buy-back request.


class OrderLineQuantityInput(StrictInputSerializer):
    class Meta:
        ref_name = "OrderLineQuantityInput"

    order_line = IdField(help_text="Id of a line of my own order (for a return: of that order).")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
