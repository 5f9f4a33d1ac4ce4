"""Support sees what the distributor sees (issue 19, part 6): staff with the Support role open the
portal as a distributor (django-hijack), read-only unless they hold Support lead; a banner on every
page; every session audited from start to end, refused writes included."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from core.models import AuditEntry
from portal.roles import SUPPORT, SUPPORT_LEAD

pytestmark = pytest.mark.django_db

ACQUIRE, RELEASE = "/support/acquire/", "/support/release/"


def _staff(username: str, *groups: str) -> Client:
    user = get_user_model().objects.create_user(username, f"{username}@example.nl", "x", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    client = Client()
    client.force_login(user)
    return client


def _profile(distributor, **changes):
    return {
        "first_name": distributor.first_name,
        "last_name": distributor.last_name,
        "email": distributor.email,
        "phone": distributor.phone,
        **changes,
    }


def _entries(action: str):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_the_roles_exist_after_migrate_with_their_permissions():
    support, lead = Group.objects.get(name=SUPPORT), Group.objects.get(name=SUPPORT_LEAD)
    granted = support.permissions.select_related("content_type")
    names = {f"{p.content_type.app_label}.{p.codename}" for p in granted}
    assert {"distributors.view_portal_as", "orders.view_order", "commissions.view_statement"} <= names
    assert "distributors.act_in_portal_as" not in names
    assert not any(name.split(".")[1].startswith(("change_", "add_", "delete_")) for name in names)
    assert lead.permissions.filter(codename="act_in_portal_as").exists()


def test_staff_without_the_role_cannot_open_a_portal(net):
    client = _staff("clerk")
    response = client.post(ACQUIRE, {"user_pk": net.anna.user_id, "next": "/portal/"})
    assert response.status_code == 403
    assert client.get("/portal/").status_code == 302  # still staff: sent to the admin
    assert not _entries("support.session_started")


def test_support_never_impersonates_staff(net):
    client = _staff("helen", SUPPORT)
    assert client.post(ACQUIRE, {"user_pk": net.admin.pk}).status_code == 403
    other = get_user_model().objects.create_user("colleague", "c@example.nl", "x", is_staff=True)
    assert client.post(ACQUIRE, {"user_pk": other.pk}).status_code == 403


def test_a_support_session_is_read_only_with_a_banner_and_audited(net):
    client = _staff("helen", SUPPORT)
    response = client.post(ACQUIRE, {"user_pk": net.anna.user_id, "next": "/portal/"})
    assert response.status_code == 302 and response["Location"] == "/portal/"

    page = client.get("/portal/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "support-banner" in body and net.anna.name in body and "Read-only" in body
    (started,) = _entries("support.session_started")
    assert started.actor.username == "helen" and started.target_id == str(net.anna.pk)
    assert started.data == {"read_only": True}

    phone = net.anna.phone
    refused = client.post("/portal/me/", _profile(net.anna, phone="06 99"))
    assert refused.status_code == 403
    assert "read-only support session" in refused.content.decode()
    net.anna.refresh_from_db()
    assert net.anna.phone == phone
    (entry,) = _entries("support.write_refused")
    assert entry.actor.username == "helen" and entry.data == {"method": "POST", "path": "/portal/me/"}

    # Choosing the language is no write to the distributor's records.
    assert client.post("/i18n/setlang/", {"language": "nl", "next": "/portal/"}).status_code == 302

    admin_page = f"/admin/distributors/distributor/{net.anna.pk}/change/"
    released = client.post(RELEASE, {"next": admin_page})
    assert released.status_code == 302 and released["Location"] == admin_page
    (ended,) = _entries("support.session_ended")
    assert ended.actor.username == "helen" and ended.data["how"] == "released"
    assert ended.data["read_only"] is True and ended.data["pages"] == ["/portal/"]
    # Back as themselves: the portal sends staff to the admin.
    assert client.get("/portal/").status_code == 302


def test_a_support_lead_acts_for_the_distributor(net):
    client = _staff("lena", SUPPORT_LEAD)
    client.post(ACQUIRE, {"user_pk": net.anna.user_id, "next": "/portal/"})
    assert "Everything you do is done for the distributor" in client.get("/portal/").content.decode()
    response = client.post("/portal/me/", _profile(net.anna, phone="06 12 34 56 78"))
    assert response.status_code == 302
    net.anna.refresh_from_db()
    assert net.anna.phone == "06 12 34 56 78"
    assert _entries("support.session_started")[0].data == {"read_only": False}
    assert not _entries("support.write_refused")


def test_signing_out_ends_the_session_in_the_audit(net):
    client = _staff("helen", SUPPORT)
    client.post(ACQUIRE, {"user_pk": net.anna.user_id})
    assert client.post("/portal/logout/").status_code == 302
    (ended,) = _entries("support.session_ended")
    assert ended.data["how"] == "signed out" and ended.actor.username == "helen"


def test_the_admin_offers_the_portal_only_to_support(net):
    change = f"/admin/distributors/distributor/{net.anna.pk}/change/"
    support = _staff("helen", SUPPORT)
    assert "Open the portal as this distributor" in support.get(change).content.decode()
    superuser = Client()
    superuser.force_login(net.admin)
    assert "Open the portal as this distributor" in superuser.get(change).content.decode()
    clerk = _staff("clerk")
    get_user_model().objects.get(username="clerk").user_permissions.add(
        Permission.objects.get(codename="view_distributor")
    )
    assert "Open the portal as this distributor" not in clerk.get(change).content.decode()
