"""The default list of purposes for full reads; administrators can change it."""

from django.db import migrations

REASONS = [
    ("verify", "核查"),
    ("service", "服务群众"),
    ("case", "案件办理"),
    ("data_quality", "数据治理"),
    ("other", "其他"),
]


def seed(apps, schema_editor):
    PurposeReason = apps.get_model("access", "PurposeReason")
    for order, (code, label) in enumerate(REASONS):
        PurposeReason.objects.get_or_create(code=code, defaults={"label": label, "order": order})


def unseed(apps, schema_editor):
    apps.get_model("access", "PurposeReason").objects.filter(code__in=[c for c, _ in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("access", "0001_roles_jurisdictions_reasons_tokens")]

    operations = [migrations.RunPython(seed, unseed)]
