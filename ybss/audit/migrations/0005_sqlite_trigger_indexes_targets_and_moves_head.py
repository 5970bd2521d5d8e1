"""SQLite: a trigger indexes each event's targets and moves the head on (ybss.audit.sqlite).

The statement is written out here, not imported, so that this migration keeps meaning
what it meant when it was written.
"""

from django.db import migrations

TRIGGER = "audit_auditevent_appended"
CREATE = (
    "CREATE TRIGGER IF NOT EXISTS audit_auditevent_appended AFTER INSERT ON audit_auditevent BEGIN"
    ' INSERT INTO audit_audittarget (event_id, kind, "key")'
    " SELECT NEW.id, substr(j.value, 1, instr(j.value, ':') - 1),"
    " substr(j.value, instr(j.value, ':') + 1)"
    " FROM json_each(NEW.targets) AS j;"
    " UPDATE audit_audithead SET seq = NEW.seq, hash = NEW.hash WHERE id = 1 AND seq = NEW.seq - 1;"
    " END"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_fewer_indexes_on_each_event")]

    operations = [migrations.RunPython(forward, backward)]
