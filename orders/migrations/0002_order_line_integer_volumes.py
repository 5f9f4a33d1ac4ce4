"""The order line's QV, CV and value as whole numbers kept by the database (see OrderLine).

On an existing installation each column rewrites the order lines table once (PostgreSQL computes
a stored generated column for every row): about 40 s per column for ten million lines, with the
table locked.
"""

import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="cv_units",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("quantity"), "*", models.F("unit_cv")
                            ),
                            "*",
                            models.Value(10000),
                        )
                    ),
                    models.BigIntegerField(),
                ),
                output_field=models.BigIntegerField(),
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="qv_units",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("quantity"), "*", models.F("unit_qv")
                            ),
                            "*",
                            models.Value(10000),
                        )
                    ),
                    models.BigIntegerField(),
                ),
                output_field=models.BigIntegerField(),
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="value_cents",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("quantity"), "*", models.F("unit_price")
                            ),
                            "*",
                            models.Value(100),
                        )
                    ),
                    models.BigIntegerField(),
                ),
                output_field=models.BigIntegerField(),
            ),
        ),
    ]
