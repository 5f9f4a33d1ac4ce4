"""Portal: My data. Contact data through distributor_update_profile (an e-mail change needs the
current password, as PATCH /api/v1/me/ does), the GDPR export, and an erasure request that staff
see in the admin."""

from __future__ import annotations

import json

import pytest

from core.models import AuditEntry
from distributors.models import ErasureRequest, ErasureRequestStatus

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

ME = "/portal/me/"


def _data(distributor, **changes):
    return {
        "first_name": distributor.first_name,
        "last_name": distributor.last_name,
        "email": distributor.email,
        "phone": distributor.phone,
        **changes,
    }


def test_the_page_shows_my_data(portal, net):
    response = portal("anna").get(ME)
    assert response.status_code == 200
    body = response.content.decode()
    for text in (net.anna.email, net.anna.referral_code, "/portal/password/", "/portal/me/personal-data/"):
        assert text in body, text


def test_i_change_my_names_and_phone_without_a_password(portal, net):
    response = portal("anna").post(ME, _data(net.anna, first_name=" Anne ", phone="06 11"))
    assert response.status_code == 302 and response["Location"] == ME
    net.anna.refresh_from_db()
    assert (net.anna.first_name, net.anna.phone) == ("Anne", "06 11")
    entry = AuditEntry.objects.get(action="distributor.update_profile")
    assert (entry.actor, entry.data) == (net.anna.user, {"fields": ["first_name", "phone"]})


def test_a_new_email_without_the_current_password_is_a_field_error(portal, net):
    response = portal("anna").post(ME, _data(net.anna, email="anna.nieuw@example.nl", first_name="Typed"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "current password" in str(form.errors["current_password"])
    assert form["first_name"].value() == "Typed"  # nothing typed is lost
    net.anna.refresh_from_db()
    assert (net.anna.email, net.anna.first_name) == ("anna@example.nl", "Anna")


def test_a_new_email_with_a_wrong_password_is_a_field_error(portal, net):
    response = portal("anna").post(
        ME, _data(net.anna, email="anna.nieuw@example.nl", current_password="nope")
    )
    assert response.status_code == 400
    assert "not correct" in str(response.context["form"].errors["current_password"])
    net.anna.refresh_from_db()
    assert net.anna.email == "anna@example.nl"


def test_a_new_email_with_the_password_is_my_login_from_now_on(portal, net):
    response = portal("anna").post(
        ME, _data(net.anna, email="Anna.Nieuw@Example.NL", current_password=PASSWORD)
    )
    assert response.status_code == 302
    net.anna.refresh_from_db()
    net.anna.user.refresh_from_db()
    assert (net.anna.email, net.anna.user.username) == ("anna.nieuw@example.nl", "anna.nieuw@example.nl")


def test_an_address_of_someone_else_is_refused_on_the_field(portal, net):
    response = portal("anna").post(ME, _data(net.anna, email=net.bert.email, current_password=PASSWORD))
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    net.anna.refresh_from_db()
    assert net.anna.email == "anna@example.nl"


def test_a_bad_email_is_a_field_error(portal, net):
    response = portal("anna").post(ME, _data(net.anna, email="not-an-address", first_name=""))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "first_name"}


def test_the_export_is_a_download_of_my_own_data(portal, net):
    response = portal("anna").get("/portal/me/personal-data/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert (
        response["Content-Disposition"] == f'attachment; filename="personal-data-{net.anna.external_id}.json"'
    )
    data = json.loads(response.content)
    assert data["format"] == "backoffice.personal-data.v1"
    assert data["profile"]["email"] == net.anna.email
    assert {c["email"] for c in data["customers"]} == {"carla.anna@example.nl", "gijs.anna@example.nl"}


def test_an_erasure_request_needs_the_box_ticked(portal, net):
    response = portal("anna").post("/portal/me/erasure/", {})
    assert response.status_code == 400
    assert response.context["erasure_form"].errors["confirm"]
    assert not ErasureRequest.objects.exists()


def test_an_erasure_request_is_recorded_audited_shown_and_seen_by_staff(portal, net, admin_client):
    client = portal("anna")
    response = client.post("/portal/me/erasure/", {"confirm": "on"})
    assert response.status_code == 302
    erasure = ErasureRequest.objects.get()
    assert (erasure.distributor, erasure.status) == (net.anna, ErasureRequestStatus.PENDING)
    entry = AuditEntry.objects.get(action="distributor.erasure_request")
    assert (entry.actor, entry.target_id, entry.data) == (
        net.anna.user,
        str(erasure.pk),
        {"distributor": net.anna.pk},
    )
    page = client.get(ME)
    assert page.context["pending_erasure"] == erasure
    assert "handling your request" in page.content.decode()
    # A second request while one waits is refused on the form, nothing written.
    again = client.post("/portal/me/erasure/", {"confirm": "on"})
    assert again.status_code == 400 and again.context["erasure_form"].errors["confirm"]
    assert ErasureRequest.objects.count() == 1
    # Staff see it in the admin and close it.
    changelist = admin_client.get("/admin/distributors/erasurerequest/")
    assert changelist.status_code == 200
    assert net.anna.external_id in changelist.content.decode()
    admin_client.post(
        "/admin/distributors/erasurerequest/",
        {"action": "decline_action", "_selected_action": [erasure.pk], "apply": "1", "reason": "Open orders"},
    )
    erasure.refresh_from_db()
    assert (erasure.status, erasure.note) == (ErasureRequestStatus.DECLINED, "Open orders")
    assert "Open orders" in client.get(ME).content.decode()


def test_pages_of_my_data_are_for_signed_in_distributors_only(client):
    for url in (ME, "/portal/me/personal-data/"):
        assert client.get(url)["Location"].startswith("/portal/login/")
    assert client.post("/portal/me/erasure/", {"confirm": "on"})["Location"].startswith("/portal/login/")


def test_the_page_reads_a_fixed_number_of_queries(portal, django_assert_max_num_queries):
    client = portal("anna")
    client.get(ME)
    with django_assert_max_num_queries(8):
        assert client.get(ME).status_code == 200


def test_the_service_decides_when_the_password_is_needed(portal, net, monkeypatch):
    """The view checks a password that is given and tells the service; the rule (a new address
    needs it) is the service's, whose refusal becomes the field's error."""
    from distributors.services import profile

    calls = []
    original = profile.distributor_update_profile

    def spy(**kwargs):
        calls.append(kwargs["password_checked"])
        return original(**kwargs)

    monkeypatch.setattr(profile, "distributor_update_profile", spy)
    client = portal("anna")
    response = client.post(ME, _data(net.anna, email="anna.nieuw@example.nl"))
    assert response.status_code == 400 and calls == [False]
    assert "current password" in str(response.context["form"].errors["current_password"])
    # A password given with other changes only is checked too, and saved with them.
    response = client.post(ME, _data(net.anna, phone="06 22", current_password=PASSWORD))
    assert response.status_code == 302 and calls == [False, True]
    net.anna.refresh_from_db()
    assert (net.anna.email, net.anna.phone) == ("anna@example.nl", "06 22")
