"""Portal: My data › Notifications, a checkbox per kind and the language of the mails."""

from __future__ import annotations

import pytest

from notifications.models import MailLanguage, NotificationPreference
from tests.portal.conftest import portal  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
URL = "/portal/me/notifications/"


def test_the_page_shows_every_kind_switched_on(portal):  # noqa: F811
    response = portal().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="statement_ready" checked' in html.replace(' id="id_statement_ready"', "")
    assert "anna@example.nl" in html
    assert "close_finished" not in html
    assert URL in portal().get("/portal/me/").content.decode()


def test_saving_switches_kinds_off_and_keeps_the_rest_on(portal):  # noqa: F811
    kinds = ["new_frontline_member", "rank_advancement", "buyback_decided", "demonstration_reminder",
             "autoship_coming", "autoship_payment_failed"]  # fmt: skip
    response = portal().post(URL, {**{k: "on" for k in kinds}, "language": "nl"})
    assert response.status_code == 302
    assert list(NotificationPreference.objects.filter(enabled=False).values_list("kind", flat=True)) == [
        "statement_ready"
    ]
    assert MailLanguage.objects.get(email="anna@example.nl").language == "nl"
    assert 'name="statement_ready" id' in portal().get(URL).content.decode()


def test_a_bad_language_is_a_form_error(portal):  # noqa: F811
    response = portal().post(URL, {"language": "fr"})
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_staff_without_a_profile_are_sent_away(net, client):
    client.force_login(net.admin)
    assert client.get(URL).status_code in (302, 403, 404)
