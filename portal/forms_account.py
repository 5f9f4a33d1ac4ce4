"""Forms of the portal's Buy-back and My data pages: they parse input; the services decide.

A refusal of a service (`core.errors.ApplicationError`) goes back onto the form with
`portal.forms.add_service_error`, on the field it names (or on the form), so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from distributors.forms import BankDetailsCleanMixin

PASSWORD_MAX_LENGTH = 4096


class BuybackRequestForm(forms.Form):
    """A quantity per eligible order line (`units`: buyback_units' lines), a reason, and whether the
    distributor ends their membership with it."""

    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    with_termination = forms.BooleanField(
        label=_("I also end my distributorship with this buy-back"),
        required=False,
        help_text=_(
            "If the company approves (fully or partly), your membership ends. A rejection changes nothing."
        ),
    )

    def __init__(self, *args: Any, units: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.all_units = units
        self.units = [unit for unit in units if unit.eligible > 0]
        for unit in self.units:
            self.fields[self.field_name(unit)] = forms.IntegerField(
                label=_("Units of %(sku)s (order %(order)s) to hand back")
                % {"sku": unit.sku, "order": unit.order_number},
                required=False,
                min_value=0,
                max_value=unit.eligible,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
            )

    @staticmethod
    def field_name(unit: Any) -> str:
        return f"units_{unit.order_line_id}"

    def rows(self) -> list[tuple[Any, forms.BoundField | None]]:
        """(unit, its quantity field or None when nothing of it is eligible) per line, for the table."""
        return [(unit, self[self.field_name(unit)] if unit.eligible > 0 else None) for unit in self.all_units]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        lines = [
            (unit.order_line_id, cleaned.get(self.field_name(unit)))
            for unit in self.units
            if cleaned.get(self.field_name(unit))
        ]
        if not lines and not self.errors:
            raise forms.ValidationError(_("Enter how many units of at least one line you want to hand back."))
        cleaned["lines"] = lines
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=1000)


class ProfileForm(forms.Form):
    """The contact data a distributor changes themselves (the API's PATCH /me/ fields)."""

    first_name = forms.CharField(
        label=_("First name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("Also your sign-in name and where a password reset goes."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=PASSWORD_MAX_LENGTH,
        required=False,
        strip=False,
        help_text=_("Only needed when you change your e-mail address."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def changes(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("first_name", "last_name", "email", "phone")}


class ErasureRequestForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I ask the company to erase my personal data and end my membership"),
        required=True,
        error_messages={"required": _("Tick the box to confirm that you want this.")},
    )


class BankAccountForm(BankDetailsCleanMixin, forms.Form):
    """Where the company pays me: checked by distributors.bank.bank_details_check, as in the API
    and the admin, each message on its field."""

    # Longer than stored: an IBAN is often typed or pasted in groups of four; the check compacts it.
    holder = forms.CharField(
        label=_("Account holder"),
        max_length=200,
        help_text=_("The name your bank knows the account by."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=20,
        required=False,
        help_text=_("Only needed when your bank is not known from the IBAN."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
