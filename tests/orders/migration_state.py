"""Move the test database's `orders` schema to an earlier migration inside a test.

The test's transaction rolls the schema back with everything else, so no test needs to
migrate forward again.
"""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The last migration before the unique index on UPPER(box code).
BEFORE_BOX_CODE_INDEX = ("orders", "0004_number_sequences")
BOX_CODE_INDEX = ("orders", "0005_box_code_unique_ignoring_case")


def orders_migrate(target: tuple[str, str]) -> None:
    """Apply or unapply migrations until `target` is the latest applied `orders` migration.

    Rows inserted before a schema change leave PostgreSQL's deferred foreign key checks
    pending, which blocks ALTER TABLE and CREATE INDEX, so they run first.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([target])
