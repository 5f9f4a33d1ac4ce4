"""Forms of the portal's Autoship pages: they parse input; orders.services.autoship decides.

The schedule (every N weeks on a weekday, or every N months on a day) and up to LINE_ROWS product
lines; a refusal of the service goes back onto the form (portal.forms.add_service_error).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import AutoshipUnit, Weekday
from orders.models_autoship import MAX_INTERVAL_MONTHS, MAX_INTERVAL_WEEKS

LINE_ROWS = 5
OWN = "me"


class AutoshipForm(forms.Form):
    interval_unit = forms.ChoiceField(
        label=_("Every"), choices=AutoshipUnit.choices, initial=AutoshipUnit.MONTHS
    )
    interval_count = forms.IntegerField(
        label=_("Number of weeks or months"),
        min_value=1,
        max_value=max(MAX_INTERVAL_MONTHS, MAX_INTERVAL_WEEKS),
        initial=1,
    )
    day_of_month = forms.IntegerField(
        label=_("Day of the month (for months)"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=_("29, 30 and 31 fall on the last day of a shorter month."),
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekday (for weeks)"),
        choices=[("", "—"), *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, products: list, customers: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customers is not None:
            # Only when starting one: who receives it is fixed afterwards.
            self.fields["subscriber"] = forms.ChoiceField(
                label=_("For"),
                choices=[(OWN, _("Myself (my own orders)")), *((str(c.pk), str(c)) for c in customers)],
            )
            self.order_fields(["subscriber"])
        product_choices = [("", "—"), *((p.sku, f"{p.sku} {p.name}") for p in products)]
        for row in range(1, LINE_ROWS + 1):
            self.fields[f"product_{row}"] = forms.ChoiceField(
                label=_("Product %(row)s") % {"row": row}, choices=product_choices, required=False
            )
            self.fields[f"quantity_{row}"] = forms.IntegerField(
                label=_("Quantity %(row)s") % {"row": row}, min_value=1, max_value=999, required=False
            )

    def line_rows(self) -> list[tuple[Any, Any]]:
        """(product field, quantity field) per row, for the template."""
        return [(self[f"product_{row}"], self[f"quantity_{row}"]) for row in range(1, LINE_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = []
        for row in range(1, LINE_ROWS + 1):
            sku, quantity = data.get(f"product_{row}"), data.get(f"quantity_{row}")
            if sku and not quantity:
                if f"quantity_{row}" not in self.errors:  # a quantity given but refused says why already
                    self.add_error(f"quantity_{row}", _("How many?"))
            elif sku:
                lines.append((sku, quantity))
        if not lines and not self.errors:
            raise forms.ValidationError(_("Choose at least one product."))
        data["lines"] = lines
        unit = data.get("interval_unit")
        if unit == AutoshipUnit.WEEKS:
            data["day_of_month"] = None
        elif unit == AutoshipUnit.MONTHS:
            data["weekday"] = None
        return data

    def schedule(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {key: d.get(key) for key in ("interval_unit", "interval_count", "weekday", "day_of_month")}
