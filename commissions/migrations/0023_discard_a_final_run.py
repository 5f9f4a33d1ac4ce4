"""A final close's rows can be deleted only once the run is discarded (commissions.close.discard).

An operator discards a final close that cannot finish: the service marks the run `discarded`, then
deletes its ledger lines, statements and results in the same transaction. The ledger's append-only
trigger (0019) refused every DELETE of a final close's lines; it now lets one through when every
deleted line belongs to a preview run or to a discarded run, and refuses everything else with the
same message as before.

Statements and results had no such rule: only their period's being closed protected them (0004).
They get the same one, once per statement (transition tables) like the ledger's, so that no path
but the discard deletes the rows of a final close in progress either. Their triggers' names sort
after `*_frozen_delete`: a closed period's rows are still refused with the closed-period message
first. A discarded run of a closed period cannot happen (a succeeded run is never discarded) and
would still be refused by those triggers.

PostgreSQL only: the SQLite demo has none of these triggers and relies on the services.
"""

from django.db import migrations

# table: what the message calls one of its rows
TABLES = {
    "commissions_statement": "statement",
    "commissions_distributorperiod": "result",
}

FORWARD = r"""
CREATE OR REPLACE FUNCTION commissions_ledger_delete_only_previews() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id
    WHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger lines are append-only: line % of a final close cannot be deleted', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

-- TG_ARGV[0]: what the message calls a row of the table.
CREATE OR REPLACE FUNCTION commissions_close_rows_delete_only_previews() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT o.id INTO bad FROM old_rows o LEFT JOIN commissions_closerun r ON r.id = o.run_id
    WHERE r.kind IS DISTINCT FROM 'preview' AND r.status IS DISTINCT FROM 'discarded' LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '% % of a final close cannot be deleted unless its run is discarded', TG_ARGV[0], bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
"""

BACKWARD = r"""
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
"""


def _triggers() -> str:
    return "".join(
        f"CREATE TRIGGER {table.split('_', 1)[1]}_run_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION commissions_close_rows_delete_only_previews('{noun}');\n"
        for table, noun in TABLES.items()
    )


def _drop_triggers() -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS {table.split('_', 1)[1]}_run_delete ON {table};\n" for table in TABLES
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the functions' RAISE messages contain '%', which must not be parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD + _triggers())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                _drop_triggers()
                + "DROP FUNCTION IF EXISTS commissions_close_rows_delete_only_previews();\n"
                + BACKWARD
            )


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0022_close_recovery"),
    ]

    operations = [migrations.RunPython(forward, backward)]
