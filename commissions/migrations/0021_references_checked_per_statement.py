"""The two references to the close's rows, checked once per statement instead of by FOREIGN KEYs.

Pruning a preview (commissions.previews) deletes its ledger lines and statements: millions at 1M
distributors, and the foreign keys `LedgerLine.reversed_line` and `Payout.statement` ran their
referential check once for every deleted row (~40 µs each: 10 s for 226,000 lines, against 0.4 s
for the as many results, which nothing references). As 0008 does for the distributor, statement-
level triggers check the same rules at once over the statement's rows (transition tables):

- a ledger line's `reversed_line` exists (insert, update), and a line that another reverses cannot
  be deleted;
- a payout's statement exists (insert, update), and a paid statement cannot be deleted.

No race is left open by checking after the fact: the rows referenced are a final close's (a
clawback reverses a final line, a payout pays a final statement), which the append-only and
closed-period triggers never let anyone delete.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = r"""
CREATE OR REPLACE FUNCTION commissions_refuse_unknown_reversed_line_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n.reversed_line_id INTO missing FROM new_rows n WHERE n.reversed_line_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM commissions_ledgerline l WHERE l.id = n.reversed_line_id) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "commissions_ledgerline" refers to ledger line %, which does not exist',
            missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_deleting_reversed_line_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept bigint;
BEGIN
    SELECT l.reversed_line_id INTO kept FROM commissions_ledgerline l JOIN old_rows o ON o.id = l.reversed_line_id
    WHERE l.reversed_line_id IS NOT NULL LIMIT 1;
    IF kept IS NOT NULL THEN
        RAISE EXCEPTION 'ledger line % is reversed by another line and cannot be deleted', kept
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_unknown_statement_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n.statement_id INTO missing FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM commissions_statement s WHERE s.id = n.statement_id) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "commissions_payout" refers to statement %, which does not exist',
            missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION commissions_refuse_deleting_paid_statement_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept bigint;
BEGIN
    SELECT p.statement_id INTO kept FROM commissions_payout p JOIN old_rows o ON o.id = p.statement_id LIMIT 1;
    IF kept IS NOT NULL THEN
        RAISE EXCEPTION 'statement % is paid and cannot be deleted', kept
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledgerline_reversed_line_insert AFTER INSERT ON commissions_ledgerline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_refuse_unknown_reversed_line_set();
CREATE TRIGGER ledgerline_reversed_line_update AFTER UPDATE ON commissions_ledgerline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_refuse_unknown_reversed_line_set();
CREATE TRIGGER ledgerline_reversed_line_delete AFTER DELETE ON commissions_ledgerline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_refuse_deleting_reversed_line_set();
CREATE TRIGGER payout_statement_insert AFTER INSERT ON commissions_payout
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_refuse_unknown_statement_set();
CREATE TRIGGER payout_statement_update AFTER UPDATE ON commissions_payout
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_refuse_unknown_statement_set();
CREATE TRIGGER statement_paid_delete AFTER DELETE ON commissions_statement
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_refuse_deleting_paid_statement_set();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS statement_paid_delete ON commissions_statement;
DROP TRIGGER IF EXISTS payout_statement_update ON commissions_payout;
DROP TRIGGER IF EXISTS payout_statement_insert ON commissions_payout;
DROP TRIGGER IF EXISTS ledgerline_reversed_line_delete ON commissions_ledgerline;
DROP TRIGGER IF EXISTS ledgerline_reversed_line_update ON commissions_ledgerline;
DROP TRIGGER IF EXISTS ledgerline_reversed_line_insert ON commissions_ledgerline;
DROP FUNCTION IF EXISTS commissions_refuse_deleting_paid_statement_set();
DROP FUNCTION IF EXISTS commissions_refuse_unknown_statement_set();
DROP FUNCTION IF EXISTS commissions_refuse_deleting_reversed_line_set();
DROP FUNCTION IF EXISTS commissions_refuse_unknown_reversed_line_set();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the functions' RAISE messages contain '%', which must not be parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0020_leg_summary"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerline",
            name="reversed_line",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversals",
                to="commissions.ledgerline",
                verbose_name="reversed line",
            ),
        ),
        migrations.AlterField(
            model_name="payout",
            name="statement",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payout_record",
                to="commissions.statement",
                verbose_name="statement",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
