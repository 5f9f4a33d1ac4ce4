"""Deleting a preview's ledger lines: checked once per statement, not once per row.

The scheduled previews (commissions.previews) prune old preview runs: millions of ledger lines at
1M distributors, and the per-row BEFORE DELETE trigger of 0003 ran a query for each of them. The
rule is the same: an UPDATE of a ledger line is refused (per row, as before: nothing updates them),
and a DELETE is refused unless every deleted line belongs to a preview run; now an AFTER DELETE
... FOR EACH STATEMENT trigger checks the deleted lines at once (transition table), as 0004 does
for closed periods. Its name sorts before `ledgerline_frozen_delete`, so a final close's lines
are refused with the append-only message first.
"""

from django.db import migrations

FORWARD = r"""
DROP TRIGGER IF EXISTS ledgerline_append_only ON commissions_ledgerline;
CREATE TRIGGER ledgerline_append_only BEFORE UPDATE ON commissions_ledgerline
    FOR EACH ROW EXECUTE FUNCTION commissions_ledger_append_only();

CREATE OR REPLACE FUNCTION commissions_ledger_delete_only_previews() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id
    WHERE r.kind IS DISTINCT FROM 'preview' LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger lines are append-only: line % of a final close cannot be deleted', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledgerline_append_only_delete AFTER DELETE ON commissions_ledgerline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_ledger_delete_only_previews();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledgerline_append_only_delete ON commissions_ledgerline;
DROP FUNCTION IF EXISTS commissions_ledger_delete_only_previews();
DROP TRIGGER IF EXISTS ledgerline_append_only ON commissions_ledgerline;
CREATE TRIGGER ledgerline_append_only BEFORE UPDATE OR DELETE ON commissions_ledgerline
    FOR EACH ROW EXECUTE FUNCTION commissions_ledger_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the function's RAISE message contains '%', which must not be a parameter.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0018_verbose_names"),
    ]

    operations = [migrations.RunPython(forward, backward)]
