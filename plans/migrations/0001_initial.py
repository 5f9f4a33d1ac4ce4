# Plan and Period move from commissions to this app with their tables (commissions_plan,
# commissions_period): this migration only tells Django's state that they are here; it changes no
# table, no row, no index, no constraint. commissions 0025 points its foreign keys here and drops
# the two models from its own state, again without touching the database.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('commissions', '0024_closed_period_previews_prunable'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Plan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('version', models.CharField(max_length=32, unique=True, verbose_name='version')),
                        ('plan_type', models.CharField(choices=[('unilevel', 'Unilevel'), ('differential', 'Stairstep differential')], max_length=16, verbose_name='plan type')),
                        ('document', models.JSONField(verbose_name='plan document')),
                        ('loaded_at', models.DateTimeField(auto_now_add=True, verbose_name='loaded at')),
                        ('loaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='loaded by')),
                    ],
                    options={
                        'verbose_name': 'compensation plan',
                        'verbose_name_plural': 'compensation plans',
                        'db_table': 'commissions_plan',
                        'ordering': ['-loaded_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Period',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('start', models.DateField(unique=True, verbose_name='start')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('closing', 'Closing'), ('closed', 'Closed')], db_index=True, default='open', max_length=16, verbose_name='status')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('plan', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='periods', to='plans.plan', verbose_name='compensation plan')),
                    ],
                    options={
                        'verbose_name': 'period',
                        'verbose_name_plural': 'periods',
                        'db_table': 'commissions_period',
                        'ordering': ['-start'],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'closed'), _negated=True), models.Q(('closed_at__isnull', False), ('plan__isnull', False)), _connector='OR'), name='period_closed_has_plan_and_time')],
                    },
                ),
            ],
        ),
    ]
