"""Two B-tree indexes per close table instead of three (see the note above DistributorPeriod).

The unique keys lead with the distributor and take over the reads by distributor from the
distributor index, which goes; a run's rows are found through a BRIN index on run_id. A ledger
line's key is compared bytewise ("C" collation): it is a machine key, and the database's default
collation made every comparison in the unique index a locale comparison.

On an existing installation this builds the three unique indexes again: minutes for tens of
millions of rows, during which the close tables are locked.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("commissions_distributorperiod", "commissions_ledgerline", "commissions_statement")


def run_indexes(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for table in TABLES:
        using = "USING brin " if postgres else ""
        schema_editor.execute(f"CREATE INDEX {table}_run_idx ON {table} {using}(run_id)")


def drop_run_indexes(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX {table}_run_idx")


def bytewise_keys(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE commissions_ledgerline ALTER COLUMN key TYPE varchar(120) COLLATE "C"')


def default_collation_keys(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE commissions_ledgerline ALTER COLUMN key TYPE varchar(120) COLLATE "default"'
        )


def distributor_field():
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="distributors.distributor",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0013_chunk_payload_lz4"),
        ("distributors", "0004_distributor_fillfactor"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="distributorperiod", name="distributorperiod_unique_per_run"),
        migrations.RemoveConstraint(model_name="ledgerline", name="ledgerline_unique_key_per_run"),
        migrations.RemoveConstraint(model_name="statement", name="statement_unique_per_run"),
        migrations.AlterField(model_name="distributorperiod", name="distributor", field=distributor_field()),
        migrations.AlterField(model_name="ledgerline", name="distributor", field=distributor_field()),
        migrations.AlterField(model_name="statement", name="distributor", field=distributor_field()),
        # Before the unique key on it is built again, so that it is built once.
        migrations.RunPython(bytewise_keys, default_collation_keys),
        migrations.AddConstraint(
            model_name="distributorperiod",
            constraint=models.UniqueConstraint(fields=("distributor", "run"), name="distributorperiod_unique_per_run"),
        ),
        migrations.AddConstraint(
            model_name="ledgerline",
            constraint=models.UniqueConstraint(
                fields=("distributor", "run", "key"), name="ledgerline_unique_key_per_run"
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.UniqueConstraint(fields=("distributor", "run"), name="statement_unique_per_run"),
        ),
        migrations.RunPython(run_indexes, drop_run_indexes),
    ]
