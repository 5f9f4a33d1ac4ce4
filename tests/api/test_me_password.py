"""POST /api/v1/me/password/: I change my own password; every earlier token dies; guessing locks."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from core.models import AuditEntry

from .conftest import PASSWORD

PASSWORD_URL = "/api/v1/me/password/"
TOKEN = "/api/v1/auth/token/"
NEW = "Zeilboot-Hagel-2027"


def login(username: str, password: str) -> dict:
    response = APIClient().post(TOKEN, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_a_password_change_revokes_every_earlier_token_and_answers_a_new_pair(net):
    phone = login("anna@example.nl", PASSWORD)
    tablet = login("anna@example.nl", PASSWORD)
    response = bearer(phone["access"]).post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW}, format="json"
    )
    assert response.status_code == 200
    fresh = response.json()
    # Both devices' access and refresh tokens are dead, the new pair works.
    for pair in (phone, tablet):
        assert bearer(pair["access"]).get("/api/v1/me/").status_code == 401
        refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
        assert refresh.status_code == 401
    assert bearer(fresh["access"]).get("/api/v1/me/").status_code == 200
    assert BlacklistedToken.objects.filter(token__user=net.anna.user).count() == 2
    # The old password no longer logs in, the new one does.
    old = {"username": "anna@example.nl", "password": PASSWORD}
    assert APIClient().post(TOKEN, old, format="json").status_code == 401
    login("anna@example.nl", NEW)
    assert AuditEntry.objects.filter(action="user.password_change", actor=net.anna.user).count() == 1


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("kort", "This password is too short. It must contain at least 8 characters."),
        ("12345678901", "This password is too common."),
        ("anna@example.nl", "The password is too similar to the username."),
        (PASSWORD, "Choose a password other than your current one."),
    ],
)
def test_the_new_password_follows_the_password_rules(net, api, new_password, message):
    response = api("anna").post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": new_password}, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["new_password"][0]
    net.anna.user.refresh_from_db()
    assert net.anna.user.check_password(PASSWORD)


def test_input_is_strict(net, api):
    response = api("anna").post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW, "user": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "user": ["Unknown field: it cannot be set through this endpoint."]
    }
    missing = api("anna").post(PASSWORD_URL, {}, format="json")
    assert set(missing.json()["error"]["fields"]) == {"current_password", "new_password"}


def test_guessing_the_current_password_is_locked_out_like_a_login(net, api, settings):
    settings.AXES_FAILURE_LIMIT = 3
    anna = api("anna")
    answers = []
    for _ in range(3):
        response = anna.post(PASSWORD_URL, {"current_password": "guess", "new_password": NEW}, format="json")
        answers.append((response.status_code, response.json()["error"]["code"]))
    assert answers == [(400, "invalid"), (400, "invalid"), (429, "locked_out")]
    wrong = anna.post(PASSWORD_URL, {"current_password": "guess", "new_password": NEW}, format="json")
    assert wrong.status_code == 429
    # Even the right current password is refused during the cool-off; nothing changed.
    right = anna.post(PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW}, format="json")
    assert right.status_code == 429
    net.anna.user.refresh_from_db()
    assert net.anna.user.check_password(PASSWORD)
    assert AccessAttempt.objects.get().username == "anna@example.nl"


def test_a_wrong_current_password_is_a_field_error(net, api):
    response = api("anna").post(
        PASSWORD_URL, {"current_password": "nope", "new_password": NEW}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "current_password": ["Your current password is not correct."]
    }


def test_only_a_logged_in_distributor(net, api):
    assert api(None).post(PASSWORD_URL, {}, format="json").status_code == 401
    assert api("admin").post(PASSWORD_URL, {}, format="json").status_code == 403
