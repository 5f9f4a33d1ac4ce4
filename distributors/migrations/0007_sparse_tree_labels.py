"""Sparse nested-set labels (ADR 0011): lft and rght become bigint labels spread over [1, 2**62)
per tree, so that enrolling or moving writes a few rows instead of shifting half the tree, and
the downline size, no longer (rght - lft - 1) / 2, is stored.

The numbers are written again from the sponsor links, in order: every position p of the old
contiguous numbering becomes p * spacing, so every interval keeps its nesting.
"""

from django.db import migrations, models

SPACE = 2**62


def spread_labels(apps, schema_editor):
    Distributor = apps.get_model("distributors", "Distributor")
    # The downline size of every node from the contiguous numbers, then the labels spread.
    sizes = dict(
        Distributor.objects.values_list("tree_id").annotate(n=models.Count("id")).values_list("tree_id", "n")
    )
    table = schema_editor.connection.ops.quote_name(Distributor._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMP TABLE tree_spacing (tree_id bigint PRIMARY KEY, spacing bigint) ON COMMIT DROP"
            )
            with cursor.copy("COPY tree_spacing (tree_id, spacing) FROM STDIN") as copy:
                for tree_id, n in sizes.items():
                    copy.write_row((tree_id, SPACE // (2 * n + 2)))
            cursor.execute(
                f"UPDATE {table} AS d SET downline_size = (d.rght - d.lft - 1) / 2, "
                "lft = d.lft * s.spacing, rght = d.rght * s.spacing FROM tree_spacing s WHERE s.tree_id = d.tree_id"
            )
            cursor.execute("DROP TABLE tree_spacing")
        else:
            for tree_id, n in sizes.items():
                cursor.execute(
                    f"UPDATE {table} SET downline_size = (rght - lft - 1) / 2, lft = lft * %s, rght = rght * %s "
                    "WHERE tree_id = %s",
                    [SPACE // (2 * n + 2)] * 2 + [tree_id],
                )


def contiguous_labels(apps, schema_editor):
    """Back to positions 1..2n: the rank of each label in its tree."""
    Distributor = apps.get_model("distributors", "Distributor")
    table = schema_editor.connection.ops.quote_name(Distributor._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"WITH labels AS (SELECT id, tree_id, lft AS label, 0 AS side FROM {table} "
            f"UNION ALL SELECT id, tree_id, rght, 1 FROM {table}), "
            "ranked AS (SELECT id, side, ROW_NUMBER() OVER (PARTITION BY tree_id ORDER BY label) AS position "
            "FROM labels) "
            f"UPDATE {table} SET lft = (SELECT position FROM ranked r WHERE r.id = {table}.id AND r.side = 0), "
            f"rght = (SELECT position FROM ranked r WHERE r.id = {table}.id AND r.side = 1)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("distributors", "0006_erasure_request"),
    ]

    operations = [
        migrations.AddField(
            model_name="distributor",
            name="downline_size",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="downline size"),
        ),
        migrations.AlterField(
            model_name="distributor",
            name="lft",
            field=models.PositiveBigIntegerField(editable=False, verbose_name="tree left"),
        ),
        migrations.AlterField(
            model_name="distributor",
            name="rght",
            field=models.PositiveBigIntegerField(editable=False, verbose_name="tree right"),
        ),
        migrations.RunPython(spread_labels, contiguous_labels),
    ]
