"""GDPR (rules/compliance §8): a distributor's export holds their data and nobody else's;
erasure pseudonymises a terminated distributor and keeps the tree and the financial records."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import authenticate
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commissions.models import LedgerLine, Payout, SelfBillingInvoice, Statement
from commissions.services.adjustments import adjustment_create
from commissions.services.payouts import payout_batch_create
from core.errors import ApplicationError, Conflict, PermissionDenied
from core.models import AuditEntry
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor
from distributors.personal_data import distributor_erase
from distributors.selectors import tree_check
from distributors.services.enrollment import distributor_enroll
from distributors.services.moves import distributor_move
from distributors.services.status import distributor_terminate
from distributors.services.tax import vat_registration_set
from distributors.tax import VatRegistration
from notifications.models import Notification
from orders.models import Order, OrderLine, Product
from orders.services import (
    customer_register,
    demonstration_add_guest,
    demonstration_plan,
    order_create,
    order_return,
)
from orders.services.buyback import buyback_request_create
from privacy.selectors import distributor_personal_data
from tests.commissions.closing import close, default_plan, period

from .factories import StaffFactory

PASSWORD = "Tulp-en-molen-2026"
ENROLLED = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
CHANGELIST = reverse("admin:distributors_distributor_changelist")


def enroll(first: str, last: str, sponsor: Distributor | None, **kwargs) -> Distributor:
    return distributor_enroll(
        sponsor=sponsor,
        first_name=first,
        last_name=last,
        email=f"{first.lower()}@example.nl",
        phone=kwargs.pop("phone", ""),
        enrolled_at=ENROLLED,
        **kwargs,
    )


def paid_order(distributor: Distributor, purpose: str, quantity: int, customer=None) -> Order:
    return order_create(
        distributor=distributor,
        purpose=purpose,
        customer=customer,
        lines=[("MIX-1", quantity)],
        paid_at=timezone.now() - dt.timedelta(hours=1),
    )


@pytest.fixture
def world(db):
    """root ─ eva ─ anna ─ bram (anna moved from root to eva); anna and bram each have customers,
    orders, and a statement, ledger line and payout of the final close of 2026-07."""
    staff = StaffFactory()
    Product.objects.create(
        sku="MIX-1",
        name="Kitchen machine",
        retail_price=Decimal("100.00"),
        wholesale_price=Decimal("75.00"),
        qv=Decimal("75"),
        cv=Decimal("75.00"),
    )
    root = enroll("Root", "Company", None)
    eva = enroll("Eva", "Jansen", root, phone="+31 6 3333 4444")
    anna = enroll("Anna", "de Vries", root, phone="+31 6 1111 2222", password=PASSWORD)
    bram = enroll("Bram", "Bakker", anna, phone="+31 6 9999 0000", password=PASSWORD)
    distributor_move(distributor=anna, new_sponsor=eva, actor=staff, reason="Asked by both, mail of 3 June")

    carla = customer_register(
        distributor=anna, first_name="Carla", last_name="Klant", email="carla@example.nl", phone="+31 6 5555"
    )
    gijs = customer_register(distributor=anna, first_name="Gijs", last_name="Gast", email="gijs@example.nl")
    customer_register(distributor=bram, first_name="Bea", last_name="Bramklant", email="bea@example.nl")
    demonstration = demonstration_plan(
        consultant=anna, host=carla, held_at=timezone.now() + dt.timedelta(days=2), place="Utrecht"
    )
    demonstration_add_guest(demonstration=demonstration, customer=gijs)
    sold = paid_order(anna, "customer", 2, customer=carla)
    order_return(order=sold, lines=[(sold.lines.get(), 1)], reason="Arrived broken")
    stock = paid_order(anna, "inventory", 3)
    buyback_request_create(
        distributor=anna, lines=[(stock.lines.get(), 1)], reason="Too much", actor=anna.user
    )
    paid_order(bram, "inventory", 4)

    default_plan()
    adjustment_create(distributor=anna, period=period("2026-07"), amount="30.00", reason="July bonus")
    adjustment_create(distributor=bram, period=period("2026-07"), amount="40.00", reason="July bonus")
    assert close("2026-07").status == "succeeded"
    seed_bank_accounts()  # payouts go to a valid bank account (distributors.bank)
    payout_batch_create(period=dt.date(2026, 7, 1))
    for d in (root, eva, anna, bram):
        d.refresh_from_db()
    return dict(staff=staff, root=root, eva=eva, anna=anna, bram=bram, carla=carla, gijs=gijs)


# --- Export -------------------------------------------------------------------------------------


def test_the_export_holds_the_persons_data(world):
    anna = world["anna"]
    data = distributor_personal_data(anna)

    assert data["subject"] == "distributor"
    profile = data["profile"]
    assert (profile["first_name"], profile["last_name"], profile["email"], profile["phone"]) == (
        "Anna",
        "de Vries",
        "anna@example.nl",
        "+31 6 1111 2222",
    )
    assert profile["enrolled_at"] == "2026-06-01T10:00:00+00:00"
    assert profile["login"]["username"] == "anna@example.nl"
    assert data["sponsor"] == {
        "id": world["eva"].pk,
        "external_id": world["eva"].external_id,
        "name": "Eva Jansen",
    }
    [change] = data["sponsor_changes"]
    assert (
        change["kind"],
        change["old_sponsor"]["name"],
        change["new_sponsor"]["name"],
        change["reason"],
    ) == (
        "move",
        "Root Company",
        "Eva Jansen",
        "Asked by both, mail of 3 June",
    )
    assert [(c["email"], c["phone"]) for c in data["customers"]] == [
        ("carla@example.nl", "+31 6 5555"),
        ("gijs@example.nl", ""),
    ]
    assert [(o["purpose"], o["status"], o["customer_id"]) for o in data["orders"]] == [
        ("customer", "partly_returned", world["carla"].pk),
        ("inventory", "paid", None),
    ]
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in data["orders"][0]["lines"]] == [
        ("MIX-1", 2, "100.00")
    ]
    [returned] = data["returns"]
    assert (returned["refund_amount"], returned["reason"], returned["lines"][0]["quantity"]) == (
        "100.00",
        "Arrived broken",
        1,
    )
    [demonstration] = data["demonstrations"]
    assert (demonstration["place"], demonstration["host_id"]) == ("Utrecht", world["carla"].pk)
    assert [g["customer_id"] for g in demonstration["guests"]] == [world["gijs"].pk]
    [buyback] = data["buyback_requests"]
    assert (buyback["status"], buyback["reason"], buyback["lines"][0]["quantity"]) == (
        "requested",
        "Too much",
        1,
    )
    assert [(s["period"], s["adjustments"], s["payout"]) for s in data["statements"]] == [
        ("2026-07-01", "30.00", "30.00")
    ]
    assert [(line["kind"], line["amount"]) for line in data["ledger_lines"]] == [("adjustment", "30.00")]
    assert [(p["period"], p["amount"], p["batch_status"]) for p in data["payouts"]] == [
        ("2026-07-01", "30.00", "open")
    ]
    assert [r["period"] for r in data["period_results"]] == ["2026-07-01"]
    actions = [entry["action"] for entry in data["audit_entries"]]
    # About her, her customers and orders, and what she did herself.
    assert actions == [
        "distributor.move",
        "customer.register",
        "customer.register",
        "demonstration.plan",
        "order.return",
        "buyback.request",
        "commissions.adjustment_create",
    ]
    json.dumps(data)  # plain JSON all the way down


def test_the_export_holds_nobody_elses_data(world):
    text = json.dumps(distributor_personal_data(world["anna"]))
    for other in (
        "bram@example.nl",
        "+31 6 9999 0000",
        "bea@example.nl",
        "eva@example.nl",
        "+31 6 3333 4444",
    ):
        assert other not in text
    assert "40.00" not in text  # bram's statement
    assert Order.objects.filter(distributor=world["bram"]).get().number not in text


def test_the_export_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    anna = world["anna"]
    with CaptureQueriesContext(connection) as few:
        distributor_personal_data(anna)
    for _ in range(5):
        paid_order(anna, "inventory", 1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = distributor_personal_data(anna)
    assert len(data["orders"]) == 7
    # One query per kind of record (issue 19 added the agreement, autoships, invoices and the
    # notifications' address, language, preferences and mails), whatever the history's size.
    assert len(few.captured_queries) <= 23


# --- Erasure ------------------------------------------------------------------------------------


def snapshot():
    """What erasure must not touch: the tree, the orders and the money."""
    return (
        list(
            Distributor.objects.order_by("pk").values_list(
                "pk", "sponsor_id", "tree_id", "lft", "rght", "level"
            )
        ),
        list(Distributor.objects.order_by("pk").values_list("pk", "external_id", "referral_code", "status")),
        list(
            Order.objects.order_by("pk").values_list(
                "pk", "number", "distributor_id", "customer_id", "status"
            )
        ),
        list(OrderLine.objects.order_by("pk").values_list("pk", "quantity", "unit_price")),
        list(LedgerLine.objects.order_by("pk").values_list("pk", "distributor_id", "amount")),
        list(Statement.objects.order_by("pk").values_list("pk", "distributor_id", "net", "payout")),
        list(Payout.objects.order_by("pk").values_list("pk", "distributor_id", "amount")),
    )


def terminated(world) -> Distributor:
    return distributor_terminate(distributor=world["anna"], actor=world["staff"], reason="Quit in writing")


def test_erasure_of_an_active_distributor_is_refused(world):
    with pytest.raises(Conflict, match="terminate the distributor first"):
        distributor_erase(distributor=world["anna"], actor=world["staff"], reason="GDPR request 12")
    anna = Distributor.objects.get(pk=world["anna"].pk)
    assert (anna.first_name, anna.email) == ("Anna", "anna@example.nl")
    assert not AuditEntry.objects.filter(action="distributor.erase").exists()


def test_erasure_is_for_staff_with_a_reason(world):
    anna = terminated(world)
    with pytest.raises(PermissionDenied):
        distributor_erase(distributor=anna, actor=anna.user, reason="I want to be forgotten")
    with pytest.raises(PermissionDenied):
        distributor_erase(distributor=anna, actor=None, reason="GDPR request 12")
    with pytest.raises(ApplicationError) as refused:
        distributor_erase(distributor=anna, actor=world["staff"], reason="  ")
    assert refused.value.field == "reason"
    assert Distributor.objects.get(pk=anna.pk).first_name == "Anna"


def test_erasure_pseudonymises_and_keeps_the_tree_and_the_books(world):
    anna = terminated(world)
    before = snapshot()
    erased = distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")

    stored = Distributor.objects.get(pk=anna.pk)
    pk = anna.pk
    assert (stored.first_name, stored.last_name, stored.email, stored.phone) == (
        "Erased",
        f"#{pk}",
        f"erased-{pk}@erased.invalid",
        "",
    )
    assert (erased.first_name, erased.email) == ("Erased", f"erased-{pk}@erased.invalid")
    assert snapshot() == before
    assert tree_check().ok
    assert Distributor.objects.get(pk=world["bram"].pk).sponsor_id == world["eva"].pk  # rolled up, kept


def test_the_erased_distributor_can_no_longer_log_in(world, rf):
    anna = terminated(world)
    assert authenticate(rf.post("/admin/login/"), username="anna@example.nl", password=PASSWORD) == anna.user
    distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")
    user = Distributor.objects.get(pk=anna.pk).user
    assert (user.username, user.email, user.first_name, user.last_name, user.is_active) == (
        f"erased-{anna.pk}@erased.invalid",
        f"erased-{anna.pk}@erased.invalid",
        "Erased",
        f"#{anna.pk}",
        False,
    )
    assert not user.has_usable_password()
    for username in ("anna@example.nl", f"erased-{anna.pk}@erased.invalid"):
        assert authenticate(rf.post("/admin/login/"), username=username, password=PASSWORD) is None


def test_erasure_revokes_the_logins_tokens_through_the_accounts_service(world, monkeypatch):
    """One token revocation (core.accounts.services.user_tokens_revoke), not a copy of it."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
    from rest_framework_simplejwt.tokens import RefreshToken

    import distributors.personal_data

    anna = terminated(world)
    RefreshToken.for_user(anna.user)
    RefreshToken.for_user(anna.user)
    revoked = []
    real = distributors.personal_data.user_tokens_revoke
    monkeypatch.setattr(
        distributors.personal_data, "user_tokens_revoke", lambda *, user: revoked.append(real(user=user))
    )
    distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")
    assert revoked == [2]
    assert BlacklistedToken.objects.filter(token__user=anna.user).count() == 2


def test_the_audit_entry_does_not_carry_the_old_name(world):
    anna = terminated(world)
    distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")
    entry = AuditEntry.objects.get(action="distributor.erase")
    assert entry.target_repr == f"Erased #{anna.pk} ({anna.external_id})"
    assert (entry.target_id, entry.reason, entry.actor_id) == (
        str(anna.pk),
        "GDPR request 12",
        world["staff"].pk,
    )
    assert "Anna" not in json.dumps([entry.target_repr, entry.reason, entry.data])
    assert "anna@example.nl" not in json.dumps(entry.data)


def test_erasing_twice_changes_nothing_more(world):
    anna = terminated(world)
    distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")
    first = Distributor.objects.get(pk=anna.pk)
    again = distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12, again")
    assert again.updated_at == first.updated_at
    assert Distributor.objects.get(pk=anna.pk).updated_at == first.updated_at
    assert AuditEntry.objects.filter(action="distributor.erase").count() == 1


def test_an_erased_distributor_without_a_login_is_erased_too(world):
    bram = world["bram"]
    bram.user.delete()
    bram = distributor_terminate(distributor=bram, actor=world["staff"], reason="Quit")
    distributor_erase(distributor=bram, actor=world["staff"], reason="GDPR request 13")
    assert Distributor.objects.get(pk=bram.pk).name == f"Erased #{bram.pk}"


def test_the_export_after_erasure_shows_the_pseudonym(world):
    anna = terminated(world)
    distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")
    text = json.dumps(distributor_personal_data(anna))
    assert "anna@example.nl" not in text
    assert "+31 6 1111 2222" not in text
    assert json.loads(text)["statements"][0]["payout"] == "30.00"


# --- Admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_exports_one_distributor_as_a_json_download(admin_client, world):
    anna = world["anna"]
    response = admin_client.post(
        CHANGELIST, {"action": "export_personal_data_action", ACTION_CHECKBOX_NAME: [anna.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="personal-data-{anna.external_id}.json"'
    assert json.loads(response.content)["profile"]["email"] == "anna@example.nl"


def test_admin_export_wants_a_single_selection(admin_client, world):
    response = admin_client.post(
        CHANGELIST,
        {"action": "export_personal_data_action", ACTION_CHECKBOX_NAME: [world["anna"].pk, world["bram"].pk]},
        follow=True,
    )
    assert "Select exactly one distributor to export." in response.content.decode()


def test_admin_erases_after_asking_for_the_reason(admin_client, world, admin_user):
    anna = terminated(world)
    data = {"action": "erase_personal_data_action", ACTION_CHECKBOX_NAME: [anna.pk]}
    page = admin_client.post(CHANGELIST, data)
    assert page.status_code == 200
    assert "Erase personal data" in page.content.decode()
    assert Distributor.objects.get(pk=anna.pk).first_name == "Anna"
    admin_client.post(CHANGELIST, {**data, "apply": "1", "reason": "GDPR request 12"})
    assert Distributor.objects.get(pk=anna.pk).first_name == "Erased"
    assert AuditEntry.objects.get(action="distributor.erase").actor_id == admin_user.pk


def test_admin_erase_reports_an_active_distributor(admin_client, world):
    data = {
        "action": "erase_personal_data_action",
        ACTION_CHECKBOX_NAME: [world["bram"].pk],
        "apply": "1",
        "reason": "GDPR request 14",
    }
    response = admin_client.post(CHANGELIST, data, follow=True)
    assert "terminate the distributor first" in response.content.decode()
    assert Distributor.objects.get(pk=world["bram"].pk).first_name == "Bram"


def test_earlier_audit_entries_about_the_person_lose_the_old_name_too(world):
    anna = terminated(world)
    # The termination wrote an entry naming her while she still had her name.
    assert AuditEntry.objects.filter(target_id=str(anna.pk), target_repr__contains="Anna").exists()
    distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")
    about_her = AuditEntry.objects.filter(target_type="distributors.distributor", target_id=str(anna.pk))
    assert about_her.count() >= 2
    assert not about_her.filter(target_repr__contains="Anna").exists()
    assert set(about_her.values_list("target_repr", flat=True)) == {f"Erased #{anna.pk} ({anna.external_id})"}


def test_an_erased_distributor_s_pseudonymous_email_passes_validation(world):
    from django.core.validators import validate_email

    anna = terminated(world)
    erased = distributor_erase(distributor=anna, actor=world["staff"], reason="GDPR request 12")
    validate_email(erased.email)


def test_the_vat_status_and_the_invoices_are_exported_and_the_status_is_erased(world):
    """The VAT status is personal data the export shows and erasure removes; each self-billing
    invoice keeps its own copy (a financial record, like the payout's account)."""
    anna = world["anna"]
    vat_registration_set(
        distributor=anna,
        vat_status="nl",
        vat_number="NL000099998B57",
        address="Kerkstraat 1\n1234 AB Utrecht",
        actor=world["staff"],
    )
    data = distributor_personal_data(anna)
    assert data["vat_registration"]["vat_number"] == "NL000099998B57"
    [invoice] = data["self_billing_invoices"]  # July's payout, issued before the status was entered
    assert (invoice["vat_treatment"], invoice["payout"]) == (
        "none",
        Payout.objects.get(distributor=anna).reference,
    )

    assert Notification.objects.filter(email="anna@example.nl").exists()  # "statement ready" of July
    distributor_erase(distributor=terminated(world), actor=world["staff"], reason="GDPR request 13")
    assert not Notification.objects.filter(email="anna@example.nl").exists()
    assert not VatRegistration.objects.filter(distributor=anna).exists()
    assert SelfBillingInvoice.objects.filter(distributor=anna).count() == 1
