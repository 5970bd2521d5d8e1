"""On PostgreSQL, names sort and match in byte order ("C" collation).

A search for names starting with 王 can then walk one btree in the order the
page is sorted, instead of the planner choosing between a pattern index for the
filter and a language-ordered index for the sort (and picking the slow one).
For Chinese names the language order was never pinyin order anyway.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE people_person ALTER COLUMN name TYPE varchar(50) COLLATE "C"')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE people_person ALTER COLUMN name TYPE varchar(50) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_persons_versions_residences")]

    operations = [migrations.RunPython(forward, backward)]
