"""Who gets in where: `/`, the portal's sign-in, the admin for a distributor."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.portal.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_root_sends_anonymous_visitors_to_the_portal_sign_in(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/portal/login/")


def test_root_sends_a_distributor_to_the_dashboard_and_staff_to_the_admin(portal, admin_client):
    assert portal("anna").get("/")["Location"] == "/portal/"
    assert admin_client.get("/")["Location"] == "/admin/"


def test_a_distributor_signs_in_with_the_right_password(net):
    client = Client()
    response = client.post("/portal/login/", {"username": net.anna.user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_a_wrong_password_is_a_form_error(net):
    response = Client().post("/portal/login/", {"username": net.anna.user.username, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_staff_without_a_profile_is_sent_to_the_admin_from_the_portal_login(db):
    get_user_model().objects.create_user("clerk", password=PASSWORD, is_staff=True)
    response = Client().post("/portal/login/", {"username": "clerk", "password": PASSWORD})
    assert "admin" in str(response.context["form"].errors)


def test_a_distributor_at_the_admin_login_is_told_where_to_go(net):
    response = Client().post(
        "/admin/login/", {"username": net.anna.user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "/portal/login/" in str(response.context["form"].errors), response.context["form"].errors


def test_a_signed_in_distributor_opening_the_admin_goes_back_to_the_portal(portal):
    response = portal("anna").get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"


def test_staff_opening_the_portal_go_to_the_admin(admin_client):
    assert admin_client.get("/portal/")["Location"] == "/admin/"


def test_a_username_longer_than_a_username_is_a_form_error(db):
    response = Client().post("/portal/login/", {"username": "x" * 300, "password": "x"})
    assert response.status_code == 200 and response.context["form"].errors


def test_sign_out_is_post_only(portal):
    client = portal("anna")
    assert client.get("/portal/logout/").status_code == 405
    assert client.post("/portal/logout/").status_code == 302
    assert client.get("/portal/")["Location"].startswith("/portal/login/")


def test_a_locked_out_sign_in_gets_the_portals_page_in_the_readers_language(net, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    wrong = {"username": net.anna.user.username, "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/portal/login/", wrong)
    response = client.post("/portal/login/", {"username": net.anna.user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "portal/locked_out.html" in [template.name for template in response.templates]
    assert '<html lang="nl">' in response.content.decode()


def test_the_api_keeps_its_json_answer_when_locked_out(net, settings):
    client = Client()
    wrong = {"username": net.anna.user.username, "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/api/v1/auth/token/", wrong, content_type="application/json")
    assert response.status_code == 429
    assert response.json()["error"]["code"]
