"""Portal: my customers. Each page for its owner, 404 for another distributor's customer, refusals
of the customer services as field errors with nothing written."""

from __future__ import annotations

import pytest

from orders.models import Customer, CustomerKind

pytestmark = pytest.mark.django_db


def test_the_list_shows_my_customers_only_and_searches_by_name(portal, net):
    response = portal("anna").get("/portal/customers/")
    assert response.status_code == 200
    names = [str(c) for c in response.context["page"].object_list]
    assert names == ["Carla anna", "Gijs anna"]

    response = portal("anna").get("/portal/customers/", {"search": "gij"})
    assert [str(c) for c in response.context["page"].object_list] == ["Gijs anna"]
    assert b"Carla" not in response.content

    # Another distributor's customers never show, whatever the search.
    response = portal("anna").get("/portal/customers/", {"search": "bert"})
    assert list(response.context["page"].object_list) == []


def test_a_bad_search_shows_its_error_and_no_list(portal, net):
    for search in ("Car\x00la", "x" * 101):
        response = portal("anna").get("/portal/customers/", {"search": search})
        assert response.status_code == 200
        assert response.context["search"].errors["search"] and response.context["page"] is None
        content = response.content.decode()
        assert 'aria-invalid="true"' in content and 'class="error"' in content
        assert "Correct the search to see your customers." in content
        assert "Gijs" not in content  # not every customer as if nothing was typed


def test_the_customer_forms_drop_a_second_submit(portal, net):
    """A double click registers one customer: htmx drops a second request while the first runs (C2)."""
    client = portal("anna")
    pages = ("/portal/customers/new/", f"/portal/customers/{net.owned['anna'].guest.pk}/")
    forms = [
        form.split(">", 1)[0]
        for page in pages
        for form in client.get(page).content.decode().split('<form method="post" class="form"')[1:]
    ]
    assert len(forms) == 3  # register; change and delete
    for form in forms:
        assert 'hx-sync="this:drop"' in form and 'hx-disabled-elt="find button[type=submit]"' in form
    # The boosted request is an ordinary post: the same redirect.
    response = client.post(
        "/portal/customers/new/",
        {"first_name": "Nina", "kind": "retail"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_BOOSTED="true",
    )
    customer = Customer.objects.get(first_name="Nina")
    assert response.status_code == 302 and response["Location"] == f"/portal/customers/{customer.pk}/"


def test_registering_a_customer_writes_what_the_service_writes(portal, net):
    response = portal("anna").post(
        "/portal/customers/new/",
        {
            "first_name": "Nina",
            "last_name": "Nieuw",
            "email": "Nina@Example.nl",
            "phone": "+31 6 0000 0000",
            "kind": CustomerKind.PREFERRED,
            "my_household": "on",
        },
    )
    customer = Customer.objects.get(email="nina@example.nl")
    assert response.status_code == 302 and response["Location"] == f"/portal/customers/{customer.pk}/"
    assert customer.distributor == net.anna
    assert (customer.first_name, customer.last_name, customer.kind) == ("Nina", "Nieuw", "preferred")
    assert customer.household_of == net.anna


def test_a_refused_address_is_a_field_error_and_nothing_is_written(portal, net):
    before = Customer.objects.count()
    # A distributor's own address: refused with the same word whoever holds it (privacy).
    response = portal("anna").post(
        "/portal/customers/new/", {"first_name": "Bert", "email": net.bert.email, "kind": "retail"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert response.context["form"]["first_name"].value() == "Bert"  # nothing typed is lost
    # Already my customer.
    response = portal("anna").post(
        "/portal/customers/new/", {"email": net.owned["anna"].guest.email, "kind": "retail"}
    )
    assert "already your customer" in response.context["form"].errors["email"][0]
    # Neither a name nor an address.
    response = portal("anna").post("/portal/customers/new/", {"kind": "retail"})
    assert response.context["form"].errors["last_name"]
    # A bad address never reaches the service.
    response = portal("anna").post("/portal/customers/new/", {"email": "not-an-address", "kind": "retail"})
    assert response.context["form"].errors["email"]
    assert Customer.objects.count() == before


def test_changing_a_customer_saves_the_fields_the_api_changes(portal, net):
    gijs = net.owned["anna"].guest
    url = f"/portal/customers/{gijs.pk}/"
    assert portal("anna").get(url).status_code == 200
    response = portal("anna").post(
        url, {"first_name": "Gijs", "last_name": "Groot", "phone": "+31 6 1111 2222", "kind": "preferred"}
    )
    assert response.status_code == 302
    gijs.refresh_from_db()
    assert (gijs.last_name, gijs.phone, gijs.kind, gijs.household_of) == (
        "Groot",
        "+31 6 1111 2222",
        "preferred",
        None,
    )


def test_a_bad_change_is_a_field_error_and_nothing_is_written(portal, net):
    gijs = net.owned["anna"].guest
    response = portal("anna").post(f"/portal/customers/{gijs.pk}/", {"first_name": "G", "kind": "royal"})
    assert response.status_code == 200 and response.context["form"].errors["kind"]
    gijs.refresh_from_db()
    assert gijs.first_name == "Gijs"


def test_another_distributors_customer_is_not_found(portal, net):
    berts = net.owned["bert"].guest
    client = portal("anna")
    assert client.get(f"/portal/customers/{berts.pk}/").status_code == 404
    assert (
        client.post(f"/portal/customers/{berts.pk}/", {"last_name": "X", "kind": "retail"}).status_code == 404
    )
    assert client.post(f"/portal/customers/{berts.pk}/delete/").status_code == 404
    berts.refresh_from_db()
    assert berts.last_name == "bert"


def test_deleting_a_customer_without_orders(portal, net):
    customer = Customer.objects.create(distributor=net.anna, first_name="Weg", last_name="Ermee")
    response = portal("anna").post(f"/portal/customers/{customer.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/portal/customers/"
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_a_customer_with_orders_is_kept_with_the_reason_shown(portal, net):
    gijs = net.owned["anna"].guest
    response = portal("anna").post(f"/portal/customers/{gijs.pk}/delete/")
    assert response.status_code == 200
    assert "kept for the books" in response.context["delete_error"]
    assert Customer.objects.filter(pk=gijs.pk).exists()


def test_deleting_needs_a_post(portal, net):
    customer = Customer.objects.create(distributor=net.anna, first_name="Blijf")
    assert portal("anna").get(f"/portal/customers/{customer.pk}/delete/").status_code == 405
    assert Customer.objects.filter(pk=customer.pk).exists()
