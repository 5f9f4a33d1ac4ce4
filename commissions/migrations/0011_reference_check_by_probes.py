"""The per-statement distributor reference check probes the distributors' primary key once per
distinct id (`id = ANY(array)`), whatever plan the anti-join would get.

The check of 0008 was a NOT EXISTS anti-join of the statement's rows with the distributors. For a
close chunk (25,000 rows of distributors with nearby ids) the planner chose a merge anti-join,
which reads the primary key index from its first entry up to the chunk's highest id: half a
million index entries and heap fetches for a chunk in the middle of a million distributors, and
all of them for the last one, for each of the three tables (0.66 s against 0.08 s for the ledger
lines of one chunk). Counting the distinct ids found by probes cannot take that path; the row
that is missing is looked for only when the count says one is.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION commissions_refuse_unknown_distributor_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    found bigint;
    missing bigint;
BEGIN
    IF TG_TABLE_NAME = 'commissions_ledgerline' THEN
        SELECT array_agg(DISTINCT x) INTO ids FROM (
            SELECT distributor_id AS x FROM new_rows
            UNION ALL SELECT source_id FROM new_rows WHERE source_id IS NOT NULL
        ) AS referenced;
    ELSE
        SELECT array_agg(DISTINCT distributor_id) INTO ids FROM new_rows;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO found FROM distributors_distributor WHERE id = ANY(ids);
    IF found < cardinality(ids) THEN
        SELECT x INTO missing FROM unnest(ids) AS x
        WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = x) LIMIT 1;
        RAISE EXCEPTION 'insert or update on table "%" refers to distributor %, which does not exist',
            TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""

BACKWARD = r"""
CREATE OR REPLACE FUNCTION commissions_refuse_unknown_distributor_set() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n.distributor_id INTO missing FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = n.distributor_id) LIMIT 1;
    IF missing IS NULL AND TG_TABLE_NAME = 'commissions_ledgerline' THEN
        SELECT n.source_id INTO missing FROM new_rows n WHERE n.source_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM distributors_distributor d WHERE d.id = n.source_id) LIMIT 1;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" refers to distributor %, which does not exist',
            TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def _run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # A plain cursor: the function's RAISE message contains '%', which must not be a parameter.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("commissions", "0010_chunk_ranks_written")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
