"""On SQLite, a table of the characters of each name and former name, kept by triggers.

What migration 0005 gives PostgreSQL with a GIN index: a search for names that merely
contain the text (a name nobody has, 伟 inside 张伟) would otherwise read every person
in the jurisdiction, and SQLite reads each one's whole row, encrypted identifiers and all.
The table says which people's names hold a character; the search intersects the
characters of its text and keeps the LIKE after it for the text itself
(``people.views.name_matches``). The characters are those of the text the LIKE reads,
the name followed by the former names as stored (JSON), with ASCII lowered as SQLite's
``lower()`` and its LIKE do.

Triggers keep the table, so that every way a person is written (the actions, the bulk
insert of plain rows, queryset updates, fixtures) keeps it too. The statements live in
``ybss.people.name_chars``: SQLite drops a table's triggers whenever Django rebuilds the
table, and the people app creates missing ones again after every migrate.
"""

from django.db import migrations

from ybss.people import name_chars


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in name_chars.create_statements():
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in name_chars.drop_statements():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("people", "0006_blind_indexes_without_pattern_copies")]

    operations = [migrations.RunPython(forward, backward)]
