"""Forms of the admin's service pages: each parses its input and calls one service.

`perform(actor=...)` returns the object written; an ApplicationError it raises is shown on the
form (on the field it names when the form has that field).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime, ForeignKeyRawIdWidget
from django.db.models import ManyToOneRel, Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from orders import services
from orders.models import (
    Customer,
    CustomerKind,
    Demonstration,
    HostCredit,
    Order,
    OrderPurpose,
    Product,
)
from orders.selectors.catalogue import products_for_sale
from orders.selectors.orders import order_detail


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = (
            "sku",
            "name",
            "description",
            "retail_price",
            "wholesale_price",
            "vat_rate",
            "qv",
            "cv",
            "commissionable",
            "buyback_eligible",
            "is_seasonal",
            "is_discontinued",
            "is_promotional",
            "is_active",
        )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if not self.errors:
            try:
                services.product_validate(self.instance.__class__(**{**self._instance_values(), **data}))
            except ApplicationError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    def _instance_values(self) -> dict:
        return {f: getattr(self.instance, f) for f in self.Meta.fields}


def raw_id(model: type[Model], field: str, admin_site: Any, **kwargs: Any) -> forms.ModelChoiceField:
    """A foreign key typed as an id with the admin's lookup popup: no select of a million rows."""
    remote = model._meta.get_field(field).remote_field
    assert isinstance(remote, ManyToOneRel)  # `field` is a foreign key
    return forms.ModelChoiceField(
        queryset=remote.model._default_manager.all(),
        widget=ForeignKeyRawIdWidget(remote, admin_site),
        **kwargs,
    )


class ServiceForm(forms.Form):
    def __init__(self, *args: Any, admin_site: Any = None, **kwargs: Any):
        self.admin_site = admin_site
        super().__init__(*args, **kwargs)

    def add_service_error(self, exc: ApplicationError) -> None:
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, exc.message)

    def perform(self, *, actor: Any) -> Any:
        raise NotImplementedError


class CustomerRegisterForm(ServiceForm):
    first_name = forms.CharField(required=False, label=_("First name"))
    last_name = forms.CharField(required=False, label=_("Last name"))
    email = forms.EmailField(required=False, label=_("Email"))
    phone = forms.CharField(required=False, label=_("Phone"))
    kind = forms.ChoiceField(choices=CustomerKind.choices, initial=CustomerKind.RETAIL, label=_("Kind"))
    referral_code = forms.CharField(
        required=False,
        label=_("Referral code"),
        help_text=_("The distributor's referral code, or pick them below."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["distributor"] = raw_id(
            Customer, "distributor", self.admin_site, required=False, label=_("Distributor")
        )
        self.fields["household_of"] = raw_id(
            Customer,
            "household_of",
            self.admin_site,
            required=False,
            label=_("Household of"),
            help_text=_("A member of this distributor's household never counts as a real customer."),
        )

    def perform(self, *, actor: Any) -> Customer:
        data = self.cleaned_data
        return services.customer_register(
            distributor=data["distributor"],
            referral_code=data["referral_code"] or None,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            kind=data["kind"],
            household_of=data["household_of"],
            actor=actor,
        )


class DemonstrationPlanForm(ServiceForm):
    held_at = forms.SplitDateTimeField(widget=AdminSplitDateTime, label=_("Held at"))
    place = forms.CharField(required=False, label=_("Place"))
    video_link = forms.URLField(required=False, assume_scheme="https", label=_("Video link"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["consultant"] = raw_id(
            Demonstration, "consultant", self.admin_site, label=_("Consultant")
        )
        self.fields["host"] = raw_id(Demonstration, "host", self.admin_site, label=_("Host"))
        self.fields["booked_from"] = raw_id(
            Demonstration,
            "booked_from",
            self.admin_site,
            required=False,
            label=_("Booked from"),
            help_text=_("The demonstration where the host came as a guest and booked this one."),
        )
        self.order_fields(["consultant", "host", "held_at", "place", "video_link", "booked_from"])

    def perform(self, *, actor: Any) -> Demonstration:
        data = self.cleaned_data
        return services.demonstration_plan(
            consultant=data["consultant"],
            host=data["host"],
            held_at=data["held_at"],
            place=data["place"],
            video_link=data["video_link"],
            booked_from=data["booked_from"],
            actor=actor,
        )


class OrderLineForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, label=_("Product"))
    quantity = forms.IntegerField(min_value=1, required=False, label=_("Quantity"))
    half_price = forms.IntegerField(
        min_value=0, required=False, label=_("of which half-price"), help_text=_("Host's half-price items")
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.ModelChoiceField)
        product.queryset = products_for_sale()

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", _("How many?"))
        return data


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=5, max_num=50)


class OrderRecordForm(ServiceForm):
    purpose = forms.ChoiceField(
        choices=OrderPurpose.choices, initial=OrderPurpose.CUSTOMER, label=_("Purpose")
    )
    paid = forms.BooleanField(
        required=False,
        label=_("Paid now"),
        help_text=_(
            "An ordinary order then counts in this period; a demonstration order counts at the close."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["distributor"] = raw_id(
            Order,
            "distributor",
            self.admin_site,
            required=False,
            label=_("Distributor"),
            help_text=_("The consultant, for a demonstration."),
        )
        self.fields["customer"] = raw_id(
            Order, "customer", self.admin_site, required=False, label=_("Customer")
        )
        self.fields["demonstration"] = raw_id(
            Order, "demonstration", self.admin_site, required=False, label=_("Demonstration")
        )
        self.fields["host_credit"] = forms.ModelChoiceField(
            queryset=HostCredit.objects.filter(redeemed_order__isnull=True),
            widget=forms.NumberInput,
            required=False,
            label=_("Host credit voucher"),
            help_text=_("The number of the host's unredeemed voucher (see Host credits)."),
        )
        self.order_fields(["demonstration", "distributor", "customer", "purpose", "host_credit", "paid"])
        self.lines = OrderLineFormSet(self.data or None, prefix="lines")

    def is_valid(self) -> bool:
        return super().is_valid() & self.lines.is_valid()

    def perform(self, *, actor: Any) -> Order:
        data = self.cleaned_data
        demonstration = data["demonstration"]
        distributor = data["distributor"]
        lines, half = [], []
        for line in self.lines.cleaned_data:
            if line.get("product"):
                lines.append((line["product"], line["quantity"]))
                if line.get("half_price"):
                    half.append((line["product"], line["half_price"]))
        return services.order_create(
            distributor=distributor,
            purpose=data["purpose"],
            customer=data["customer"],
            demonstration=demonstration,
            lines=lines,
            paid_at=timezone.now() if data["paid"] else None,
            host_credit=data["host_credit"],
            half_price_lines=half,
            actor=actor,
        )


class OrderReturnForm(ServiceForm):
    """One quantity field per line of the order, up to what can still be returned."""

    refund_amount = forms.DecimalField(
        label=_("Refund amount"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("Leave empty to refund the price paid."),
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Reason"))

    def __init__(self, *args: Any, order: Order, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.order = order
        self.detail = order_detail(order_id=order.pk)
        for item in self.detail.lines:
            line = item.line
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=item.returnable,
                initial=0,
                required=False,
                label=_("%(sku)s at %(price)s") % {"sku": line.sku, "price": line.unit_price},
                help_text=_("%(returnable)d of %(quantity)d can be returned")
                % {"returnable": item.returnable, "quantity": line.quantity},
            )
        self.order_fields([f"line_{i.line.pk}" for i in self.detail.lines] + ["refund_amount", "reason"])

    def perform(self, *, actor: Any) -> Any:
        lines = [
            (item.line, self.cleaned_data.get(f"line_{item.line.pk}") or 0)
            for item in self.detail.lines
            if self.cleaned_data.get(f"line_{item.line.pk}")
        ]
        return services.order_return(
            order=self.order,
            lines=lines,
            refund_amount=self.cleaned_data["refund_amount"],
            reason=self.cleaned_data["reason"],
            actor=actor,
        )
