"""The privacy app collects every app's part of a person's export, in a fixed order, and offers
the admin's export action on the distributor and customer admins only."""

from __future__ import annotations

import pytest
from django.contrib import admin

from distributors.models import Distributor
from orders.models import Customer
from privacy.selectors import customer_personal_data, distributor_personal_data
from tests.distributors.factories import DistributorFactory
from tests.orders.factories import CustomerFactory

ENVELOPE = ["format", "generated_at", "subject"]


@pytest.mark.django_db
def test_a_distributors_export_holds_each_apps_part_in_order():
    data = distributor_personal_data(DistributorFactory())
    assert list(data) == [
        *ENVELOPE,
        *["profile", "sponsor", "sponsor_changes", "bank_account", "vat_registration"],  # distributors
        "agreement_acceptances",  # distributors (the distributor agreement)
        *["customers", "orders", "returns", "demonstrations", "buyback_requests"],  # orders
        "autoships",  # orders (autoship)
        *["period_results", "statements", "ledger_lines", "payouts", "self_billing_invoices"],  # commissions
        *["notification_settings", "notifications"],  # notifications
        "audit_entries",
    ]
    assert (data["format"], data["subject"]) == ("backoffice.personal-data.v1", "distributor")


@pytest.mark.django_db
def test_a_customers_export_holds_the_orders_part():
    data = customer_personal_data(CustomerFactory())
    assert list(data) == [
        *ENVELOPE,
        *["profile", "distributor", "orders", "returns", "demonstrations", "host_credits"],
        "autoships",
        *["notification_settings", "notifications"],  # notifications
        "audit_entries",
    ]
    assert data["subject"] == "customer"


@pytest.mark.django_db
def test_the_export_action_is_offered_on_distributors_and_customers_only(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    offering = {
        model
        for model, model_admin in admin.site._registry.items()
        if "export_personal_data_action" in model_admin.get_actions(request)
    }
    assert offering == {Distributor, Customer}
