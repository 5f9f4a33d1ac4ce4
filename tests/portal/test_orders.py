"""Portal: my orders. History with filters, taking an order with live totals (the numbers
order_create then stores), pay, cancel within cooling-off, return by line; another distributor's
order is 404 and every refusal is a field error with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.periods import period_of
from orders.models import HostCredit, Order, OrderLine, OrderStatus, Product, Return
from orders.selectors.orders import order_detail
from plans.models import Period, Plan
from tests.conftest import standard_plan_document

pytestmark = pytest.mark.django_db


def order_data(
    *lines: tuple[str, str], purpose: str = "customer", customer: object = "", **extra: str
) -> dict:
    data = {
        "purpose": purpose,
        "customer": getattr(customer, "pk", customer),
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        **extra,
    }
    for index, (sku, quantity) in enumerate(lines):
        data[f"lines-{index}-product"] = sku
        data[f"lines-{index}-quantity"] = quantity
    return data


def close_this_month() -> None:
    plan = Plan.objects.create(
        name="Standard", version="portal-test", plan_type="unilevel", document=standard_plan_document()
    )
    Period.objects.update_or_create(
        start=period_of(timezone.now()),
        defaults={"status": "closed", "plan": plan, "closed_at": timezone.now()},
    )


# --- History


def test_the_history_lists_my_orders_only_newest_first(portal, net):
    response = portal("anna").get("/portal/orders/")
    assert response.status_code == 200
    mine = net.owned["anna"]
    assert [o.pk for o in response.context["page"].object_list] == [mine.paid_order.pk, mine.pending_order.pk]
    assert net.owned["bert"].paid_order.number.encode() not in response.content


def test_the_history_filters_as_the_api_does(portal, net):
    mine = net.owned["anna"]
    client = portal("anna")
    page = client.get("/portal/orders/", {"status": "paid"}).context["page"]
    assert [o.pk for o in page.object_list] == [mine.paid_order.pk]
    page = client.get("/portal/orders/", {"purpose": "customer", "customer": mine.guest.pk}).context["page"]
    assert [o.pk for o in page.object_list] == [mine.pending_order.pk]
    month = f"{period_of(timezone.now()):%Y-%m}"
    page = client.get("/portal/orders/", {"period": month}).context["page"]
    assert [o.pk for o in page.object_list] == [mine.paid_order.pk]  # only paid orders count in a month


def test_bad_filters_are_field_errors(portal, net):
    response = portal("anna").get(
        "/portal/orders/", {"period": "2026-13", "customer": net.owned["bert"].guest.pk}
    )
    assert response.status_code == 200
    errors = response.context["filters"].errors
    assert "YYYY-MM" in errors["period"][0]
    assert errors["customer"]  # another distributor's customer is no choice
    # The errors and no list: not the whole history below them as if nothing was filtered.
    assert response.context["page"] is None
    content = response.content.decode()
    assert net.owned["anna"].paid_order.number not in content
    assert "Correct the marked filters to see your orders." in content
    response = portal("anna").get("/portal/orders/", {"period": "2026-1\x00"})
    assert response.status_code == 200 and response.context["page"] is None


# --- Taking an order


def test_the_order_form_opens_for_a_customer(portal, net):
    guest = net.owned["anna"].guest
    response = portal("anna").get("/portal/orders/new/", {"customer": guest.pk})
    assert response.status_code == 200
    assert response.context["form"]["customer"].value() == str(guest.pk)
    # Only my own customers are choices.
    choices = list(response.context["form"].fields["customer"].queryset)
    assert guest in choices and net.owned["bert"].guest not in choices


def test_live_totals_equal_what_the_order_then_stores(portal, net):
    guest = net.owned["anna"].guest
    Product.objects.create(
        sku="PEEL-1",
        name="Peeler",
        retail_price=Decimal("12.49"),
        wholesale_price=Decimal("9.00"),
        qv=Decimal("7.5"),
        cv=Decimal("6.25"),
        vat_rate=Decimal("0.09"),
    )
    data = order_data(("MIX-1", "2"), ("peel-1", "3"), customer=guest)
    client = portal("anna")
    response = client.post("/portal/orders/new/totals/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    quote = response.context["quote"]
    assert quote.total == Decimal("237.47")  # 2 × 100.00 + 3 × 12.49
    assert quote.vat == Decimal("45.37")  # 21% of 200.00 + 9% of 37.47 (3.3723)
    assert quote.total_with_vat == Decimal("282.84")
    assert (quote.total_qv, quote.total_cv) == (Decimal("172.5"), Decimal("168.75"))
    assert "€ 282.84" in response.content.decode().replace("\xa0", " ")

    response = client.post("/portal/orders/new/", {**data, "step": "place"})
    order = Order.objects.filter(distributor=net.anna).latest("id")
    assert response.status_code == 302 and response["Location"] == f"/portal/orders/{order.pk}/"
    detail = order_detail(order_id=order.pk)
    assert (order.customer, order.purpose, order.status) == (guest, "customer", OrderStatus.PENDING)
    assert [(d.line.sku, d.line.quantity, d.line.unit_price) for d in detail.lines] == [
        ("MIX-1", 2, Decimal("100.00")),
        ("PEEL-1", 3, Decimal("12.49")),
    ]
    assert (detail.total, order_detail(order_id=order.pk).order.total_qv) == (quote.total, quote.total_qv)
    assert detail.order.total_cv == quote.total_cv
    page = client.get(f"/portal/orders/{order.pk}/")
    assert (page.context["vat"], page.context["total_with_vat"]) == (quote.vat, quote.total_with_vat)


def test_an_order_of_my_own_is_at_wholesale(portal, net):
    response = portal("anna").post(
        "/portal/orders/new/totals/", order_data(("MIX-1", "4"), purpose="personal")
    )
    assert response.context["quote"].total == Decimal("300.00")
    portal("anna").post(
        "/portal/orders/new/", {**order_data(("MIX-1", "4"), purpose="personal"), "step": "place"}
    )
    order = Order.objects.filter(distributor=net.anna).latest("id")
    assert (order.purpose, order.customer, order.lines.get().unit_price) == (
        "personal",
        None,
        Decimal("75.00"),
    )


def test_a_refused_line_is_a_field_error_nothing_written_nothing_lost(portal, net):
    Product.objects.create(
        sku="OLD-1", name="Old pan", retail_price=1, wholesale_price=1, qv=1, cv=1, is_active=False
    )
    guest = net.owned["anna"].guest
    before = Order.objects.count()
    data = {**order_data(("MIX-1", "2"), ("OLD-1", "1"), customer=guest), "step": "place"}
    response = portal("anna").post("/portal/orders/new/", data)
    assert response.status_code == 200
    assert "Line 2: OLD-1 Old pan is no longer sold" in response.context["lines_error"]
    assert Order.objects.count() == before
    formset = response.context["formset"]
    assert [(f["product"].value(), f["quantity"].value()) for f in formset] == [
        ("MIX-1", "2"),
        ("OLD-1", "1"),
    ]
    # The live totals say the same before anything is placed.
    totals = portal("anna").post("/portal/orders/new/totals/", data)
    assert totals.context["quote"] is None and "no longer sold" in totals.context["refusal"]


def test_refusals_on_the_order_fields(portal, net):
    before = Order.objects.count()
    client = portal("anna")
    # A personal order has no customer: the service's refusal on the customer field.
    response = client.post(
        "/portal/orders/new/",
        {
            **order_data(("MIX-1", "1"), purpose="personal", customer=net.owned["anna"].guest),
            "step": "place",
        },
    )
    assert "has no customer" in response.context["form"].errors["customer"][0]
    # A customer order needs its customer.
    response = client.post("/portal/orders/new/", {**order_data(("MIX-1", "1")), "step": "place"})
    assert response.context["form"].errors["customer"]
    # Another distributor's customer is no choice.
    response = client.post(
        "/portal/orders/new/",
        {**order_data(("MIX-1", "1"), customer=net.owned["bert"].guest), "step": "place"},
    )
    assert response.context["form"].errors["customer"]
    # A line too large, and a quantity that is no number.
    response = client.post(
        "/portal/orders/new/",
        {**order_data(("MIX-1", "1000001"), ("MIX-1", "x"), purpose="inventory"), "step": "place"},
    )
    formset = response.context["formset"]
    assert formset.forms[0].errors["quantity"] and formset.forms[1].errors["quantity"]
    # An unknown product.
    response = client.post(
        "/portal/orders/new/", {**order_data(("NOPE", "1"), purpose="inventory"), "step": "place"}
    )
    assert "unknown product 'NOPE'" in response.context["lines_error"]
    assert Order.objects.count() == before


def test_adding_removing_lines_and_the_catalogue_search_keep_what_was_typed(portal, net):
    client = portal("anna")
    guest = net.owned["anna"].guest
    data = order_data(("MIX-1", "2"), customer=guest)
    response = client.post("/portal/orders/new/", {**data, "step": "add"})
    rows = [(f["product"].value(), f["quantity"].value()) for f in response.context["formset"]]
    assert rows == [("MIX-1", "2"), ("", "1")]
    assert response.context["form"]["customer"].value() == str(guest.pk)

    response = client.post("/portal/orders/new/", {**data, "step": "search", "q": "kitchen"})
    assert [p.sku for p in response.context["products"]] == ["MIX-1"]
    response = client.post("/portal/orders/new/", {**data, "add_sku": "MIX-1"})
    assert len(response.context["formset"].forms) == 2

    two = order_data(("MIX-1", "2"), ("OTHER", "5"), customer=guest)
    response = client.post("/portal/orders/new/", {**two, "remove_line": "0"})
    assert [(f["product"].value(), f["quantity"].value()) for f in response.context["formset"]] == [
        ("OTHER", "5")
    ]
    assert not Order.objects.filter(distributor=net.anna, customer=guest).exclude(
        pk=net.owned["anna"].pending_order.pk
    )


def test_the_catalogue_search_partial(portal, net):
    response = portal("anna").get("/portal/orders/products/", {"q": "mix"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [p.sku for p in response.context["products"]] == ["MIX-1"]
    assert portal("anna").get("/portal/orders/products/", {"q": "zzz"}).context["products"] == []


def test_placing_through_htmx_redirects_the_page(portal, net):
    response = portal("anna").post(
        "/portal/orders/new/",
        {**order_data(("MIX-1", "1"), purpose="inventory"), "step": "place"},
        HTTP_HX_REQUEST="true",
    )
    order = Order.objects.filter(distributor=net.anna).latest("id")
    assert response["HX-Redirect"] == f"/portal/orders/{order.pk}/"


def test_a_nul_byte_in_a_search_or_a_line_is_a_field_error_not_a_crash(portal, net):
    before = Order.objects.count()
    client = portal("anna")
    for q in ("a\x00b", "x" * 101):
        response = client.get("/portal/orders/products/", {"q": q}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert response.context["products"] == [] and response.context["search_form"].errors["q"]
        assert 'class="error"' in response.content.decode()
    data = {**order_data(("MIX-1", "1"), purpose="inventory"), "q": "a\x00b"}
    for step in ("search", "edit"):  # the Search button, and Enter in the search field
        response = client.post("/portal/orders/new/", {**data, "step": step})
        assert response.status_code == 200 and response.context["products"] == []
        assert response.context["search_form"].errors["q"]
        assert [f["product"].value() for f in response.context["formset"]] == ["MIX-1"]  # nothing lost
    # A product added or typed with a NUL: an error on its line.
    response = client.post("/portal/orders/new/", {**data, "q": "", "add_sku": "A\x00B"})
    assert response.status_code == 200 and response.context["formset"].forms[1].errors["product"]
    response = client.post(
        "/portal/orders/new/", {**order_data(("MIX\x001", "1"), purpose="inventory"), "step": "place"}
    )
    assert response.status_code == 200 and response.context["formset"].forms[0].errors["product"]
    assert Order.objects.count() == before


def test_a_refused_order_is_not_quoted_again(portal, net, monkeypatch):
    from portal.views import orders as view

    Product.objects.create(
        sku="OLD-1", name="Old pan", retail_price=1, wholesale_price=1, qv=1, cv=1, is_active=False
    )
    quoted = []
    monkeypatch.setattr(view, "order_quote", lambda **kwargs: quoted.append(kwargs))
    data = {**order_data(("OLD-1", "1"), customer=net.owned["anna"].guest), "step": "place"}
    response = portal("anna").post("/portal/orders/new/", data)
    assert response.status_code == 200 and quoted == []
    content = response.content.decode()
    assert content.count("no longer sold") == 1  # on the lines, not once more in the totals
    assert response.context["quote"] is None and response.context["place_refused"]
    assert "Correct what is marked above to see the totals." in content


def test_the_order_forms_drop_a_second_submit(portal, net):
    """A double click places one order: htmx drops a second request while the first runs and
    disables the submit buttons meanwhile (C2)."""
    client = portal("anna")
    content = client.get("/portal/orders/new/").content.decode()
    form = content[content.index('<form id="order-form"') :].split(">", 1)[0]
    assert 'hx-sync="this:drop"' in form and 'hx-disabled-elt="find button[type=submit]"' in form
    content = client.get(f"/portal/orders/{net.owned['anna'].pending_order.pk}/").content.decode()
    for action in ("pay", "cancel"):
        form = content[content.index(f'/{action}/"') :].split(">", 1)[0]
        assert 'hx-boost="true"' in form and 'hx-sync="this:drop"' in form
        assert 'hx-disabled-elt="find button[type=submit]"' in form and 'hx-select="#main"' in form
    content = client.get(f"/portal/orders/{net.owned['anna'].paid_order.pk}/").content.decode()
    form = content[content.index('/return/"') :].split(">", 1)[0]
    assert 'hx-sync="this:drop"' in form and 'hx-disabled-elt="find button[type=submit]"' in form


def test_order_actions_follow_the_pay_and_cancel_rules(net):
    from orders.selectors.orders import order_actions

    mine = net.owned["anna"]
    pending = order_actions(mine.pending_order)
    assert (pending.can_pay, pending.can_cancel, pending.cancel_until) == (True, True, None)
    paid = order_actions(mine.paid_order)
    assert not paid.can_pay and paid.can_cancel and paid.cancel_until > timezone.now()
    late = order_actions(mine.paid_order, now=paid.cancel_until + dt.timedelta(seconds=1))
    assert not late.can_pay and not late.can_cancel and late.cancel_until == paid.cancel_until
    # A demonstration order's payment is recorded once; it stays pending (and cancellable) until
    # the demonstration closes, and its cooling-off has not started.
    Order.objects.filter(pk=mine.pending_order.pk).update(
        demonstration=mine.demonstration, paid_at=timezone.now()
    )
    demo = order_actions(Order.objects.get(pk=mine.pending_order.pk))
    assert (demo.can_pay, demo.can_cancel, demo.cancel_until) == (False, True, None)
    cancelled = Order.objects.get(pk=mine.paid_order.pk)
    cancelled.status = OrderStatus.CANCELLED
    assert not order_actions(cancelled).can_cancel and not order_actions(cancelled).can_pay


def test_post_only_pages_send_a_visitor_to_sign_in_first(portal, net):
    """distributor_required wraps require_POST, as on every other portal page (T5)."""
    from django.test import Client

    order = net.owned["anna"].paid_order.pk
    paths = [f"/portal/orders/{order}/{action}/" for action in ("pay", "cancel", "return")]
    paths += ["/portal/orders/new/totals/", f"/portal/customers/{net.owned['anna'].guest.pk}/delete/"]
    for url in paths:
        response = Client().get(url)
        assert response.status_code == 302 and "next=" in response["Location"], url
        assert portal("anna").get(url).status_code == 405, url


# --- One order: detail and actions


def test_an_orders_page_for_its_owner_and_404_for_anyone_else(portal, net):
    mine, berts = net.owned["anna"].paid_order, net.owned["bert"].paid_order
    response = portal("anna").get(f"/portal/orders/{mine.pk}/")
    assert response.status_code == 200
    actions = response.context["actions"]
    assert actions.cancel_until is not None and actions.can_cancel and not actions.can_pay
    assert [d.returnable for d in response.context["detail"].lines] == [3]
    client = portal("anna")
    assert client.get(f"/portal/orders/{berts.pk}/").status_code == 404
    for action in ("pay", "cancel", "return"):
        assert client.post(f"/portal/orders/{berts.pk}/{action}/").status_code == 404
    berts.refresh_from_db()
    assert berts.status == OrderStatus.PAID


def test_paying_a_pending_order(portal, net):
    pending = net.owned["anna"].pending_order
    response = portal("anna").post(f"/portal/orders/{pending.pk}/pay/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PAID and pending.paid_at is not None


def test_paying_refused_is_shown_and_nothing_changes(portal, net):
    pending = net.owned["anna"].pending_order
    close_this_month()
    response = portal("anna").post(f"/portal/orders/{pending.pk}/pay/")
    assert response.status_code == 200 and "closed" in response.context["pay_error"]
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING and pending.paid_at is None


def test_cancelling_within_cooling_off_refunds_every_unit(portal, net):
    paid = net.owned["anna"].paid_order
    response = portal("anna").post(f"/portal/orders/{paid.pk}/cancel/", {"reason": "changed my mind"})
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED
    record = Return.objects.get(order=paid)
    assert (record.kind, record.refund_amount, record.reason) == (
        "cancellation",
        Decimal("225.00"),
        "changed my mind",
    )


def test_cancelling_after_cooling_off_is_refused_with_the_deadline(portal, net):
    paid = net.owned["anna"].paid_order
    Order.objects.filter(pk=paid.pk).update(paid_at=timezone.now() - dt.timedelta(days=60))
    client = portal("anna")
    assert not client.get(f"/portal/orders/{paid.pk}/").context["actions"].can_cancel
    response = client.post(f"/portal/orders/{paid.pk}/cancel/", {"reason": ""})
    assert response.status_code == 200
    assert "cooling-off window" in response.context["cancel_form"].non_field_errors()[0]
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PAID and not Return.objects.filter(order=paid).exists()


def test_returning_units_of_a_line(portal, net):
    paid = net.owned["anna"].paid_order
    line = paid.lines.get()
    response = portal("anna").post(
        f"/portal/orders/{paid.pk}/return/", {f"line_{line.pk}": "2", "reason": "broken"}
    )
    assert response.status_code == 302
    record = Return.objects.get(order=paid)
    assert (record.refund_amount, record.reason) == (Decimal("150.00"), "broken")
    assert [(r.order_line_id, r.quantity) for r in record.lines.all()] == [(line.pk, 2)]
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PARTLY_RETURNED
    response = portal("anna").get(f"/portal/orders/{paid.pk}/")
    assert response.context["return_form"].fields[f"line_{line.pk}"].max_value == 1


def test_returning_more_than_returnable_or_nothing_is_a_field_error(portal, net):
    paid = net.owned["anna"].paid_order
    line = paid.lines.get()
    client = portal("anna")
    response = client.post(f"/portal/orders/{paid.pk}/return/", {f"line_{line.pk}": "4"})
    assert response.status_code == 200 and response.context["return_form"].errors[f"line_{line.pk}"]
    response = client.post(f"/portal/orders/{paid.pk}/return/", {f"line_{line.pk}": "0"})
    assert response.context["return_form"].non_field_errors()
    # A refusal of the service (the month is closed) on the form, nothing written.
    close_this_month()
    response = client.post(f"/portal/orders/{paid.pk}/return/", {f"line_{line.pk}": "1"})
    assert "closed" in response.context["return_form"].non_field_errors()[0]
    assert not Return.objects.filter(order=paid).exists()
    assert OrderLine.objects.get(pk=line.pk).quantity == 3


def test_a_host_redeems_her_credit_and_the_totals_match_what_is_stored(portal, net):
    mine = net.owned["anna"]
    now = timezone.now()
    voucher = HostCredit.objects.create(
        demonstration=mine.demonstration,
        host=mine.host,
        amount=Decimal("30.00"),
        half_price_items=1,
        issued_at=now,
        expires_at=now + dt.timedelta(days=30),
    )
    client = portal("anna")
    page = client.get("/portal/orders/new/")
    assert list(page.context["form"].fields["host_credit"].queryset) == [voucher]
    assert "Carla anna: € 30.00 and 1 half-price item(s), until" in page.content.decode().replace("\xa0", " ")
    data = {
        **order_data(("MIX-1", "2"), customer=mine.host),
        "host_credit": voucher.pk,
        "lines-0-half_price": "1",
    }
    quote = client.post("/portal/orders/new/totals/", data).context["quote"]
    assert quote.host_credit_redeemed == Decimal("30.00")
    assert quote.total == Decimal("120.00")  # 100 + 50 (half price) - 30 credit
    client.post("/portal/orders/new/", {**data, "step": "place"})
    order = Order.objects.filter(distributor=net.anna).latest("id")
    detail = order_detail(order_id=order.pk)
    assert (detail.total, detail.order.total_qv, detail.order.total_cv) == (
        quote.total,
        quote.total_qv,
        quote.total_cv,
    )
    assert order.host_credit_redeemed == Decimal("30.00")
    voucher.refresh_from_db()
    assert voucher.redeemed_order == order
    # Redeemed: no longer a choice.
    assert not client.get("/portal/orders/new/").context["form"].fields.get("host_credit")


def test_htmx_swaps_the_order_form_alone(portal, net):
    response = portal("anna").post(
        "/portal/orders/new/",
        {**order_data(("MIX-1", "1"), purpose="inventory"), "step": "add"},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<form id="order-form"') and "<html" not in content
    assert len(response.context["formset"].forms) == 2


def test_the_history_and_an_orders_page_take_a_fixed_number_of_queries(portal, net):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services import order_create, order_pay

    client = portal("anna")
    paid = net.owned["anna"].paid_order

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(path).status_code == 200
        return len(context)

    before = (count("/portal/orders/"), count(f"/portal/orders/{paid.pk}/"), count("/portal/customers/"))
    guest = net.owned["anna"].guest
    for _ in range(4):
        order_pay(
            order=order_create(distributor=net.anna, purpose="customer", customer=guest, lines=[("MIX-1", 1)])
        )
    order_create(distributor=net.anna, purpose="personal", lines=[("MIX-1", 1)])
    assert (
        count("/portal/orders/"),
        count(f"/portal/orders/{paid.pk}/"),
        count("/portal/customers/"),
    ) == before


def test_a_new_order_starts_consistent_own_without_a_customer_customer_with_one(portal, net):
    client = portal("anna")
    assert client.get("/portal/orders/new/").context["form"]["purpose"].value() == "personal"
    carla = net.owned["anna"].host
    form = client.get(f"/portal/orders/new/?customer={carla.pk}").context["form"]
    assert (form["purpose"].value(), str(form["customer"].value())) == ("customer", str(carla.pk))
