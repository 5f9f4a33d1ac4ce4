"""The unsubscribe link: a GET shows a confirmation and changes nothing; a POST (the page's button,
or a mail client's RFC 8058 one-click POST without any CSRF token) switches that kind off."""

from __future__ import annotations

import pytest
from django.test import Client

from notifications.models import NotificationPreference
from notifications.tokens import unsubscribe_token

pytestmark = pytest.mark.django_db


def url(email="anna@example.nl", kind="statement_ready"):
    return f"/notifications/unsubscribe/{unsubscribe_token(email, kind)}/"


def test_a_get_asks_and_changes_nothing():
    response = Client().get(url())
    assert response.status_code == 200
    assert b"anna@example.nl" in response.content and b'method="post"' in response.content
    assert response["Cache-Control"] == "private, no-store"
    assert not NotificationPreference.objects.exists()


def test_the_button_unsubscribes_from_that_kind_only():
    response = Client(enforce_csrf_checks=True).post(url())
    assert response.status_code == 200
    assert list(NotificationPreference.objects.values_list("email", "kind", "enabled")) == [
        ("anna@example.nl", "statement_ready", False)
    ]


def test_one_click_post_of_a_mail_client_works_without_csrf():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url(kind="rank_advancement"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert NotificationPreference.objects.get(kind="rank_advancement").enabled is False
    client.post(url(kind="rank_advancement"))  # again: no change, no error
    assert NotificationPreference.objects.count() == 1


def test_a_changed_token_is_refused():
    token = unsubscribe_token("anna@example.nl", "statement_ready")
    response = Client().post(f"/notifications/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 404
    assert not NotificationPreference.objects.exists()


def test_the_page_is_in_dutch_too():
    response = Client().get(url(), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200 and b'lang="nl"' in response.content
