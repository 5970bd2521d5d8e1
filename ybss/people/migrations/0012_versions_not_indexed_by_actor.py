"""Version rows are not indexed by who made them: nothing lists them that way.

Only the index goes. Altering the field would make Django drop and re-add the foreign
key on PostgreSQL (checking every version row again) and rebuild the table on SQLite.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "people_personversion_actor_id_cad2f183"


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0011_partial_indexes_for_values_given"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX "{INDEX}" ON "people_personversion" ("actor_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="personversion",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                    ),
                )
            ],
        )
    ]
