"""Leave half of each page of the distributor table free, so the close's rank/title update is HOT.

rank and title are not indexed, so an update of them can stay on the row's own page without a new
entry in any of the table's indexes (a heap-only tuple), but only if the page has room for the new
version. Pages packed full (the default) make every such update a new tuple in all nine indexes:
measured at 100k distributors, the update of the 80% whose rank changed took 4.8-6.9 s packed and
1.1 s at fillfactor 50 (docs/adr/0004-close-write-path.md). The table is twice as large on disk.

The setting applies to pages written from now on; an existing table converges as its rows are
updated, or at once with `VACUUM FULL distributors_distributor` in a maintenance window.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE distributors_distributor SET (fillfactor = 50)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE distributors_distributor RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("distributors", "0003_lean_distributor_indexes")]

    operations = [migrations.RunPython(forward, backward)]
