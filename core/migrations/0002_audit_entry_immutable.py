"""Audit entries are append-only: PostgreSQL refuses UPDATE and DELETE on them."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION core_audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are immutable (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_audit_entry_immutable ON core_auditentry;
CREATE TRIGGER core_audit_entry_immutable BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_audit_entry_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS core_audit_entry_immutable ON core_auditentry;
DROP FUNCTION IF EXISTS core_audit_entry_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
