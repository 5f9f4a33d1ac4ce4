# Support sessions (distributors.support): the two permissions of the support roles.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("distributors", "0009_search_trigram_index"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="distributor",
            options={
                "ordering": ["id"],
                "permissions": [
                    ("view_portal_as", "Can open the portal as the distributor (read-only)"),
                    ("act_in_portal_as", "Can act in the portal as the distributor"),
                ],
                "verbose_name": "distributor",
                "verbose_name_plural": "distributors",
            },
        ),
    ]
