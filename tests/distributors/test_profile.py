"""Changing a distributor's contact data: the enrollment checks, staff only, and an audit entry."""

import pytest
from django.urls import reverse

from core.errors import ApplicationError, Conflict, PermissionDenied
from core.models import AuditEntry
from distributors.models import Distributor
from distributors.services.profile import distributor_update_profile


def test_staff_change_contact_data_and_the_trail_names_the_fields_not_the_values(network, staff):
    dirk = distributor_update_profile(
        distributor=network["dirk"], actor=staff, last_name="  Visser-Smit ", country="be", phone="06 1"
    )
    assert (dirk.last_name, dirk.country, dirk.phone) == ("Visser-Smit", "BE", "06 1")
    entry = AuditEntry.objects.get(action="distributor.update_profile")
    assert (entry.actor, entry.data) == (staff, {"fields": ["last_name", "country", "phone"]})
    assert "Visser" not in str(entry.data)


def test_the_enrollment_checks_apply_and_nothing_is_written_on_refusal(network, staff):
    dirk = network["dirk"]
    with pytest.raises(Conflict, match="Another distributor has this email address"):
        distributor_update_profile(distributor=dirk, actor=staff, email=network["anna"].email.upper())
    with pytest.raises(ApplicationError, match="two-letter ISO code"):
        distributor_update_profile(distributor=dirk, actor=staff, country="Nederland")
    with pytest.raises(ApplicationError, match="cannot be changed here: sponsor"):
        distributor_update_profile(distributor=dirk, actor=staff, sponsor=network["eva"])
    with pytest.raises(PermissionDenied):
        distributor_update_profile(distributor=dirk, actor=None, first_name="X")
    assert Distributor.objects.get(pk=dirk.pk).email == dirk.email
    assert not AuditEntry.objects.filter(action="distributor.update_profile").exists()


def test_saving_the_admin_change_form_goes_through_the_service(admin_client, network):
    dirk = network["dirk"]
    response = admin_client.post(
        reverse("admin:distributors_distributor_change", args=[dirk.pk]),
        {
            "first_name": "Dirk",
            "last_name": "Visser-Smit",
            "email": dirk.email,
            "phone": "",
            "country": "NL",
            "external_id": dirk.external_id,
            "user": "",
            "sponsor_changes-TOTAL_FORMS": "0",
            "sponsor_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="distributor.update_profile")
    assert entry.target_id == str(dirk.pk) and entry.data == {"fields": ["last_name"]}
