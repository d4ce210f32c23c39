"""Create the PostgreSQL sequences that hand out prebook and PO numbers.

Each sequence starts above the counter row and above every number already stored, so no
number is handed out twice. Other databases keep using the counter rows.
"""

from django.db import migrations

SEQUENCES = {
    "prebook": ("orders_prebook_number_seq", "orders_prebook", "number", 1),
    "purchase_order": ("orders_purchaseorder_number_seq", "orders_purchaseorder", "number", 100000),
}


def sequences_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    DocumentCounter = apps.get_model("orders", "DocumentCounter")
    counters = dict(DocumentCounter.objects.values_list("name", "last_value"))
    with schema_editor.connection.cursor() as cursor:
        for name, (sequence, table, column, first) in SEQUENCES.items():
            # PO numbers are text; only plain digits can collide with generated ones.
            cursor.execute(
                f"SELECT MAX({column}::text::numeric) FROM {table} "
                f"WHERE {column}::text ~ '^[0-9]{{1,18}}$'"
            )
            highest = cursor.fetchone()[0] or 0
            start = max(int(highest), counters.get(name, 0), first - 1) + 1
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence} START WITH {start}")


def sequences_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for sequence, *_ in SEQUENCES.values():
            cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_box_codes_upper_case"),
    ]

    operations = [
        migrations.RunPython(sequences_create, sequences_drop),
    ]
