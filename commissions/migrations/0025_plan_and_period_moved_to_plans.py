# Plan and Period moved to the plans app with their tables (plans 0001): the foreign keys point
# there, and the two models leave this app's state. Nothing in the database changes: the columns,
# their constraints and indexes already reference commissions_period / commissions_plan, which
# are still the tables of plans.Period / plans.Plan.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('commissions', '0024_closed_period_previews_prunable'),
        ('plans', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='payoutbatch',
                    name='period',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payout_batches', to='plans.period', verbose_name='period'),
                ),
                migrations.AlterField(
                    model_name='closerun',
                    name='period',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='runs', to='plans.period', verbose_name='period'),
                ),
                migrations.AlterField(
                    model_name='statement',
                    name='period',
                    field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='plans.period', verbose_name='period'),
                ),
                migrations.AlterField(
                    model_name='adjustment',
                    name='period',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='adjustments', to='plans.period', verbose_name='period'),
                ),
                migrations.AlterField(
                    model_name='distributorperiod',
                    name='period',
                    field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='plans.period', verbose_name='period'),
                ),
                migrations.AlterField(
                    model_name='ledgerline',
                    name='period',
                    field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='plans.period', verbose_name='period'),
                ),
                migrations.AlterField(
                    model_name='closerun',
                    name='plan',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='runs', to='plans.plan', verbose_name='compensation plan'),
                ),
                migrations.DeleteModel(
                    name='Period',
                ),
                migrations.DeleteModel(
                    name='Plan',
                ),
            ],
        ),
    ]
