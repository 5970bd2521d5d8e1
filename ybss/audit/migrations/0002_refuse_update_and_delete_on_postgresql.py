"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log.

SQLite has no such triggers worth trusting (the file is writable by whoever
holds it); there the hash chain alone makes tampering visible.
"""

from django.db import migrations

TABLES = ["audit_auditevent", "audit_audittarget"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION ybss_audit_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql
        """,
        params=None,  # the % signs are plpgsql's, not query placeholders
    )
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ybss_audit_append_only()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS ybss_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_log_targets_head_and_flags")]

    operations = [migrations.RunPython(create, drop)]
