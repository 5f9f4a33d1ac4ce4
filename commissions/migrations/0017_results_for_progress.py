"""What rank progress reads, stored by the close: each result's highest rank in self and the whole
downline (the engine computes it for leg qualification) and the size of its frontline in the
period. Null in the rows of runs before: the readers fall back to the queries they replace."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0016_reference_check_by_range"),
    ]

    operations = [
        migrations.AddField(
            model_name="distributorperiod",
            name="subtree_max_rank",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="highest rank in the downline"
            ),
        ),
        migrations.AddField(
            model_name="distributorperiod",
            name="frontline_count",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="frontline"),
        ),
    ]
