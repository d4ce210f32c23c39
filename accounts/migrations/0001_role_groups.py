from django.db import migrations


def create_role_groups(apps, schema_editor):
    """Create the empty role groups.

    Their permissions are set by accounts' post_migrate handler (role_groups_sync). It
    runs after the whole plan, when every app's models exist. At this point the models of
    later migrations (such as labels.LabelBatch) have no permissions yet.
    """
    from accounts.roles import ROLES

    group_model = apps.get_model("auth", "Group")
    for role in ROLES:
        group_model.objects.get_or_create(name=role)


def delete_role_groups(apps, schema_editor):
    from accounts.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0001_initial"),
        ("mapping", "0001_initial"),
        ("orders", "0002_documentcounter_alter_purchaseorder_options"),
        ("sync", "0001_initial"),
        ("tokens", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
