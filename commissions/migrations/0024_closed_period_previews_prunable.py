"""A closed period's old previews can be pruned (commissions.previews, PREVIEW_RUNS_KEPT_CLOSED).

The closed-period trigger (0004) refused every write to a closed period's results, ledger lines and
statements, so the previews of a month stayed for ever once it closed: millions of rows a month on a
large network, and storage grew with every close. It now lets a DELETE through when every deleted
row belongs to a preview run. Inserts and updates of a closed period are refused as before, and a
final close's rows stay protected by the append-only rules (0019, 0023), whatever the period.

PostgreSQL only: the SQLite demo has none of these triggers and relies on the services.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION commissions_refuse_closed_period_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id
        WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF bad IS NULL AND TG_OP = 'UPDATE' THEN
        SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id
        WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF bad IS NULL AND TG_OP = 'DELETE' THEN
        SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id
        LEFT JOIN commissions_closerun r ON r.id = o.run_id
        WHERE p.status = 'closed' AND r.kind IS DISTINCT FROM 'preview' LIMIT 1;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
"""

# 0004's version, for a migration backwards.
PREVIOUS = r"""
CREATE OR REPLACE FUNCTION commissions_refuse_closed_period_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT p.id INTO bad FROM new_rows n JOIN commissions_period p ON p.id = n.period_id
        WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF bad IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT p.id INTO bad FROM old_rows o JOIN commissions_period p ON p.id = o.period_id
        WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '% of a closed period cannot be written (period id %)', TG_TABLE_NAME, bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the function's RAISE message contains '%', which must not be a parameter.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("commissions", "0023_discard_a_final_run")]

    operations = [migrations.RunPython(forward, backward)]
