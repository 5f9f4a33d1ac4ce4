import pytest
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from core.services import audit_record

pytestmark = pytest.mark.django_db


def test_an_audit_entry_records_who_what_and_why(admin_user):
    entry = audit_record(
        actor=admin_user, action="test.act", target=admin_user, reason="because", data={"a": 1}
    )
    entry.refresh_from_db()
    assert (entry.actor, entry.action, entry.reason, entry.data) == (
        admin_user,
        "test.act",
        "because",
        {"a": 1},
    )
    assert entry.target_type == "auth.user" and entry.target_id == str(admin_user.pk)


def test_the_database_refuses_to_change_or_delete_an_audit_entry(admin_user):
    entry = audit_record(actor=admin_user, action="test.act", target=admin_user, reason="because")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.reason == "because"


def test_the_health_check_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_erasure_may_pseudonymise_the_name_of_earlier_entries_and_nothing_else(admin_user):
    from core.services import audit_pseudonymise_target

    entry = audit_record(actor=admin_user, action="test.act", target=admin_user, reason="because")
    with transaction.atomic():
        assert audit_pseudonymise_target(target=admin_user, new_repr="Erased #1") == 1
        # The exception ends with the pseudonymisation: the same transaction cannot rewrite more.
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(target_repr="Someone else")
    entry.refresh_from_db()
    assert (entry.target_repr, entry.reason, entry.action) == ("Erased #1", "because", "test.act")


def test_the_erasure_setting_does_not_let_other_columns_change(admin_user):
    from django.db import connection

    entry = audit_record(actor=admin_user, action="test.act", target=admin_user, reason="because")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL backoffice.audit_erasure = 'on'")
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten", target_repr="x")
    entry.refresh_from_db()
    assert entry.reason == "because"
