"""Portal: Orders › Autoship (start, change, skip, pause, resume, cancel) and the team page's next
autoship dates of my customers and my frontline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import AutoshipStatus, Subscription
from orders.services.autoship import subscription_create

pytestmark = pytest.mark.django_db


def start(distributor, customer=None, day=15, quantity=1):
    return subscription_create(
        distributor=distributor,
        customer=customer,
        interval_unit="months",
        interval_count=1,
        day_of_month=day,
        lines=[("MIX-1", quantity)],
    )


def form(**changes):
    data = {
        "subscriber": "me",
        "interval_unit": "months",
        "interval_count": "1",
        "day_of_month": "31",
        "weekday": "",
        "product_1": "MIX-1",
        "quantity_1": "2",
    }
    data.update(changes)
    return data


def test_the_page_lists_my_own_and_my_customers_autoships(net, portal):
    start(net.anna, quantity=3)
    start(net.anna, net.owned["anna"].guest, day=31)
    start(net.bert)  # not mine
    response = portal().get(reverse("portal:autoship"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 × Kitchen machine" in page and "Every month on day 31" in page
    assert str(net.owned["anna"].guest) in page
    assert page.count("Skip the next one") == 2


def test_i_start_an_autoship_for_a_customer(net, portal):
    guest = net.owned["anna"].guest
    response = portal().post(reverse("portal:autoship-create"), form(subscriber=str(guest.pk)))
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.distributor, subscription.customer, subscription.day_of_month) == (
        net.anna,
        guest,
        31,
    )
    assert [(line.product.sku, line.quantity) for line in subscription.lines.all()] == [("MIX-1", 2)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"product_1": ""}, "Choose at least one product."),
        ({"quantity_1": ""}, "How many?"),
        ({"day_of_month": ""}, "Choose the day of the month"),
        ({"interval_unit": "weeks", "weekday": ""}, "Choose the weekday of the order."),
        ({"day_of_month": "32"}, "less than or equal to 31"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_written(net, portal, changes, message):
    response = portal().post(reverse("portal:autoship-create"), form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_another_distributors_customer_is_not_a_choice(net, portal):
    response = portal().post(
        reverse("portal:autoship-create"), form(subscriber=str(net.owned["bert"].guest.pk))
    )
    assert response.status_code == 400 and not Subscription.objects.exists()


def test_i_change_products_and_day_then_skip_pause_resume_and_cancel(net, portal):
    subscription = start(net.anna, day=15)
    client = portal()
    url = reverse("portal:autoship-edit", args=[subscription.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form(day_of_month="20", quantity_1="4"))
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.day_of_month, subscription.lines.get().quantity, subscription.next_date.day) == (
        20,
        4,
        20,
    )
    before = subscription.next_date
    for action, status in (
        ("skip", "active"),
        ("pause", "paused"),
        ("resume", "active"),
        ("cancel", "cancelled"),
    ):
        assert (
            client.post(reverse("portal:autoship-action", args=[subscription.pk, action])).status_code == 302
        )
        subscription.refresh_from_db()
        assert subscription.status == status, action
        if action == "skip":
            assert subscription.next_date > before
    assert subscription.status == AutoshipStatus.CANCELLED


def test_another_distributors_autoship_is_404(net, portal):
    theirs = start(net.bert)
    client = portal()
    assert client.get(reverse("portal:autoship-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:autoship-action", args=[theirs.pk, "cancel"])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AutoshipStatus.ACTIVE


def test_the_team_page_shows_next_autoship_dates_of_my_customers_and_frontline(net, portal):
    guest = net.owned["anna"].guest
    mine = start(net.anna, guest, day=12)
    frontline = start(net.anton, day=7)
    start(net.arie, day=9)  # not my frontline
    page = portal().get(reverse("portal:team")).content.decode()
    assert "Next autoship dates" in page
    assert (
        str(guest) in page
        and "Anton Akker" in page
        and "Arie Akker" not in page.split("Next autoship dates")[1]
    )
    from django.utils.formats import date_format

    assert date_format(mine.next_date, "DATE_FORMAT") in page
    assert date_format(frontline.next_date, "DATE_FORMAT") in page


def test_the_pages_in_dutch(net, portal):
    start(net.anna)
    client = portal()
    client.cookies["django_language"] = "nl"
    assert client.get(reverse("portal:autoship")).status_code == 200
    assert client.get(reverse("portal:autoship-create")).status_code == 200
