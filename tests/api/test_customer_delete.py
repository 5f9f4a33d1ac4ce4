"""DELETE /api/v1/customers/{id}/: a customer without records can go; one with orders stays."""

from orders.models import Customer
from orders.services import customer_register


def test_a_distributor_deletes_a_customer_entered_by_mistake(net, api):
    mistake = customer_register(distributor=net.anna, first_name="Typo", email="typo@example.nl")
    response = api("anna").delete(f"/api/v1/customers/{mistake.pk}/")
    assert response.status_code == 204
    assert not Customer.objects.filter(pk=mistake.pk).exists()


def test_a_customer_with_orders_is_kept_for_the_books(net, api):
    guest = net.owned["anna"].guest
    response = api("anna").delete(f"/api/v1/customers/{guest.pk}/")
    assert response.status_code == 409
    assert "kept for the books" in response.json()["error"]["message"]
    assert Customer.objects.filter(pk=guest.pk).exists()


def test_nobody_else_can_delete_a_distributor_s_customer(net, api):
    mistake = customer_register(distributor=net.anna, first_name="Typo", email="typo2@example.nl")
    assert api("bert").delete(f"/api/v1/customers/{mistake.pk}/").status_code == 404
    assert Customer.objects.filter(pk=mistake.pk).exists()
