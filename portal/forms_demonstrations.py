"""Forms of the portal's demonstration pages: plan one, add a guest, take an order at the table,
call one off.

Each form parses what was typed and, in `save`, calls the services the API calls (orders.services);
a refusal (ApplicationError) becomes an error on the field it names and `save` returns None. A new
host or guest is registered as the consultant's customer in the same transaction as the plan,
the guest or the order it is for: when the second step is refused, the first is undone.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any, TypedDict

from django import forms
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.templatetags.formatting import timestamp
from distributors.models import Distributor
from orders import services
from orders.models import MAX_LINE_QUANTITY, Customer, Demonstration, OrderPurpose
from orders.selectors.catalogue import products_for_sale
from orders.selectors.customers import customers_of_distributor
from orders.selectors.demonstrations import demonstrations_of_distributor
from orders.services.demonstrations import demonstration_window
from portal.forms import add_service_error

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class NewCustomerFields(forms.Form):
    """A new customer of the consultant, typed in where a host or a guest is chosen."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)

    NEW_FIELDS = ("first_name", "last_name", "email", "phone")

    def has_new_customer(self) -> bool:
        return any(self.cleaned_data.get(name) for name in ("first_name", "last_name", "email"))

    def typed_new_customer(self) -> bool:
        """Anything typed in the new-customer fields (the phone too)."""
        return any(self.cleaned_data.get(name) for name in self.NEW_FIELDS)

    def registers_email(self) -> bool:
        """Whether `save` registers a new customer with an e-mail address (a check the e-mail
        limit counts: core.api.throttles.EmailCheckThrottle)."""
        return not self.chosen() and bool(self.cleaned_data.get("email"))

    def chosen(self) -> Customer | None:
        raise NotImplementedError

    def register_new_customer(self, distributor: Distributor, actor: Any) -> Customer:
        return services.customer_register(
            distributor=distributor,
            first_name=self.cleaned_data.get("first_name", ""),
            last_name=self.cleaned_data.get("last_name", ""),
            email=self.cleaned_data.get("email", ""),
            phone=self.cleaned_data.get("phone", ""),
            actor=actor,
        )


class DemonstrationPlanForm(NewCustomerFields):
    host = forms.ModelChoiceField(
        label=_("One of your customers"),
        queryset=Customer.objects.none(),
        required=False,
        empty_label=_("A new customer (fill in below)"),
    )
    held_at = forms.DateTimeField(
        label=_("Date and time"),
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    place = forms.CharField(label=_("Place"), max_length=255, required=False)
    video_link = forms.URLField(
        label=_("Video link"),
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text=_("Instead of a place, for a demonstration by video."),
    )
    booked_from = forms.ModelChoiceField(
        queryset=Demonstration.objects.none(), required=False, widget=forms.HiddenInput
    )

    field_order = ["host", *NewCustomerFields.NEW_FIELDS, "held_at", "place", "video_link", "booked_from"]

    def __init__(self, *args: Any, distributor: Distributor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.distributor = distributor
        host, booked_from = self.fields["host"], self.fields["booked_from"]
        assert isinstance(host, forms.ModelChoiceField) and isinstance(booked_from, forms.ModelChoiceField)
        host.queryset = customers_of_distributor(distributor=distributor)
        booked_from.queryset = demonstrations_of_distributor(distributor=distributor)
        earliest, latest = demonstration_window()
        held_at = self.fields["held_at"]
        held_at.help_text = _("From %(earliest)s up to %(latest)s.") % {
            "earliest": timestamp(timezone.localtime(earliest).date()),
            "latest": timestamp(timezone.localtime(latest).date()),
        }
        held_at.widget.attrs.update(
            min=timezone.localtime(earliest).strftime(DATETIME_LOCAL),
            max=timezone.localtime(latest).strftime(DATETIME_LOCAL),
        )

    def booked_from_demonstration(self) -> Demonstration | None:
        """The demonstration this one is booked from, as typed or prefilled (for the page's note)."""
        value = self["booked_from"].value()
        if not value or not str(value).isdigit():
            return None
        return demonstrations_of_distributor(distributor=self.distributor).filter(pk=value).first()

    def chosen(self) -> Customer | None:
        return self.cleaned_data.get("host")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("host") and self.typed_new_customer():
            # Never drop what was typed without a word: one or the other.
            self.add_error("host", _("Choose one of your customers or type a new host below, not both."))
        elif not data.get("host") and not self.has_new_customer() and "host" not in self.errors:
            self.add_error("host", _("Choose one of your customers, or type the name of a new host below."))
        return data

    def save(self, *, actor: Any) -> Demonstration | None:
        data = self.cleaned_data
        try:
            with transaction.atomic():
                host = data["host"] or self.register_new_customer(self.distributor, actor)
                return services.demonstration_plan(
                    consultant=self.distributor,
                    host=host,
                    held_at=data["held_at"],
                    place=data["place"],
                    video_link=data["video_link"],
                    booked_from=data.get("booked_from"),
                    actor=actor,
                )
        except ApplicationError as error:
            add_service_error(self, error)
            return None


class GuestAddForm(NewCustomerFields):
    customer = forms.ModelChoiceField(
        label=_("One of your customers"),
        queryset=Customer.objects.none(),
        required=False,
        empty_label=_("A new customer (fill in below)"),
    )

    field_order = ["customer", *NewCustomerFields.NEW_FIELDS]

    def __init__(self, *args: Any, demonstration: Demonstration, present: list[int], **kwargs: Any) -> None:
        """`present`: ids of the host and the guests already there (not offered again)."""
        kwargs.setdefault("prefix", "guest")
        super().__init__(*args, **kwargs)
        self.demonstration = demonstration
        customer = self.fields["customer"]
        assert isinstance(customer, forms.ModelChoiceField)
        customer.queryset = customers_of_distributor(distributor=demonstration.consultant).exclude(
            pk__in=present
        )

    def chosen(self) -> Customer | None:
        return self.cleaned_data.get("customer")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("customer") and self.typed_new_customer():
            self.add_error("customer", _("Choose one of your customers or type a new guest below, not both."))
        elif not data.get("customer") and not self.has_new_customer() and "customer" not in self.errors:
            self.add_error(
                "customer", _("Choose one of your customers, or type the name of a new guest below.")
            )
        return data

    def save(self, *, actor: Any) -> Customer | None:
        try:
            with transaction.atomic():
                customer = self.cleaned_data["customer"] or self.register_new_customer(
                    self.demonstration.consultant, actor
                )
                services.demonstration_add_guest(
                    demonstration=self.demonstration, customer=customer, actor=actor
                )
                return customer
        except ApplicationError as error:
            add_service_error(self, error)
            return None


NEW_GUEST = "new"
# What one product input may hold: a SKU or a name, as a CharField parses it (no NUL characters).
PRODUCT_INPUT = forms.CharField(max_length=200, required=False)


class ProductSearchForm(forms.Form):
    """The product search behind the table order's suggestions (the input's own name, `product`)."""

    product = forms.CharField(max_length=200, required=False)


class TypedRow(TypedDict):
    """One line of the order table as typed: its number, the product text and the quantity text."""

    number: int
    product: str
    quantity: str


class TableOrderForm(forms.Form):
    """An order at the table: who orders (a guest, the host, or a new guest) and a few lines of
    product and quantity. The lines are the repeated `product` and `quantity` inputs."""

    ROWS = 3

    guest = forms.ChoiceField(label=_("Who orders"))
    # Under the heading "New guest".
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail address (optional)"), required=False)
    # Never rendered: it carries the errors about the lines.
    lines = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        demonstration: Demonstration,
        people: list[Customer],
        extra_row: bool = False,
        **kwargs: Any,
    ) -> None:
        """`people`: the host first, then the guests."""
        super().__init__(data, **kwargs)
        self.demonstration = demonstration
        self.people = {str(person.pk): person for person in people}
        host_id = demonstration.host_id
        guest = self.fields["guest"]
        assert isinstance(guest, forms.ChoiceField)
        guest.choices = [
            (NEW_GUEST, _("A new guest (name below)")),
            *(
                (key, _("%(name)s (host)") % {"name": person} if person.pk == host_id else str(person))
                for key, person in self.people.items()
            ),
        ]
        source = data if data is not None else {}
        typed = list(
            zip(
                _getlist(source, "product"),
                _getlist(source, "quantity"),
                strict=False,
            )
        )
        rows = typed or [("", "1")]
        rows += [("", "")] * (max(self.ROWS, len(rows) + (1 if extra_row else 0)) - len(rows))
        self.rows: list[TypedRow] = [
            {"number": n, "product": p, "quantity": q} for n, (p, q) in enumerate(rows, start=1)
        ]

    @classmethod
    def with_another_row(cls, data: Any, **kwargs: Any) -> TableOrderForm:
        """What was typed, unvalidated, with one more empty line (the "another line" button)."""
        form = cls(None, extra_row=True, initial={k: data.get(k, "") for k in cls.base_fields}, **kwargs)
        typed = list(zip(_getlist(data, "product"), _getlist(data, "quantity"), strict=False))
        rows = typed + [("", "")] * max(cls.ROWS - len(typed), 1)
        form.rows = [{"number": n, "product": p, "quantity": q} for n, (p, q) in enumerate(rows, start=1)]
        return form

    @staticmethod
    def _skus(typed: list[str]) -> dict[str, str]:
        """The SKUs of what was typed (the suggestions give SKUs; a product's exact name works
        too), in one query over the products for sale, keyed by the typed text casefolded."""
        if not typed:
            return {}
        matches = reduce(or_, (Q(sku__iexact=text) | Q(name__iexact=text) for text in typed))
        found: dict[str, str] = {}
        for sku, name in products_for_sale().filter(matches).values_list("sku", "name"):
            found.setdefault(sku.casefold(), sku)
            found.setdefault(name.casefold(), sku)
        return found

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lines: list[tuple[str, int]] = []
        problems = []
        for row in self.rows:
            try:
                product = PRODUCT_INPUT.clean(row["product"])
            except forms.ValidationError as error:
                problems.append(
                    _("Line %(number)s: %(problem)s")
                    % {"number": row["number"], "problem": error.messages[0]}
                )
                continue
            quantity = row["quantity"].strip()
            if not product:
                continue
            try:
                amount = int(quantity or "1")
            except ValueError:
                amount = 0
            if not 1 <= amount <= MAX_LINE_QUANTITY:
                problems.append(
                    _("Line %(number)s: the quantity must be a whole number from 1 to %(most)s.")
                    % {"number": row["number"], "most": MAX_LINE_QUANTITY}
                )
                continue
            lines.append((product, amount))
        skus = self._skus([product for product, _amount in lines]) if not problems else {}
        lines = [(skus.get(product.casefold(), product), amount) for product, amount in lines]
        for problem in problems:
            self.add_error("lines", problem)
        if not lines and not problems:
            self.add_error("lines", _("Choose a product for at least one line."))
        data["order_lines"] = lines
        if data.get("guest") == NEW_GUEST and not any(
            data.get(k) for k in ("first_name", "last_name", "email")
        ):
            self.add_error("first_name", _("Type the new guest's name, or choose who orders above."))
        elif data.get("guest") not in (None, NEW_GUEST) and any(
            data.get(k) for k in ("first_name", "last_name", "email")
        ):
            self.add_error(
                "first_name", _("A new guest's name goes with “A new guest” above: choose one or the other.")
            )
        return data

    def registers_email(self) -> bool:
        """Whether `save` registers a new guest with an e-mail address (counted by the e-mail limit)."""
        return self.cleaned_data.get("guest") == NEW_GUEST and bool(self.cleaned_data.get("email"))

    def save(self, *, actor: Any):
        data = self.cleaned_data
        consultant = self.demonstration.consultant
        try:
            with transaction.atomic():
                if data["guest"] == NEW_GUEST:
                    customer = services.customer_register(
                        distributor=consultant,
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        email=data["email"],
                        actor=actor,
                    )
                else:
                    customer = self.people[data["guest"]]
                return services.order_create(
                    distributor=consultant,
                    purpose=OrderPurpose.CUSTOMER,
                    customer=customer,
                    demonstration=self.demonstration,
                    lines=data["order_lines"],
                    actor=actor,
                )
        except ApplicationError as error:
            add_service_error(self, error, fields={"customer": "guest"})
            return None


def _getlist(data: Any, key: str) -> list[str]:
    return list(data.getlist(key)) if hasattr(data, "getlist") else list(data.get(key, []))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
