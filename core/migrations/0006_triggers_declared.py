"""The audit trail's trigger is declared beside its model (core.models.AuditEntry, django-pgtrigger):
the raw one of 0002 (its function redefined by 0004) goes, `pgtrigger_core_audit_entry_immutable_*`
does the same. PostgreSQL only; backwards, the raw trigger and function come back as 0004 left them.
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

DROP = """
DROP TRIGGER IF EXISTS core_audit_entry_immutable ON core_auditentry;
DROP FUNCTION IF EXISTS core_audit_entry_immutable();
"""

PREVIOUS = """
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
CREATE TRIGGER core_audit_entry_immutable BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_audit_entry_immutable();
"""


def drop_raw_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def recreate_raw_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_verbose_names'),
    ]

    operations = [
        migrations.RunPython(drop_raw_trigger, recreate_raw_trigger),
        pgtrigger.migrations.AddTrigger(
            model_name='auditentry',
            trigger=pgtrigger.compiler.Trigger(name='core_audit_entry_immutable', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n                IF TG_OP = 'UPDATE' AND current_setting('backoffice.audit_erasure', true) = 'on'\n                   AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at\n                   AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.action = OLD.action\n                   AND NEW.target_type = OLD.target_type AND NEW.target_id = OLD.target_id\n                   AND NEW.reason = OLD.reason AND NEW.data = OLD.data THEN\n                    RETURN NEW;\n                END IF;\n                RAISE EXCEPTION 'audit entries are immutable (% refused)', TG_OP\n                    USING ERRCODE = 'integrity_constraint_violation';\n                ", hash='778f5dc9a6355e9f487591fe5d97e653de8ae101', operation='UPDATE OR DELETE', pgid='pgtrigger_core_audit_entry_immutable_e5b3f', table='core_auditentry', when='BEFORE')),
        ),
    ]
