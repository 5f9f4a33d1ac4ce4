"""Chunk payloads are stored as COPY text and compressed by PostgreSQL with lz4 (see the payload
notes in commissions/close/payload.py). A server built without lz4 keeps them uncompressed
rather than trying pglz, which costs more than it saves on text of this size."""

from django.db import migrations

FORWARD = """
DO $$
BEGIN
    ALTER TABLE commissions_closechunk ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    ALTER TABLE commissions_closechunk ALTER COLUMN payload SET STORAGE EXTERNAL;
END $$;
"""

BACKWARD = """
ALTER TABLE commissions_closechunk ALTER COLUMN payload SET COMPRESSION default;
ALTER TABLE commissions_closechunk ALTER COLUMN payload SET STORAGE EXTENDED;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("commissions", "0012_chunk_digest")]

    operations = [migrations.RunPython(forward, backward)]
