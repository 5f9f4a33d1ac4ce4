"""GET/PUT /api/v1/me/notifications/: my kinds and language; bad input is a 400, nothing changed."""

from __future__ import annotations

import pytest

from notifications.models import MailLanguage, NotificationPreference

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/notifications/"


def test_every_kind_is_on_until_switched_off(api, net):
    response = api("anna").get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "anna@example.nl" and body["language"] is None
    assert set(body["kinds"]) >= {"statement_ready", "new_frontline_member", "autoship_coming"}
    assert "close_finished" not in body["kinds"]
    assert all(body["kinds"].values())


def test_put_switches_kinds_and_the_language(api, net):
    client = api("anna")
    response = client.put(URL, {"kinds": {"statement_ready": False}, "language": "en"}, format="json")
    assert response.status_code == 200
    assert response.json()["kinds"]["statement_ready"] is False
    assert response.json()["language"] == "en"
    assert NotificationPreference.objects.get(email="anna@example.nl").enabled is False
    # Kinds not named keep their setting; "" is "as my country".
    response = client.put(URL, {"kinds": {"rank_advancement": False}, "language": ""}, format="json")
    assert response.json()["kinds"]["statement_ready"] is False
    assert response.json()["language"] is None
    assert not MailLanguage.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kinds": {"spam": False}}, "kinds"),
        ({"kinds": {"statement_ready": "no"}}, "kinds"),
        ({"kinds": {"close_finished": False}}, "kinds"),
        ({"kinds": ["statement_ready"]}, "kinds"),
        ({"language": "fr"}, "language"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_a_400_with_the_field(api, net, body, field):
    response = api("anna").put(URL, body, format="json")
    assert response.status_code == 400
    assert any(key.split(".")[0] == field for key in response.json()["error"]["fields"])
    assert not NotificationPreference.objects.exists() and not MailLanguage.objects.exists()


def test_only_for_distributors(api, net):
    assert api(None).get(URL).status_code == 401
    assert api("admin").get(URL).status_code == 403
