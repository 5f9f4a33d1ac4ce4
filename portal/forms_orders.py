"""Forms of the portal's Customers and Orders pages: they parse what was typed; the rules are the
order services' (orders.services), whose refusals come back as errors on the field they name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms import formset_factory
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.api.serializers import PERIOD_PATTERN
from core.errors import ApplicationError
from core.periods import parse_period
from core.templatetags.formatting import money
from orders.models import (
    MAX_LINE_QUANTITY,
    Customer,
    CustomerKind,
    HostCredit,
    OrderLine,
    OrderPurpose,
    OrderStatus,
)

if TYPE_CHECKING:
    from distributors.models import Distributor

LINES_PREFIX = "lines"
MAX_LINES = 200  # as the API's order form


# --- Customers


class CustomerSearchForm(forms.Form):
    search = forms.CharField(label=_("Name or e-mail address"), required=False, max_length=100)


class CustomerForm(forms.Form):
    """The fields of the API's customer create (the e-mail address only when registering)."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail address"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices, initial=CustomerKind.RETAIL)
    my_household = forms.BooleanField(
        label=_("Of my own household"),
        required=False,
        help_text=_("A member of your own household never counts as a real customer."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The e-mail address never changes here (as in the API).
            del self.fields["email"]
        else:
            self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})


# --- Orders: the history's filters


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + OrderStatus.choices, required=False
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=[("", _("All"))] + OrderPurpose.choices, required=False
    )
    period = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text=_("The month the order counts in."),
    )
    customer: forms.ModelChoiceField[Customer] = forms.ModelChoiceField(
        label=_("Customer"), queryset=None, required=False, empty_label=_("All")
    )

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customer = self.fields["customer"]
        assert isinstance(customer, forms.ModelChoiceField)
        customer.queryset = customers

    def clean_period(self) -> Any:
        text = self.cleaned_data["period"].strip()
        if not text:
            return None
        try:
            if not re.fullmatch(PERIOD_PATTERN, text):
                raise ValueError(text)
            return parse_period(text)
        except (ApplicationError, ValueError):
            raise forms.ValidationError(
                _("Write the period as YYYY-MM, e.g. 2026-10 (years 2000-2099).")
            ) from None


# --- Orders: taking one


class ProductSearchForm(forms.Form):
    """The catalogue search while taking an order: part of a product's name or SKU."""

    q = forms.CharField(label=_("Name or SKU"), required=False, max_length=100)


class VoucherChoiceField(forms.ModelChoiceField):
    """A host credit to redeem, shown with its host, amount, half-price items and expiry."""

    def label_from_instance(self, obj: HostCredit) -> str:
        return _("%(host)s: %(amount)s and %(items)s half-price item(s), until %(date)s") % {
            "host": obj.host,
            "amount": money(obj.amount),
            "items": obj.half_price_items,
            "date": date_format(timezone.localtime(obj.expires_at), "SHORT_DATE_FORMAT"),
        }


class OrderForm(forms.Form):
    distributor: Distributor  # who takes the order: set by the view

    purpose = forms.ChoiceField(label=_("For"), choices=OrderPurpose.choices, initial=OrderPurpose.CUSTOMER)
    customer: forms.ModelChoiceField[Customer] = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        required=False,
        empty_label=_("(none: an order of my own)"),
        help_text=_("Customer orders are at retail price, your own at wholesale price."),
    )
    host_credit = VoucherChoiceField(
        label=_("Host credit to redeem"),
        queryset=None,
        required=False,
        empty_label=_("(none)"),
        help_text=_("Only in the host's own customer order; half-price items are chosen per line."),
    )

    def __init__(self, *args: Any, customers: Any, host_credits: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customer, host_credit = self.fields["customer"], self.fields["host_credit"]
        assert isinstance(customer, forms.ModelChoiceField)
        assert isinstance(host_credit, forms.ModelChoiceField)
        customer.queryset = customers
        host_credit.queryset = host_credits
        if not host_credits:
            del self.fields["host_credit"]


class OrderLineForm(forms.Form):
    product = forms.CharField(
        label=_("Product (SKU)"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
    )
    half_price = forms.IntegerField(
        label=_("Of which half-price"),
        min_value=0,
        max_value=MAX_LINE_QUANTITY,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
    )

    def clean_product(self) -> str:
        return self.cleaned_data["product"].strip().upper()


OrderLineFormSet = formset_factory(OrderLineForm, extra=0, max_num=MAX_LINES, validate_max=True)


def line_rows(data: QueryDict) -> list[dict[str, str]]:
    """The lines as typed, in order: what the page renders back after adding or removing one."""
    try:
        count = min(int(data.get(f"{LINES_PREFIX}-TOTAL_FORMS", "0")), MAX_LINES)
    except ValueError:
        count = 0
    return [
        {
            name: data.get(f"{LINES_PREFIX}-{index}-{name}", "")
            for name in ("product", "quantity", "half_price")
        }
        for index in range(count)
    ]


def with_lines(data: QueryDict, rows: list[dict[str, str]]) -> QueryDict:
    """`data` with its lines replaced by `rows` (renumbered), nothing else changed."""
    result = QueryDict(mutable=True)
    for key, values in data.lists():
        if not key.startswith(f"{LINES_PREFIX}-"):
            result.setlist(key, values)
    for index, row in enumerate(rows[:MAX_LINES]):
        for name, value in row.items():
            result[f"{LINES_PREFIX}-{index}-{name}"] = value
    result[f"{LINES_PREFIX}-TOTAL_FORMS"] = str(min(len(rows), MAX_LINES))
    result[f"{LINES_PREFIX}-INITIAL_FORMS"] = "0"
    result[f"{LINES_PREFIX}-MIN_NUM_FORMS"] = "0"
    result[f"{LINES_PREFIX}-MAX_NUM_FORMS"] = str(MAX_LINES)
    return result


def empty_line() -> dict[str, str]:
    return {"product": "", "quantity": "1", "half_price": ""}


# --- Orders: cancel and return


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=1000, widget=forms.TextInput()
    )


class ReturnForm(forms.Form):
    """One quantity per returnable line, at most what can still be returned, and a reason."""

    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=1000, widget=forms.TextInput()
    )

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for detail in lines:
            if detail.returnable <= 0:
                continue
            name = f"line_{detail.line.pk}"
            self.fields[name] = forms.IntegerField(
                label=_("Return of %(product)s (%(sku)s)")
                % {"product": detail.line.product.name, "sku": detail.line.sku},
                min_value=0,
                max_value=detail.returnable,
                required=False,
                initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
            )
            self.line_fields.append((detail, name))
        self.fields["reason"] = self.fields.pop("reason")  # after the lines

    def bound_lines(self) -> list[tuple[Any, Any]]:
        return [(detail, self[name]) for detail, name in self.line_fields]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not self.errors and not self.chosen():
            raise forms.ValidationError(_("Choose how many units of which line to return."))
        return cleaned

    def chosen(self) -> list[tuple[OrderLine, int]]:
        """(order line, quantity) of the lines with a quantity above zero."""
        return [
            (detail.line, self.cleaned_data[name])
            for detail, name in self.line_fields
            if self.cleaned_data.get(name)
        ]
