"""On PostgreSQL, a GIN index over the characters of each name and former name.

A search for names that merely contain the text (张伟 inside 李张伟, or a name nobody has)
otherwise reads every person in the jurisdiction. The index finds the people whose names
hold every character of the text; the LIKE after it keeps only those with the text itself.
ASCII letters are lowered, so that the former names' case-insensitive match keeps working
through it (``people.views.name_matches``).
"""

from django.db import migrations

EXPRESSION = """string_to_array(lower((name::text || coalesce(former_names::text, '')) COLLATE "C"), NULL)"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX person_name_chars ON people_person USING gin (({EXPRESSION}))")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS person_name_chars")


class Migration(migrations.Migration):
    dependencies = [("people", "0004_person_merged_into")]

    operations = [migrations.RunPython(forward, backward)]
