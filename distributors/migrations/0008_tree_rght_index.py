"""The (tree_id, rght) index for sparse labels (ADR 0011): the last label before a sponsor's rght in
one probe, and the labels of a relabelled window. Its own migration: after 0007's UPDATE of every
row, PostgreSQL refuses an index in the same transaction while that UPDATE's deferred checks wait.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("distributors", "0007_sparse_tree_labels"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="distributor",
            index=models.Index(fields=["tree_id", "rght"], name="distributor_tree_rght_idx"),
        ),
    ]
