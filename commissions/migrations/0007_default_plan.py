"""The default plan (commissions/default_plan.json) is loaded by migrate when no plan exists yet.

It is validated by the tests (tests/commissions/test_plan_document.py); `load_plan` adds versions.
"""

import json
from pathlib import Path

from django.db import migrations

DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "default_plan.json"


def load_default_plan(apps, schema_editor):
    Plan = apps.get_model("commissions", "Plan")
    if Plan.objects.using(schema_editor.connection.alias).exists():
        return
    document = json.loads(DEFAULT_PLAN.read_text(encoding="utf-8"))
    Plan.objects.using(schema_editor.connection.alias).create(
        name=document["name"], version=document["version"], plan_type=document["type"], document=document
    )


class Migration(migrations.Migration):
    dependencies = [("commissions", "0006_statement_equations_on_postgresql")]
    operations = [migrations.RunPython(load_default_plan, migrations.RunPython.noop)]
