"""Audit entries stay immutable, with one exception for erasure (GDPR): while the transaction-local
setting `backoffice.audit_erasure` is on, the name shown for a target (`target_repr`) may be
pseudonymised, and nothing else about the entry may change (core.services.audit_pseudonymise_target).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION core_audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('backoffice.audit_erasure', true) = 'on'
       AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.action = OLD.action
       AND NEW.target_type = OLD.target_type AND NEW.target_id = OLD.target_id
       AND NEW.reason = OLD.reason AND NEW.data = OLD.data THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are immutable (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION core_audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are immutable (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_idempotency_key")]
    operations = [migrations.RunPython(forwards, backwards)]
