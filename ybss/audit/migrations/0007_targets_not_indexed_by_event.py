"""Target rows are not indexed by their event: they are found by (kind, key).

Only the index goes; altering the field would rebuild the table on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "audit_audittarget_event_id_a7f93577"


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_event_hash_without_unique_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX "{INDEX}" ON "audit_audittarget" ("event_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="audittarget",
                    name="event",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="target_rows",
                        to="audit.auditevent",
                    ),
                )
            ],
        )
    ]
