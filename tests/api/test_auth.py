"""JWT for the phone app: login, expiry, rotation, reuse, log-out, deactivation, lockout; sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .conftest import PASSWORD

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
BLACKLIST = "/api/v1/auth/token/blacklist/"
ME = "/api/v1/me/"


def login(username: str, password: str = PASSWORD):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_gives_a_pair_that_opens_me(net):
    response = login("anna@example.nl")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    me = bearer(response.json()["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == "anna@example.nl"


def test_wrong_password_is_401_in_the_error_format(net):
    response = login("anna@example.nl", "not-her-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_active_account"
    assert response.json()["error"]["fields"] == {}


def test_missing_credentials_are_400_with_field_messages(net):
    response = APIClient().post(TOKEN, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"username", "password"}


def test_no_token_is_401(net):
    response = APIClient().get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_access_token_is_401(net):
    token = AccessToken.for_user(net.anna.user)
    token.set_exp(lifetime=-dt.timedelta(seconds=1))
    response = bearer(str(token)).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_tampered_token_is_401(net):
    token = str(AccessToken.for_user(net.anna.user))
    response = bearer(token[:-4] + "AAAA").get(ME)
    assert response.status_code == 401


def test_access_lifetime_is_short(net, settings):
    token = AccessToken.for_user(net.anna.user)
    assert token["exp"] - token["iat"] <= 15 * 60


def test_refresh_rotates_and_the_old_refresh_token_is_dead(net):
    first = login("anna@example.nl").json()
    rotated = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]
    assert bearer(rotated.json()["access"]).get(ME).status_code == 200
    # Reuse of the used refresh token: refused.
    reuse = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "token_not_valid"
    # The new one still works once.
    again = APIClient().post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_blacklisted_refresh_token_cannot_be_used(net):
    pair = login("anna@example.nl").json()
    out = APIClient().post(BLACKLIST, {"refresh": pair["refresh"]}, format="json")
    assert out.status_code == 200
    reuse = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert reuse.status_code == 401


def test_expired_refresh_token_is_401(net):
    refresh = RefreshToken.for_user(net.anna.user)
    refresh.set_exp(lifetime=-dt.timedelta(seconds=1))
    response = APIClient().post(REFRESH, {"refresh": str(refresh)}, format="json")
    assert response.status_code == 401


def test_deactivated_user_is_locked_out_of_every_token(net):
    pair = login("anna@example.nl").json()
    user = net.anna.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert bearer(pair["access"]).get(ME).status_code == 401
    refresh = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert login("anna@example.nl").status_code == 401


def test_password_change_revokes_earlier_tokens(net):
    pair = login("anna@example.nl").json()
    user = net.anna.user
    user.set_password("Another-long-pass-2027")
    user.save()
    assert bearer(pair["access"]).get(ME).status_code == 401


def test_refresh_token_of_a_deleted_user_is_401_not_500(net, django_user_model):
    user = django_user_model.objects.create_user("gone@example.nl", "gone@example.nl", PASSWORD)
    refresh = str(RefreshToken.for_user(user))
    django_user_model.objects.filter(pk=user.pk).delete()
    response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", 12])
def test_garbage_refresh_token_is_a_client_error(net, garbage):
    response = APIClient().post(REFRESH, {"refresh": garbage}, format="json")
    assert response.status_code in (400, 401)


def test_lockout_after_the_failure_limit_with_a_cool_off(net, settings):
    settings.AXES_FAILURE_LIMIT = 3
    answers = [login("anna@example.nl", "wrong").status_code for _ in range(3)]
    assert answers == [401, 401, 429]
    # Even the right password is refused during the cool-off, with a message that says so.
    locked = login("anna@example.nl")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    assert "15 minutes" in locked.json()["error"]["message"]
    # Another account from the same address is not locked.
    assert login("bert@example.nl").status_code == 200
    # After the cool-off (the attempts are older than it), the right password works again.
    AccessAttempt.objects.update(attempt_time=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert login("anna@example.nl").status_code == 200


def test_session_auth_serves_the_portal_and_keeps_csrf(net):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(net.anna.user)
    assert client.get(ME).status_code == 200
    response = client.post(
        "/api/v1/customers/", {"first_name": "Els", "email": "els@example.nl"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_staff_without_distributor_profile_is_403(net, api):
    response = api("admin").get(ME)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
