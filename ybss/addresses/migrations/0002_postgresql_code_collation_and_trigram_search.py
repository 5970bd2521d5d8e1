"""PostgreSQL indexes for the two hot address queries.

The code column gets the "C" collation: prefix tests (``LIKE 'X%'``) and
``ORDER BY code`` are then served by one btree in the same order, instead of a
pattern index for the filter and a sort in the database's language order.

``search_text LIKE '%term%'`` cannot use a btree; pg_trgm's GIN index serves it.
SQLite has no such index type, so this migration does nothing there. The index is
not part of the model state (it needs an extension), hence raw SQL.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('ALTER TABLE addresses_addressnode ALTER COLUMN code TYPE varchar(64) COLLATE "C"')
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS address_node_search_trgm "
        "ON addresses_addressnode USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS address_node_search_trgm")
    schema_editor.execute(
        'ALTER TABLE addresses_addressnode ALTER COLUMN code TYPE varchar(64) COLLATE "default"'
    )


class Migration(migrations.Migration):
    dependencies = [("addresses", "0001_roads_address_nodes_and_changes")]

    operations = [migrations.RunPython(create, drop)]
