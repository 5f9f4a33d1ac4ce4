"""A trigram index for the downline search (distributors.selectors._matching): without it a search
that matches few members read a leader's whole downline (3-4 s for the root of a million).

PostgreSQL only (pg_trgm, shipped with PostgreSQL; creating the extension needs the right to,
e.g. the database owner on PostgreSQL 13 and later, where pg_trgm is a trusted extension). The
expression must stay exactly `_SEARCH_TEXT` for the planner to use the index. The SQLite demo
reads its small downlines without one.
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS distributor_search_trgm_idx ON distributors_distributor USING gin "
    "((UPPER(first_name || ' ' || last_name || ' ' || external_id || ' ' || referral_code)) gin_trgm_ops)"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(INDEX)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS distributor_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("distributors", "0008_tree_rght_index"),
    ]

    operations = [migrations.RunPython(forward, backward)]
