"""/api/v1/autoships/: my own and my customers' autoships."""

from __future__ import annotations

import pytest

from orders.models import AutoshipStatus, Subscription

URL = "/api/v1/autoships/"
pytestmark = pytest.mark.django_db


def create(client, **body):
    payload = {
        "interval_unit": "months",
        "interval_count": 1,
        "day_of_month": 31,
        "lines": [{"product": "MIX-1", "quantity": 2}],
        **body,
    }
    return client.post(URL, payload, format="json")


def test_i_create_list_change_skip_pause_resume_and_cancel_an_autoship(net, api):
    anna = api("anna")
    guest = net.owned["anna"].guest
    response = create(anna, customer=guest.pk)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["customer_id"], body["status"], body["day_of_month"], body["lines"]) == (
        guest.pk, "active", 31, [{"product": "MIX-1", "product_name": "Kitchen machine", "quantity": 2}]
    )  # fmt: skip
    pk = body["id"]
    own = create(anna, interval_unit="weeks", interval_count=2, weekday=4, day_of_month=None)
    assert own.status_code == 201, own.json()
    assert own.json()["customer_id"] is None
    assert [row["id"] for row in anna.get(URL + "?own=false").json()["results"]] == [pk]
    assert anna.get(URL).json()["count"] == 2

    changed = anna.patch(
        f"{URL}{pk}/",
        {
            "lines": [{"product": "MIX-1", "quantity": 5}],
            "schedule": {"interval_unit": "months", "interval_count": 2, "day_of_month": 15},
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["lines"][0]["quantity"], changed.json()["interval_count"]) == (5, 2)
    before = changed.json()["next_date"]
    skipped = anna.post(f"{URL}{pk}/skip/")
    assert skipped.status_code == 200 and skipped.json()["next_date"] > before
    assert anna.post(f"{URL}{pk}/pause/").json()["status"] == "paused"
    assert anna.post(f"{URL}{pk}/pause/").status_code == 409
    assert anna.post(f"{URL}{pk}/resume/").json()["status"] == "active"
    assert anna.post(f"{URL}{pk}/cancel/").json()["status"] == "cancelled"
    assert anna.get(URL).json()["count"] == 1
    assert anna.get(URL + "?cancelled=true").json()["count"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"interval_unit": "days"}, "interval_unit"),
        ({"interval_count": 0}, "interval_count"),
        ({"day_of_month": 32}, "day_of_month"),
        ({"day_of_month": None}, "day_of_month"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product": "NOPE", "quantity": 1}]}, "lines"),
        ({"lines": [{"product": "MIX-1", "quantity": 0}]}, "lines.0.quantity"),
        ({"start": "2020-01-01"}, "start"),
        ({"sponsor": 1}, "sponsor"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_nothing_is_written(net, api, body, field):
    response = create(api("anna"), **body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Subscription.objects.exists()


def test_another_distributors_customer_and_autoship_are_404(net, api):
    bert_guest = net.owned["bert"].guest
    assert create(api("anna"), customer=bert_guest.pk).status_code == 404
    theirs = create(api("bert")).json()["id"]
    anna = api("anna")
    assert anna.get(f"{URL}{theirs}/").status_code == 404
    assert anna.post(f"{URL}{theirs}/cancel/").status_code == 404
    assert Subscription.objects.get().status == AutoshipStatus.ACTIVE
