"""JWT for the phone app: login, expiry, rotation, reuse, log-out, deactivation, lockout; sessions."""

from __future__ import annotations

import datetime as dt
import json

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


# --- Odd input from anyone is a 4xx in the error format, never a 500 (issue 14, item 6).


def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


@pytest.mark.parametrize("path", [TOKEN, REFRESH, BLACKLIST])
def test_a_json_body_nested_1000_deep_is_a_400_on_the_token_endpoints(net, path):
    response = APIClient(raise_request_exception=False).post(
        path, deep_json(1000), content_type="application/json"
    )
    error = assert_error(response, 400, "parse_error")
    assert error["message"] == "The JSON body nests more than 32 levels deep."


def test_the_parser_refuses_deep_bodies_on_every_endpoint(net, api):
    response = api("anna").post("/api/v1/customers/", deep_json(33), content_type="application/json")
    assert_error(response, 400, "parse_error")
    # Deep, but within the limit, the body reaches the view (which wants an object).
    assert (
        api("anna").post("/api/v1/customers/", deep_json(32), content_type="application/json").status_code
        == 400
    )


def test_the_nesting_depth_is_counted_without_recursion():
    from core.api.parsers import nesting_depth

    assert [nesting_depth(v) for v in (1, [], {"a": [1, {"b": 2}]}, [[[[]]]])] == [0, 1, 3, 4]


def test_a_username_with_nul_is_a_400_field_error(net):
    response = APIClient(raise_request_exception=False).post(
        TOKEN, {"username": "anna\x00@example.nl", "password": PASSWORD}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"username": ["Null characters are not allowed."]}
    assert AccessAttempt.objects.count() == 0


def test_a_username_longer_than_a_username_is_a_400_field_error(net):
    response = APIClient(raise_request_exception=False).post(
        TOKEN, {"username": "a" * 300, "password": PASSWORD}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"username": ["Ensure this field has no more than 150 characters."]}


@pytest.mark.parametrize("username", ["a" * 300, "anna\x00@example.nl", ["a"]])
def test_axes_stores_any_attempted_username(net, rf, username):
    from django.contrib.auth import authenticate

    # Any login (the portal's, a future one) reaches axes with whatever was typed.
    request = rf.post("/admin/login/")
    assert authenticate(request, username=username, password="wrong") is None
    stored = AccessAttempt.objects.get().username
    assert "\x00" not in stored
    assert len(stored) <= 255


@pytest.mark.parametrize("username", ["a" * 300, "anna\x00@example.nl"])
def test_the_admin_login_refuses_odd_usernames_with_a_form_error(net, client, username):
    from django.test import Client

    response = Client(raise_request_exception=False).post(
        "/admin/login/", {"username": username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"errornote" in response.content or b"errorlist" in response.content


def test_a_body_over_the_size_limit_is_a_413_in_the_error_format(net, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"username": "anna@example.nl", "password": "' + "x" * 2000 + '"}'
    anonymous = APIClient(raise_request_exception=False).post(TOKEN, body, content_type="application/json")
    error = assert_error(anonymous, 413, "too_large")
    assert error["message"] == "The request body is too large."
    customers = api("anna").post(
        "/api/v1/customers/", '{"first_name": "' + "x" * 2000 + '"}', content_type="application/json"
    )
    assert_error(customers, 413, "too_large")


def test_failures_outside_drf_answer_json_under_api_and_html_elsewhere(rf):
    from django.core.exceptions import RequestDataTooBig, SuspiciousOperation

    from core.api.views import api_bad_request, api_server_error

    assert api_bad_request(rf.post("/api/v1/orders/"), RequestDataTooBig()).status_code == 413
    bad = api_bad_request(rf.post("/api/v1/orders/"), SuspiciousOperation())
    assert (bad.status_code, bad["Content-Type"]) == (400, "application/json")
    crash = api_server_error(rf.get("/api/v1/me/"))
    assert (crash.status_code, crash["Content-Type"]) == (500, "application/json")
    assert json.loads(crash.content)["error"]["code"] == "server_error"
    assert api_server_error(rf.get("/admin/"))["Content-Type"].startswith("text/html")


def test_inside_and_outside_drf_the_same_failure_answers_the_same_body(rf):
    """One builder per error body (core.api.errors), used by the handler and by handler400."""
    from django.core.exceptions import RequestDataTooBig, SuspiciousOperation

    from core.api.errors import bad_request_error, exception_handler, too_large_error
    from core.api.views import api_bad_request

    for exc, (body, status) in (
        (RequestDataTooBig(), too_large_error()),
        (SuspiciousOperation(), bad_request_error()),
    ):
        outside = api_bad_request(rf.post("/api/v1/orders/"), exc)
        inside = exception_handler(exc, {})
        assert (outside.status_code, json.loads(outside.content)) == (status, body)
        assert (inside.status_code, inside.data) == (status, body)
    assert too_large_error() == (
        {"error": {"code": "too_large", "message": "The request body is too large.", "fields": {}}},
        413,
    )
    assert bad_request_error() == (
        {"error": {"code": "bad_request", "message": "The request is not valid.", "fields": {}}},
        400,
    )


def test_a_refresh_token_from_before_a_password_change_is_refused(net):
    pair = login("anna@example.nl").json()
    user = net.anna.user
    user.set_password("Another-long-pass-2027")
    user.save()
    response = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
