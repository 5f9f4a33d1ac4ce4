# Autoship: subscriptions, their lines, one run per subscription and date, payment attempts.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("distributors", "0011_bank_details"),
        ("orders", "0006_triggers_declared"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Subscription",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "interval_unit",
                    models.CharField(
                        choices=[("weeks", "weeks"), ("months", "months")], max_length=8, verbose_name="every"
                    ),
                ),
                (
                    "interval_count",
                    models.PositiveSmallIntegerField(default=1, verbose_name="number of weeks or months"),
                ),
                (
                    "weekday",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        choices=[
                            (0, "Monday"),
                            (1, "Tuesday"),
                            (2, "Wednesday"),
                            (3, "Thursday"),
                            (4, "Friday"),
                            (5, "Saturday"),
                            (6, "Sunday"),
                        ],
                        null=True,
                        verbose_name="weekday",
                    ),
                ),
                (
                    "day_of_month",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="day of the month"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "Active"), ("paused", "Paused"), ("cancelled", "Cancelled")],
                        db_index=True,
                        default="active",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "next_date",
                    models.DateField(blank=True, db_index=True, null=True, verbose_name="next order date"),
                ),
                ("paused_at", models.DateTimeField(blank=True, null=True, verbose_name="paused at")),
                (
                    "pause_reason",
                    models.CharField(blank=True, max_length=255, verbose_name="reason of the pause"),
                ),
                ("cancelled_at", models.DateTimeField(blank=True, null=True, verbose_name="cancelled at")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="subscriptions",
                        to="orders.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "distributor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="subscriptions",
                        to="distributors.distributor",
                        verbose_name="distributor",
                    ),
                ),
            ],
            options={
                "verbose_name": "autoship subscription",
                "verbose_name_plural": "autoship subscriptions",
                "ordering": ["next_date", "id"],
            },
        ),
        migrations.CreateModel(
            name="AutoshipRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("scheduled_for", models.DateField(verbose_name="scheduled for")),
                (
                    "status",
                    models.CharField(
                        choices=[("ordered", "Ordered"), ("skipped", "Skipped")],
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "order",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="autoship_run",
                        to="orders.order",
                        verbose_name="order",
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="runs",
                        to="orders.subscription",
                        verbose_name="subscription",
                    ),
                ),
            ],
            options={
                "verbose_name": "autoship run",
                "verbose_name_plural": "autoship runs",
                "ordering": ["-scheduled_for", "-id"],
            },
        ),
        migrations.CreateModel(
            name="SubscriptionLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("quantity", models.PositiveIntegerField(verbose_name="quantity")),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orders.product",
                        verbose_name="product",
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="orders.subscription",
                        verbose_name="subscription",
                    ),
                ),
            ],
            options={
                "verbose_name": "autoship line",
                "verbose_name_plural": "autoship lines",
                "ordering": ["id"],
            },
        ),
        migrations.CreateModel(
            name="AutoshipPaymentAttempt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("number", models.PositiveSmallIntegerField(verbose_name="attempt")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("due", "Due"),
                            ("pending", "Awaiting the result"),
                            ("succeeded", "Succeeded"),
                            ("failed", "Failed"),
                        ],
                        db_index=True,
                        default="due",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("due_at", models.DateTimeField(db_index=True, verbose_name="due at")),
                ("attempted_at", models.DateTimeField(blank=True, null=True, verbose_name="attempted at")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="result recorded at"),
                ),
                (
                    "failure_reason",
                    models.CharField(blank=True, max_length=255, verbose_name="failure reason"),
                ),
                ("reference", models.CharField(blank=True, max_length=128, verbose_name="payment reference")),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payment_attempts",
                        to="orders.autoshiprun",
                        verbose_name="autoship run",
                    ),
                ),
            ],
            options={
                "verbose_name": "autoship payment attempt",
                "verbose_name_plural": "autoship payment attempts",
                "ordering": ["run", "number"],
                "constraints": [
                    models.UniqueConstraint(fields=("run", "number"), name="autoship_attempt_number_once"),
                    models.CheckConstraint(
                        condition=models.Q(("number__gte", 1)), name="autoship_attempt_number_positive"
                    ),
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(("interval_count__gte", 1)), name="subscription_interval_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("day_of_month__isnull", True), ("interval_unit", "weeks"), ("weekday__isnull", False)
                    ),
                    models.Q(
                        ("day_of_month__gte", 1),
                        ("day_of_month__lte", 31),
                        ("interval_unit", "months"),
                        ("weekday__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="subscription_day_matches_unit",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(("weekday__isnull", True), ("weekday__lte", 6), _connector="OR"),
                name="subscription_weekday_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "cancelled"), ("next_date__isnull", False), _connector="OR"),
                name="subscription_open_has_next_date",
            ),
        ),
        migrations.AddConstraint(
            model_name="autoshiprun",
            constraint=models.UniqueConstraint(
                fields=("subscription", "scheduled_for"), name="autoship_run_once_per_date"
            ),
        ),
        migrations.AddConstraint(
            model_name="autoshiprun",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("order__isnull", False), ("status", "ordered")),
                    models.Q(("order__isnull", True), ("status", "skipped")),
                    _connector="OR",
                ),
                name="autoship_run_order_iff_ordered",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscriptionline",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)), name="subscriptionline_quantity_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="subscriptionline",
            constraint=models.UniqueConstraint(
                fields=("subscription", "product"), name="subscriptionline_product_once"
            ),
        ),
    ]
