# The content types of Plan and Period follow the models from commissions to plans, so that the
# permissions already given to staff and groups (commissions.view_period and the like, now
# plans.view_period) and the admin's history of these objects stay attached to them.
# On a fresh database there is nothing to move: Django creates the content types after migrating.

from django.db import migrations

MODELS = ("plan", "period")


def _move(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:  # the usual case: rename, and every permission and log entry follows
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (the target was created by an earlier post-migrate): move what hangs on the old
        # one to the new one, then drop the old one.
        for permission in Permission.objects.filter(content_type=old):
            twin = Permission.objects.filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            for group in permission.group_set.all():
                group.permissions.add(twin)
            for user in permission.user_set.all():
                user.user_permissions.add(twin)
            permission.delete()
        apps.get_model("admin", "LogEntry").objects.filter(content_type=old).update(content_type=new)
        old.delete()


def forwards(apps, schema_editor):
    _move(apps, "commissions", "plans")


def backwards(apps, schema_editor):
    _move(apps, "plans", "commissions")


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0001_initial'),
        ('commissions', '0025_plan_and_period_moved_to_plans'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('admin', '0003_logentry_add_action_flag_choices'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
