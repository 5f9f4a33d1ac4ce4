"""PATCH /api/v1/me/: a distributor changes their own contact data, and nothing else."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry

from .conftest import PASSWORD

ME = "/api/v1/me/"


def test_i_change_my_names_and_phone(net, api):
    response = api("anna").patch(
        ME, {"first_name": " Anne ", "last_name": "de Vries", "phone": "06 11"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["first_name"], body["last_name"], body["phone"]) == ("Anne", "de Vries", "06 11")
    net.anna.refresh_from_db()
    assert (net.anna.first_name, net.anna.last_name, net.anna.phone) == ("Anne", "de Vries", "06 11")
    entry = AuditEntry.objects.get(action="distributor.update_profile")
    assert (entry.actor, entry.data) == (net.anna.user, {"fields": ["first_name", "last_name", "phone"]})


def test_my_new_email_address_is_my_login_from_now_on(net, api):
    response = api("anna").patch(
        ME, {"email": "Anna.Nieuw@Example.NL", "current_password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email"] == "anna.nieuw@example.nl"
    user = net.anna.user
    user.refresh_from_db()
    assert (user.username, user.email) == ("anna.nieuw@example.nl", "anna.nieuw@example.nl")
    login = APIClient().post(
        "/api/v1/auth/token/", {"username": "anna.nieuw@example.nl", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"country": "BE"},
        {"sponsor": 1},
        {"status": "active"},
        {"rank": 9},
        {"external_id": "X"},
        {"referral_code": "AAAA2222"},
        {"user": 1},
    ],
)
def test_anything_but_my_contact_data_is_refused(net, api, body):
    before = net.anna.__class__.objects.values().get(pk=net.anna.pk)
    response = api("anna").patch(ME, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        next(iter(body)): ["Unknown field: it cannot be set through this endpoint."]
    }
    assert net.anna.__class__.objects.values().get(pk=net.anna.pk) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "This field may not be blank."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"phone": "0" * 33}, "phone", "Ensure this field has no more than 32 characters."),
    ],
)
def test_bad_contact_data_is_a_field_error_and_changes_nothing(net, api, body, field, message):
    response = api("anna").patch(ME, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: [message]}
    net.anna.refresh_from_db()
    assert (net.anna.first_name, net.anna.email, net.anna.phone) == (
        "Anna",
        "anna@example.nl",
        "+31 6 1234 5678",
    )


UNAVAILABLE = "This e-mail address cannot be used here. Use another address, or ask the person to contact us."


def test_an_address_held_by_another_distributor_is_refused_without_saying_so(net, api):
    response = api("anna").patch(
        ME, {"email": "BERT@example.nl", "current_password": PASSWORD}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "email_unavailable",
        "message": UNAVAILABLE,
        "fields": {"email": [UNAVAILABLE]},
    }
    net.anna.refresh_from_db()
    assert net.anna.email == "anna@example.nl"


def test_a_login_that_holds_the_address_is_refused_the_same_way(net, api, django_user_model):
    django_user_model.objects.create_user("taken@example.nl", "taken@example.nl", PASSWORD)
    response = api("anna").patch(
        ME, {"email": "taken@example.nl", "current_password": PASSWORD}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_unavailable"
    net.anna.refresh_from_db()
    assert (net.anna.email, net.anna.user.username) == ("anna@example.nl", "anna@example.nl")


def test_the_schema_documents_the_patch(net):
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/me/"]["patch"]
    assert operation["operationId"] == "me_partial_update"
    assert set(schema["components"]["schemas"]["PatchedMeUpdateRequest"]["properties"]) == {
        "first_name",
        "last_name",
        "email",
        "phone",
        "current_password",
    }


NEEDS_PASSWORD = "Enter your current password to change your e-mail address."
WRONG_PASSWORD = "Your current password is not correct."


def test_a_new_email_address_needs_my_current_password(net, api):
    """A stolen access token alone must not move the login (and its password reset) elsewhere."""
    anna = api("anna")
    missing = anna.patch(ME, {"email": "thief@example.nl"}, format="json")
    wrong = anna.patch(ME, {"email": "thief@example.nl", "current_password": "guess"}, format="json")
    assert (missing.status_code, missing.json()["error"]["fields"]) == (
        400,
        {"current_password": [NEEDS_PASSWORD]},
    )
    assert (wrong.status_code, wrong.json()["error"]["fields"]) == (
        400,
        {"current_password": [WRONG_PASSWORD]},
    )
    net.anna.refresh_from_db()
    net.anna.user.refresh_from_db()
    assert (net.anna.email, net.anna.user.username) == ("anna@example.nl", "anna@example.nl")
    # The same address (any case) and other fields need no password.
    same = anna.patch(ME, {"email": "ANNA@example.nl", "phone": "06 22"}, format="json")
    assert same.status_code == 200


def test_wrong_passwords_for_a_new_address_count_as_failed_logins(net, api, settings):
    from axes.models import AccessAttempt

    anna = api("anna")
    answers = [
        anna.patch(ME, {"email": "thief@example.nl", "current_password": "guess"}, format="json").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert answers == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429, 429]
    assert (
        AccessAttempt.objects.get(username="anna@example.nl").failures_since_start
        == settings.AXES_FAILURE_LIMIT
    )
    locked = anna.patch(ME, {"email": "thief@example.nl", "current_password": PASSWORD}, format="json")
    assert locked.json()["error"]["code"] == "locked_out"
    net.anna.refresh_from_db()
    assert net.anna.email == "anna@example.nl"


def test_the_service_refuses_a_self_service_address_change_without_the_password_check(net):
    from core.errors import ApplicationError
    from distributors.services.profile import distributor_update_profile

    with pytest.raises(ApplicationError, match=NEEDS_PASSWORD) as refused:
        distributor_update_profile(distributor=net.anna, actor=net.anna.user, email="thief@example.nl")
    assert refused.value.field == "current_password"


def test_a_new_address_revokes_my_tokens_and_tells_the_old_address(
    net, api, django_capture_on_commit_callbacks, settings
):
    from django.core import mail
    from django.utils import translation
    from django.utils.translation import gettext

    settings.PUBLIC_URL = "https://backoffice.example.nl/"
    pair = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "anna@example.nl", "password": PASSWORD}, format="json")
        .json()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api("anna").patch(
            ME, {"email": "anna.nieuw@example.nl", "current_password": PASSWORD}, format="json"
        )
    assert response.status_code == 200
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert refresh.status_code == 401
    [notice] = mail.outbox
    with translation.override("nl"):  # anna's market reads Dutch
        subject = gettext("The e-mail address of your login was changed")
    assert (notice.to, notice.subject) == (["anna@example.nl"], subject)
    assert "anna@example.nl" in notice.body
    assert "anna.nieuw@example.nl" not in notice.body  # the old address learns nothing of the new one


def test_names_and_phone_revoke_nothing_and_mail_nothing(net, api, django_capture_on_commit_callbacks):
    from django.core import mail

    pair = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "anna@example.nl", "password": PASSWORD}, format="json")
        .json()
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert api("anna").patch(ME, {"phone": "06 33"}, format="json").status_code == 200
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert (refresh.status_code, callbacks, mail.outbox) == (200, [], [])
